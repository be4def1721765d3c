/**
 * The process runtime: builds shared resources from config (lazily, so a service only
 * connects to what its modules use), hosts modules, and starts/stops HTTP, the outbox relay
 * and the consumers.
 *
 * In a secondary region (REGION_ROLE=secondary) it hands out read-only views of the stores (the
 * order domain builds its own: order/store.ts): the cache is not filled, visitors are counted in
 * the primary's Redis, background jobs do not start, writes are forwarded home (region.ts).
 */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import type { Cluster, Redis } from 'ioredis';
import type { ApiOf, CalledDomain, DomainApis } from './apis';
import { BusinessMetricsPublisher } from './business-metrics';
import { Cache } from './cache';
import { DOMAINS, type Config, type Domain } from './config';
import { EventConsumer, type ConsumerSpec } from './consumer';
import { flagSourceOf } from './flag-source';
import { Flags } from './flags';
import { Db, createPool } from './db';
import { closeGracefully, createServer } from './http';
import { createKafka } from './kafka';
import { LocalCache } from './local-cache';
import type { Logger } from './logger';
import { Metrics } from './metrics';
import { OutboxRelay } from './outbox-relay';
import type { ResolvedRegion } from './home-region';
import { Readiness } from './readiness';
import { ServiceClient, resilienceOf } from './service-client';
import { HomeForwarder } from './home-forwarder';
import { RecentWriters } from './recent-writers';
import { Region, routeSecondary } from './region';
import { DailyVisitors } from './visitors';

export type DbName = 'orders' | 'inventory' | 'users';

/** Work a module does on its own in the background that writes (a projector, a sweeper). */
export interface BackgroundJob {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

/** An outbox the relay publishes: a database of the runtime's, or a pool the module owns (an order shard). */
export type Outbox = DbName | { name: string; pool: Pool };

/** What a module of domain `D` contributes to the process hosting it. */
export interface ModuleInstance<D extends Domain = Domain> {
  routes?(app: FastifyInstance): void;
  consumers?: ConsumerSpec[];
  /**
   * Listeners every instance runs for itself (ephemeral groups), wherever Kafka is configured,
   * also in a secondary region (on the mirrored topics): they only drop entries of in-process caches.
   */
  listeners?: ConsumerSpec[];
  /** Databases whose outbox this module writes; the relay publishes them (each pool once, by name). */
  outboxes?: Outbox[];
  /** In-process API other modules call when they share the process (its type is in `DomainApis`). */
  api?: ApiOf<D>;
  /** Background writers: started once the module is loaded, only where this region writes. */
  jobs?: BackgroundJob[];
  stop?(): Promise<void>;
}

export interface ModuleDef<D extends Domain = Domain> {
  domain: D;
  create(rt: Runtime): ModuleInstance<D>;
}

export class Runtime {
  readonly metrics: Metrics;
  private readonly dbs = new Map<DbName, Db>();
  private kafkaClient: Kafka | undefined;
  private producerP: Promise<Producer> | undefined;
  private redisClient: Redis | Cluster | undefined;
  private cacheClient: Cache | undefined;
  private featureFlags: Flags | undefined;
  private visitorCounter: DailyVisitors | undefined;
  private homeRedisClient: Redis | Cluster | undefined;
  private forwarder: HomeForwarder | undefined;
  private writers: RecentWriters | undefined;
  private readonly jobs: BackgroundJob[] = [];
  private publisher: BusinessMetricsPublisher | undefined;
  private readonly modules = new Map<Domain, ModuleInstance>();
  private readonly clients = new Map<Domain, ServiceClient>();
  private relay: OutboxRelay | undefined;
  private consumers: EventConsumer[] = [];
  private readonly extraPools: Pool[] = [];
  /** Whether load balancers should send this process requests (see readiness.ts). */
  readonly readiness: Readiness;
  readonly region: Region;
  /** This process among the service's instances: names its own consumer groups. */
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  app: FastifyInstance | undefined;

