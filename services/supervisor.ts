/**
 * The supervisor of a multi-process service (PROCESSES other than 1): forks the workers, which
 * share the service's port through node:cluster, replaces a worker that dies, serves the
 * workers' metrics summed on METRICS_PORT, and stops them all on SIGTERM.
 *
 * One Node.js process runs JavaScript on one core. An app server with two vCPUs running one
 * process can never pass 50% CPU, so its Auto Scaling target (60%) would never add a server
 * while requests queue; a worker per vCPU lets the instance use what it has.
 *
 * The first worker is a whole process (HTTP, the outbox relay and the Kafka consumers); the
 * others serve HTTP only. A server thus adds one member to each consumer group, as the
 * partition counts are planned for (phases/capacity.ts), and one relay.
 *
 * With HOME_REGION_SOURCE the supervisor watches the home region (home-region.ts): when it
 * changes, every worker drains and the whole process tree exits 0, to be started again in its
 * new role by what runs it.
 */
import cluster from 'node:cluster';
import * as http from 'node:http';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { Config } from './shared/config';
import { HomeWatcher, type ResolvedRegion } from './shared/home-region';
import { createLogger } from './shared/logger';
import { stopBoundMs, SUPERVISOR_MARGIN_MS } from './shared/shutdown';

/** A worker that dies is replaced after this delay, doubled for each death in a row up to a minute. */
const FIRST_RESTART_MS = 1000;
const MAX_RESTART_MS = 60000;
/** A worker that lived this long resets the restart delay. */
const HEALTHY_AFTER_MS = 30000;

/** `all`: HTTP, relay and consumers as configured; `http`: HTTP only. */
type Role = 'all' | 'http';

function workerCount(cfg: Config): number {
  return cfg.PROCESSES === 'auto' ? availableParallelism() : cfg.PROCESSES;
}

export function supervise(service: string, region: ResolvedRegion): void {
  const cfg = region.cfg;
  const log = createLogger(service, cfg.LOG_LEVEL).child({ role: 'supervisor' });
  /** The supervisor's own metrics, served with the workers' sums. */
  const own = new Registry();
  const count = workerCount(cfg);
  const aggregator = new AggregatorRegistry();
  const started = new Map<number, { at: number; role: Role }>();
  let delay = FIRST_RESTART_MS;
  let stopping = false;

  const fork = (role: Role) => {
    const worker = cluster.fork(role === 'http' ? { RELAY: 'false', CONSUMERS: 'false' } : {});
    started.set(worker.id, { at: Date.now(), role });
  };
  cluster.on('exit', (worker, code, signal) => {
    const { at, role } = started.get(worker.id) ?? { at: 0, role: 'http' as Role };
    const lived = Date.now() - at;
    started.delete(worker.id);
    if (stopping) {
      if (started.size === 0) process.exit(0);
      return;
    }
    delay = lived >= HEALTHY_AFTER_MS ? FIRST_RESTART_MS : Math.min(delay * 2, MAX_RESTART_MS);
    log.error({ pid: worker.process.pid, role, code, signal, restartInMs: delay }, 'worker exited; starting another');
    setTimeout(() => {
      if (!stopping) fork(role);
    }, delay);
  });
  for (let i = 0; i < count; i++) fork(i === 0 ? 'all' : 'http');

  const metrics = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'Only GET /metrics is served here' } }));
      return;
    }
    Promise.all([aggregator.clusterMetrics(), own.metrics()]).then(
      ([body, mine]) => res.writeHead(200, { 'content-type': aggregator.contentType }).end(`${body}\n${mine}`),
      (err: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${err.message}\n`),
    );
  });
  metrics.on('error', (err) => {
    // Such as the port being taken: say so and stop, so that systemd restarts the whole service.
    log.fatal({ err, metricsPort: cfg.METRICS_PORT }, 'cannot serve the workers\' metrics');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(1);
  });
  metrics.listen(cfg.METRICS_PORT, cfg.HOST, () => log.info({ workers: count, metricsPort: cfg.METRICS_PORT }, 'supervising'));

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping workers');
    metrics.close();
    // Each worker finishes its requests in flight and leaves its consumer groups within its own
    // bound; the supervisor waits a little longer than that before giving up on them.
    const force = setTimeout(() => {
      log.error('workers did not stop in time; exiting');
      process.exit(1);
    }, stopBoundMs(cfg) + SUPERVISOR_MARGIN_MS);
    force.unref();
    if (started.size === 0) process.exit(0);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (region.reader && region.home) {
    new HomeWatcher({ reader: region.reader, home: region.home, cfg, log, registry: own, onChange: () => stop('home region changed') }).start();
  }
}
