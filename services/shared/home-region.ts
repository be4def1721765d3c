/**
 * The home (primary) region read at run time (HOME_REGION_SOURCE), so that a failover moves
 * writes without a new deployment: the promotion writes the new home's name into the source (an
 * SSM parameter, or a file locally), and each process derives its role from it.
 *
 * At start the home decides the role: home = AWS_REGION makes this process primary; any other
 * home makes it secondary, forwarding writes to REGION_API_URLS[home]. Then {@link HomeWatcher}
 * reads the source every HOME_REGION_POLL_MS; when the home changes the process drains and exits
 * 0, and its supervisor (Kubernetes, systemd) starts it again in its new role. A read that fails,
 * or names a region that has no URL here, keeps the current role: a process never changes role
 * on a doubt.
 */
import { promises as fs } from 'node:fs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Counter, type Registry } from 'prom-client';
import { ConfigError, loadConfig, type Config } from './config';
import type { Logger } from './logger';

/** Reads the name of the home region. */
export interface HomeRegionReader {
  /** What is read, for messages (the variable's value). */
  readonly source: string;
  read(): Promise<string>;
}

const REGION_NAME = /^[a-z0-9-]{1,64}$/;

function regionName(raw: string | undefined, source: string): string {
  const v = (raw ?? '').trim();
  if (!REGION_NAME.test(v)) throw new Error(`${source} holds ${JSON.stringify(v)}, which is not a region name`);
  return v;
}

/**
 * The reader for HOME_REGION_SOURCE: `ssm:<name>` reads the parameter in AWS_REGION,
 * `ssm:<region>:<name>` in that region (the platform keeps the one pointer of a phase in the
 * region a failover moves to, so that every region reads the same value), with
 * AWS_ENDPOINT_URL_SSM or AWS_ENDPOINT_URL when set; `file:<path>` reads the file's first line.
 */
export function homeRegionReader(source: string, region: string, env: Record<string, string | undefined> = process.env, ssm?: SSMClient): HomeRegionReader {
  if (source.startsWith('file:')) {
    const file = source.slice('file:'.length);
    return { source, read: async () => regionName((await fs.readFile(file, 'utf8')).split('\n')[0], `HOME_REGION_SOURCE=${source}`) };
  }
  if (!source.startsWith('ssm:')) throw new ConfigError([`HOME_REGION_SOURCE=${JSON.stringify(source)}: must be ssm:<parameter name> or file:<path>`]);
  const rest = source.slice('ssm:'.length);
  const [parameterRegion, name] = rest.startsWith('/') || !rest.includes(':') ? [region, rest] : [rest.slice(0, rest.indexOf(':')), rest.slice(rest.indexOf(':') + 1)];
  const endpoint = env.AWS_ENDPOINT_URL_SSM || env.AWS_ENDPOINT_URL;
  const client = ssm ?? new SSMClient({ region: parameterRegion, maxAttempts: 2, ...(endpoint ? { endpoint } : {}) });
  return {
    source,
    read: async () => {
      const out = await client.send(new GetParameterCommand({ Name: name }), { abortSignal: AbortSignal.timeout(3000) });
      return regionName(out.Parameter?.Value, `HOME_REGION_SOURCE=${source}`);
    },
  };
}

/** The variables that follow from the home region: REGION_ROLE and, in a secondary, HOME_API_URL. */
function roleFor(home: string, cfg: Pick<Config, 'AWS_REGION' | 'REGION_API_URLS'>): { REGION_ROLE: 'primary' } | { REGION_ROLE: 'secondary'; HOME_API_URL: string } {
  if (home === cfg.AWS_REGION) return { REGION_ROLE: 'primary' };
  const url = cfg.REGION_API_URLS[home];
  if (!url) {
    const known = Object.keys(cfg.REGION_API_URLS);
    throw new ConfigError([`REGION_API_URLS=${JSON.stringify(Object.entries(cfg.REGION_API_URLS).map(([r, u]) => `${r}=${u}`).join(','))}: has no URL for the home region ${home} (read from HOME_REGION_SOURCE; known: ${known.length ? known.join(', ') : 'none'})`]);
  }
  return { REGION_ROLE: 'secondary', HOME_API_URL: url };
}

export interface ResolvedRegion {
  cfg: Config;
  /** The home region read at start; undefined without HOME_REGION_SOURCE. */
  home?: string;
  reader?: HomeRegionReader;
  /**
   * The home moved here: deployed as a secondary (REGION_ROLE in the environment), primary by the
   * home read. The relay then publishes recent outbox rows again, once (outbox-relay.ts).
   */
  promoted: boolean;
  /** Said once at start (visitors no longer counted, ...). */
  warnings: string[];
}

/**
 * The configuration with the role derived from HOME_REGION_SOURCE, when set (REGION_ROLE and
 * HOME_API_URL in the environment are then the deployment's, replaced by what the home says).
 *
 * HOME_REDIS_* name the cache of the home region the deployment knew (REGION_ROLE=primary here,
 * or HOME_API_URL). When the home read is another region, nothing says where that region's
 * cache is: visitors entering this region are not counted (DAILY_USERS off), with one warning.
 */
