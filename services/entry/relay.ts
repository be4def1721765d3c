/**
 * A worker that only relays outboxes (HTTP and consumers off), for deployments that run the
 * relay apart from the services. Relays the orders database (or its shards), inventory and users.
 */
import { ConfigError, loadConfig, type Config } from '../shared/config';
import { createLogger } from '../shared/logger';
import { refuseInSecondary } from '../shared/region';
import { Runtime, type ModuleDef } from '../shared/runtime';
import { stopBoundMs } from '../shared/shutdown';
import { createOrderStore } from '../order/store';

function relayConfig(): Config {
  try {
    const loaded = loadConfig();
    refuseInSecondary(loaded, 'the outbox relay runs only in the primary region');
    return { ...loaded, HTTP: false, CONSUMERS: false, RELAY: true };
  } catch (e) {
    process.stderr.write(`relay: ${(e as Error).message}\n`);
    process.exit(e instanceof ConfigError ? 78 : 1);
  }
}

const cfg = relayConfig();
const rt = new Runtime('relay', cfg, createLogger('relay', cfg.LOG_LEVEL));
const relayOnly: ModuleDef = { domain: 'order', create: (r) => ({ outboxes: [...createOrderStore(r).allPrimaries(), 'orders', 'inventory', 'users'] }) };
rt.load([relayOnly]);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // The relay ends its round (rows it published are marked), so nothing is left half-done.
  setTimeout(() => process.exit(1), stopBoundMs(cfg)).unref();
  void rt.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
rt.startWorkers().then(
  () => rt.log.info('relay started'),
  (err) => {
    rt.log.fatal({ err }, 'relay failed to start');
    process.exit(1);
  },
);