  constructor(
    readonly service: string,
    readonly cfg: Config,
    readonly log: Logger,
    metrics?: Metrics,
    /** The home region read at start (HOME_REGION_SOURCE), when it was. */
    private readonly homeRead?: Pick<ResolvedRegion, 'home' | 'promoted'>,
  ) {
    this.metrics = metrics ?? new Metrics(service);
    this.region = new Region(cfg);
    this.readiness = new Readiness([], cfg.READINESS_TOLERANCE_MS);
    if (this.region.secondary && cfg.DAILY_USERS && cfg.HOME_REDIS_CLUSTER_NODES.length === 0 && !cfg.HOME_REDIS_URL) {
      log.warn('REGION_ROLE=secondary without HOME_REDIS_CLUSTER_NODES or HOME_REDIS_URL: visitors entering this region are not counted (the local cache is read-only)');
    }
  }

  hosts(d: Domain): boolean {
    return this.modules.has(d);
  }

  db(name: DbName): Db {
    let d = this.dbs.get(name);
    if (!d) {
      const c = this.cfg;
      const url = name === 'orders' ? c.ORDERS_DB_URL : name === 'inventory' ? c.INVENTORY_DB_URL : c.USERS_DB_URL;
      const replicaUrls = !c.READ_REPLICAS ? [] : name === 'orders' ? c.ORDERS_DB_REPLICA_URLS : name === 'inventory' ? c.INVENTORY_DB_REPLICA_URLS : c.USERS_DB_REPLICA_URLS;
      const opts = { max: c.DB_POOL_MAX, statementTimeoutMs: c.DB_STATEMENT_TIMEOUT_MS, applicationName: `${this.service}:${name}` };
      d = new Db(name, createPool(url, opts), replicaUrls.map((u) => createPool(u, { ...opts, applicationName: `${opts.applicationName}:replica` })));
      this.dbs.set(name, d);
      const db = d;
      this.readiness.push({ name: `postgres:${name}`, check: () => db.ping() });
    }
    return d;
  }

  /** A pool outside the named databases (the sandbox payment ledger's own connections). */
  pool(url: string, appName: string, max = 4): Pool {
    const p = createPool(url, { max, statementTimeoutMs: this.cfg.DB_STATEMENT_TIMEOUT_MS, applicationName: appName });
    this.extraPools.push(p);
    return p;
  }

  kafka(): Kafka {
    if (!this.kafkaClient) this.kafkaClient = createKafka(this.cfg, `${this.cfg.KAFKA_CLIENT_ID}-${this.service}`, this.log);
    return this.kafkaClient;
  }