export async function resolveRegion(env: Record<string, string | undefined> = process.env, reader?: HomeRegionReader): Promise<ResolvedRegion> {
  if (!env.HOME_REGION_SOURCE) return { cfg: loadConfig(env), promoted: false, warnings: [] };
  const cfg = loadConfig({ ...env, REGION_ROLE: undefined, HOME_API_URL: undefined });
  if (!cfg.HOME_REGION_SOURCE) return { cfg: loadConfig(env), promoted: false, warnings: [] };
  const r = reader ?? homeRegionReader(cfg.HOME_REGION_SOURCE, cfg.AWS_REGION, env);
  const home = await r.read();
  const role = roleFor(home, cfg);
  const warnings: string[] = [];
  const extra: Record<string, string> = {};
  if (role.REGION_ROLE === 'secondary' && cfg.DAILY_USERS && (cfg.HOME_REDIS_URL || cfg.HOME_REDIS_CLUSTER_NODES.length > 0)) {
    const deployedHome = env.REGION_ROLE === 'primary' ? cfg.AWS_REGION : cfg.HOME_API_URL;
    if (deployedHome !== undefined && deployedHome !== role.HOME_API_URL) {
      extra.DAILY_USERS = 'false';
      warnings.push(`the home region is now ${home}, and HOME_REDIS_* name the cache of the home this region was deployed with: visitors entering this region are not counted until it is deployed again`);
    }
  }
  // The deployment's RELAY/CONSUMERS defaults follow the role read here, not the one it was deployed with.
  const derived = { ...env, REGION_ROLE: role.REGION_ROLE, HOME_API_URL: role.REGION_ROLE === 'secondary' ? role.HOME_API_URL : undefined, ...extra };
  return { cfg: loadConfig(derived), home, reader: r, promoted: env.REGION_ROLE === 'secondary' && role.REGION_ROLE === 'primary', warnings };
}

export interface HomeWatcherOptions {
  reader: HomeRegionReader;
  /** The home the process started with. */
  home: string;
  cfg: Pick<Config, 'AWS_REGION' | 'REGION_API_URLS' | 'HOME_REGION_POLL_MS'>;
  log: Logger;
  /** Where `home_region_reads_total` is registered. */
  registry?: Registry;
  /** Called once, with the new home, when the home changed to a region this process can serve in. */
  onChange(home: string): void;
}

/** Reads the home region every HOME_REGION_POLL_MS and calls onChange once when it moved. */
export class HomeWatcher {
  private timer: NodeJS.Timeout | undefined;
  private changed = false;
  private stopped = false;
  private readonly reads: Counter<'outcome'>;

  constructor(private readonly o: HomeWatcherOptions) {
    this.reads = new Counter({
      name: 'home_region_reads_total',
      help: 'Reads of HOME_REGION_SOURCE by outcome: same, changed, failed (the role is kept), unknown_region (no URL for it: the role is kept)',
      labelNames: ['outcome'],
      registers: o.registry ? [o.registry] : [],
    });
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One read (exposed for tests): resolves with its outcome. */
  async check(): Promise<'same' | 'changed' | 'failed' | 'unknown_region'> {
    let home: string;
    try {
      home = await this.o.reader.read();
    } catch (err) {
      this.reads.inc({ outcome: 'failed' });
      this.o.log.warn({ err, source: this.o.reader.source, home: this.o.home }, 'could not read the home region; keeping the current role');
      return 'failed';
    }
    if (home === this.o.home) {
      this.reads.inc({ outcome: 'same' });
      return 'same';
    }
    try {
      roleFor(home, this.o.cfg);
    } catch (err) {
      this.reads.inc({ outcome: 'unknown_region' });
      if (this.o.home !== this.o.cfg.AWS_REGION) {
        this.o.log.error({ err, source: this.o.reader.source, home: this.o.home, read: home }, 'the home region changed to a region without an API URL; keeping the current role');
        return 'unknown_region';
      }
      // This region was home and is not any more (a failover while it was lost): it must stop
      // taking writes at once. Started again, it finds no URL for the new home and refuses to
      // run, so it serves nothing (its health check fails, DNS leaves it out) until it is rebuilt.
      this.o.log.error({ err, source: this.o.reader.source, from: this.o.home, to: home }, 'the home region moved away from this region: stopping; this region serves nothing until it is rebuilt as a secondary');
    }
    this.reads.inc({ outcome: 'changed' });
    if (!this.changed) {
      this.changed = true;
      this.stop();
      this.o.log.warn({ from: this.o.home, to: home, region: this.o.cfg.AWS_REGION }, 'the home region changed; stopping to start again in the new role');
      this.o.onChange(home);
    }
    return 'changed';
  }

  private schedule(): void {
    if (this.changed || this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.o.cfg.HOME_REGION_POLL_MS);
    this.timer.unref();
  }
}
