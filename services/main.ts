/**
 * Starts a process hosting some modules: loads and checks config (exiting with a message
 * per bad variable), serves HTTP, runs the relay and consumers, and stops cleanly on SIGTERM.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { ConfigError, type Config } from './shared/config';
import { HomeWatcher, resolveRegion, type ResolvedRegion } from './shared/home-region';
import { createLogger } from './shared/logger';
import { Runtime, type ModuleDef } from './shared/runtime';
import { stopBoundMs } from './shared/shutdown';
import { supervise } from './supervisor';

export function createRuntime(service: string, modules: readonly ModuleDef[], cfg: Config, region?: Pick<ResolvedRegion, 'home' | 'promoted'>): Runtime {
  const rt = new Runtime(service, cfg, createLogger(service, cfg.LOG_LEVEL), undefined, region);
  rt.load([...modules]);
  return rt;
}

export async function main(service: string, modules: readonly ModuleDef[]): Promise<void> {
  const started = process.hrtime.bigint();
  let region: ResolvedRegion;
  try {
    region = await resolveRegion();
  } catch (e) {
    process.stderr.write(`${service}: ${e instanceof ConfigError ? e.message : `cannot read the home region: ${(e as Error).message}`}\n`);
    process.exit(e instanceof ConfigError ? 78 : 1);
  }
  const cfg = region.cfg;
  if (cfg.PROCESSES !== 1 && cluster.isPrimary) {
    supervise(service, region);
    return;
  }
  const rt = createRuntime(service, modules, cfg, region);
  if (region.home) rt.log.info({ home: region.home, role: cfg.REGION_ROLE, ...(region.promoted ? { promoted: true } : {}) }, 'home region read');
  for (const w of region.warnings) rt.log.warn(w);
  if (cluster.isWorker) {
    // The supervisor (services/supervisor.ts) sums the workers' metrics: constructing an
    // AggregatorRegistry is what makes prom-client answer its requests in a worker.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([rt.metrics.registry]);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // The orchestrator has already taken this process out of its load balancers (a preStop
    // delay on EKS, the target group's deregistration delay on EC2): what is left is to finish
    // the requests in flight, within SHUTDOWN_GRACE_MS, and to leave the consumer groups.
    rt.log.info({ signal, graceMs: cfg.SHUTDOWN_GRACE_MS }, 'stopping');
    const force = setTimeout(() => {
      rt.log.error({ afterMs: stopBoundMs(cfg) }, 'shutdown did not finish; exiting');
      process.exit(1);
    }, stopBoundMs(cfg));
    force.unref();
    await rt.stop();
    rt.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Under a supervisor, the supervisor watches the home region and stops every worker.
  if (region.reader && region.home && !cluster.isWorker) {
    const watcher = new HomeWatcher({ reader: region.reader, home: region.home, cfg, log: rt.log, registry: rt.metrics.registry, onChange: () => void stop('home region changed') });
    watcher.start();
  }
  process.on('unhandledRejection', (err) => rt.log.error({ err }, 'unhandled rejection'));
  if (cfg.HTTP) {
    const address = await rt.listen();
    rt.log.info({ address, startupMs: Number(process.hrtime.bigint() - started) / 1e6 }, 'listening');
  }
  try {
    await rt.startWorkers();
    rt.log.info({ startupMs: Number(process.hrtime.bigint() - started) / 1e6 }, 'workers started');
  } catch (err) {
    rt.log.fatal({ err }, 'could not start workers');
    process.exit(1);
  }
}