  producer(): Promise<Producer> {
    if (!this.producerP) {
      const p = this.kafka().producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 5, initialRetryTime: 100 } });
      this.producerP = p.connect().then(() => p);
      this.producerP.catch(() => {
        this.producerP = undefined;
      });
    }
    return this.producerP;
  }

  /** The process's one Redis client (cluster or standalone), or undefined when none is configured. */
  redis(): Redis | Cluster | undefined {
    if (!this.redisClient) {
      this.redisClient = Cache.connect(this.cfg);
      const redis = this.redisClient;
      if (redis) this.readiness.push({ name: 'redis', check: async () => void (await redis.ping()) });
    }
    return this.redisClient;
  }

  cache(): Cache | undefined {
    if (!this.cfg.CACHE) return undefined;
    this.cacheClient ??= new Cache(this.redis()!, this.cfg.CACHE_KEY_PREFIX, this.cfg.CACHE_TTL_SECONDS, this.log, this.metrics, !this.region.writable, () =>
      this.flags().enabled('catalogue-cache'),
    );
    return this.cacheClient;
  }

  /** The feature flags (FLAGS_SOURCE), read in the background from the first use on. */
  flags(): Flags {
    if (!this.featureFlags) {
      const c = this.cfg;
      this.featureFlags = new Flags({ source: flagSourceOf(c), pollMs: c.FLAGS_POLL_MS, log: this.log.child({ component: 'flags' }), name: this.service });
      this.featureFlags.start();
    }
    return this.featureFlags;
  }

  /** An in-process cache of `kind` (LOCAL_CACHE_ENTRIES > 0), or undefined when off. */
  localCache<T extends { version?: number }>(kind: string): LocalCache<T> | undefined {
    if (this.cfg.LOCAL_CACHE_ENTRIES === 0) return undefined;
    return new LocalCache<T>(`local:${kind}`, this.cfg.LOCAL_CACHE_ENTRIES, this.cfg.LOCAL_CACHE_TTL_MS, this.metrics);
  }

  /** Who wrote recently (read-your-writes); in a secondary, markers are only read and an unreadable one sends the read home. */
  recentWriters(): RecentWriters {
    this.writers ??= new RecentWriters({
      windowMs: this.cfg.READ_YOUR_WRITES_WINDOW_MS,
      ...(this.cache() ? { cache: this.cache() } : {}),
      markers: this.region.writable ? 'write' : 'read',
      whenUnknown: this.region.secondary,
    });
    return this.writers;
  }

  /** The Redis visitors are counted in: this region's, or in a secondary the primary's (HOME_REDIS_*), if configured. */
  private visitorRedis(): Redis | Cluster | undefined {
    if (this.region.writable) return this.redis();
    this.homeRedisClient ??= Cache.connectHome(this.cfg);
    return this.homeRedisClient;
  }

  /** Distinct visitors over 24 hours, shared by every instance through Redis (DAILY_USERS, with Redis configured). */
  visitors(): DailyVisitors | undefined {
    if (!this.visitorCounter && this.cfg.DAILY_USERS) {
      const redis = this.visitorRedis();
      if (redis) {
        const counter = new DailyVisitors(redis, this.cfg.CACHE_KEY_PREFIX, this.log.child({ component: 'visitors' }));
        this.visitorCounter = counter;
        this.metrics.watchDailyUsers(() => counter.count());
      }
    }
    return this.visitorCounter;
  }

  /** A client for another service, with breaker, timeout and retries. */
  client(d: Domain): ServiceClient {
    let cl = this.clients.get(d);
    if (!cl) {
      const url = this.cfg.SERVICE_URLS[d];
      if (!url) throw new Error(`SERVICE_URLS=(no ${d}=...): ${this.service} calls the ${d} service, which this process does not host`);
      cl = new ServiceClient({ baseUrl: url, target: d, ...resilienceOf(this.cfg, this.metrics) });
      this.clients.set(d, cl);
    }
    return cl;
  }

  /** The in-process API of `d` when hosted here, else undefined (callers use HTTP). */
  local<D extends CalledDomain>(d: D): DomainApis[D] | undefined {
    // The module registered under `d` is a ModuleDef<D>, whose api is DomainApis[D].
    return this.modules.get(d)?.api as DomainApis[D] | undefined;
  }

  /** Instantiates modules in dependency-free order; ports are resolved at call time. */
  load(defs: ModuleDef[]): void {
    for (const def of defs) {
      if (!DOMAINS.includes(def.domain)) throw new Error(`unknown domain ${def.domain}`);
      // Register first so modules created later can see earlier ones and vice versa via local().
      this.modules.set(def.domain, {});
    }
    for (const def of defs) this.modules.set(def.domain, def.create(this));
    // Background writers write to this region's stores: a secondary's are read-only replicas.
    if (this.region.writable) {
      for (const m of this.modules.values()) {
        for (const job of m.jobs ?? []) {
          job.start();
          this.jobs.push(job);
        }
      }
    }
  }

  /** Forwards requests to the primary region (secondary only). */
  private home(): HomeForwarder {
    this.forwarder ??= new HomeForwarder({ baseUrl: this.cfg.HOME_API_URL!, fromRegion: this.region.name, ...resilienceOf(this.cfg, this.metrics) });
    return this.forwarder;
  }

  /** Builds the HTTP app (not listening): used by tests with inject() and by start(). */
  buildApp(): FastifyInstance {
    if (!this.app) {
      const visitors = this.visitors();
      const secondary = this.region.secondary;
      const app = createServer({
        log: this.log,
        metrics: this.metrics,
        readiness: this.readiness,
        onVisitor: visitors && ((id) => visitors.seen(id)),
        ...(secondary ? { answerAtHome: (req, reply) => this.home().forward(req, reply) } : {}),
      });
      if (secondary) {
        routeSecondary(app, {
          forward: (req, reply) => this.home().forward(req, reply),
          writesTaken: () => this.flags().enabled('region-writes'),
          // The customer's next reads go home while this region's copy may lag (read-your-writes).
          onWriteAccepted: (req) => {
            const customer = req.headers['x-customer-id'];
            if (typeof customer === 'string' && customer) this.recentWriters().remember(customer);
          },
        });
      }
      for (const m of this.modules.values()) m.routes?.(app);
      this.app = app;
    }
    return this.app;
  }

  async startWorkers(): Promise<void> {
    const c = this.cfg;
    // The schema refuses this combination; a process that builds its config by hand is stopped here.
    if (this.region.secondary && (c.RELAY || c.CONSUMERS)) throw new Error('RELAY and CONSUMERS must be off when REGION_ROLE=secondary: the relay and the saga run in the primary region');
    if (c.CLOUDWATCH_NAMESPACE) {
      const visitors = this.hosts('analytics') ? this.visitors() : undefined;
      this.publisher = new BusinessMetricsPublisher({
        namespace: c.CLOUDWATCH_NAMESPACE,
        region: c.AWS_REGION,
        intervalMs: c.BUSINESS_METRICS_INTERVAL_MS,
        metrics: this.metrics,
        log: this.log.child({ component: 'business-metrics' }),
        ...(visitors ? { dailyUsers: () => visitors.count() } : {}),
      });
      this.publisher.start();
    }
    if (c.RELAY) {
      const outboxes = new Map<string, Pool>();
      for (const m of this.modules.values()) {
        for (const o of m.outboxes ?? []) {
          const name = typeof o === 'string' ? o : o.name;
          if (!outboxes.has(name)) outboxes.set(name, typeof o === 'string' ? this.db(o).primary : o.pool);
        }
      }
      const pools = [...outboxes].map(([name, pool]) => ({ name, pool }));
      if (pools.length > 0) {
        this.relay = new OutboxRelay({
          pools,
          producer: () => this.producer(),
          topicPrefix: c.KAFKA_TOPIC_PREFIX,
          batchSize: c.RELAY_BATCH_SIZE,
          pollMs: c.RELAY_POLL_MS,
          log: this.log.child({ component: 'relay' }),
          metrics: this.metrics,
          ...(this.homeRead?.home !== undefined && this.homeRead.home === c.AWS_REGION ? { home: { region: c.AWS_REGION, promoted: this.homeRead.promoted, windowMs: c.OUTBOX_REPUBLISH_WINDOW_MS } } : {}),
        });
        this.relay.start();
      }
    }
    const listeners = c.KAFKA_BROKERS.length > 0 ? [...this.modules.values()].flatMap((m) => m.listeners ?? []) : [];
    const specs = [...(c.CONSUMERS ? [...this.modules.values()].flatMap((m) => m.consumers ?? []) : []), ...listeners];
    if (specs.length > 0) {
      for (const spec of specs) {
        const consumer = new EventConsumer(spec, { kafka: this.kafka(), topicPrefix: c.KAFKA_TOPIC_PREFIX, log: this.log.child({ consumer: spec.name }), metrics: this.metrics });
        this.consumers.push(consumer);
      }
      await Promise.all(this.consumers.map((x) => x.start()));
    }
  }

  async listen(): Promise<string> {
    const app = this.buildApp();
    return app.listen({ port: this.cfg.PORT, host: this.cfg.HOST });
  }

  /** Starts leaving: /readyz answers 503 and every answer closes its connection. */
  drain(): void {
    this.readiness.drain();
  }

  /**
   * Stops everything: HTTP finishes the requests in flight (within SHUTDOWN_GRACE_MS) while the
   * consumers leave their groups and the relay ends its round; then the connections close.
   */
  async stop(): Promise<void> {
    this.drain();
    const http = this.app
      ? closeGracefully(this.app, this.cfg.SHUTDOWN_GRACE_MS).then(
          (cut) => cut > 0 && this.log.warn({ connections: cut, graceMs: this.cfg.SHUTDOWN_GRACE_MS }, 'requests still in flight when the shutdown grace ended'),
          () => undefined,
        )
      : Promise.resolve();
    await Promise.all([
      http,
      ...this.consumers.map((c) => c.stop().catch(() => undefined)),
      this.relay?.stop(),
      ...this.jobs.map((j) => j.stop().catch(() => undefined)),
    ]);
    for (const m of this.modules.values()) await m.stop?.().catch(() => undefined);
    if (this.producerP) await (await this.producerP.catch(() => undefined))?.disconnect().catch(() => undefined);
    await this.publisher?.stop();
    await this.featureFlags?.stop();
    await this.visitorCounter?.stop();
    this.redisClient?.disconnect();
    this.homeRedisClient?.disconnect();
    this.forwarder?.close();
    await Promise.all([...this.dbs.values()].map((d) => d.close().catch(() => undefined)));
    await Promise.all(this.extraPools.map((p) => p.end().catch(() => undefined)));
  }
}
