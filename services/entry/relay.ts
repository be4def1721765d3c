/**
 * A worker that only relays outboxes (HTTP and consumers off), for deployments that run the
 * relay apart from the services. Relays the orders database (or its shards), inventory and users.
 */
import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { Runtime, type ModuleDef } from '../shared/runtime';

const cfg = { ...loadConfig(), HTTP: false, CONSUMERS: false, RELAY: true };
const rt = new Runtime('relay', cfg, createLogger('relay', cfg.LOG_LEVEL));
const relayOnly: ModuleDef = { domain: 'order', create: () => ({ outboxes: ['order-shards', 'orders', 'inventory', 'users'] }) };
rt.load([relayOnly]);
process.on('SIGTERM', () => void rt.stop().then(() => process.exit(0)));
rt.startWorkers().then(
  () => rt.log.info('relay started'),
  (err) => {
    rt.log.fatal({ err }, 'relay failed to start');
    process.exit(1);
  },
);
