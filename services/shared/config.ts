/**
 * Service configuration: one zod schema over the process environment.
 *
 * Every variable the services read is declared here, with its type, default and meaning.
 * The infrastructure code imports {@link CONFIG_VARIABLES} to set them from a phase spec
 * (EC2 user data, Kubernetes ConfigMaps); docs/services.md lists them for people.
 */
import { z } from 'zod';

/** The eight domains; each is a module and, in microservice phases, a service. */
export const DOMAINS = ['user', 'product', 'order', 'inventory', 'payment', 'shipping', 'notification', 'analytics'] as const;
export type Domain = (typeof DOMAINS)[number];

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be one of true, false, 1, 0, yes, no, on, off' })
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const int = (def: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .default(String(def))
    .transform(Number)
    .pipe(z.number().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const pgUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// or postgresql:// URL' });

const csv = (item: z.ZodString) =>
  z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
    .pipe(z.array(item));

const hostPort = z.string().regex(/^[A-Za-z0-9_.\-]+:\d{1,5}$/, { message: 'each entry must be host:port' });

/** Service URLs: `product=http://product:3000,inventory=http://inventory:3000`. */
const serviceUrls = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const out: Partial<Record<Domain, string>> = {};
    for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      const name = part.slice(0, eq) as Domain;
      const url = part.slice(eq + 1);
      if (eq < 1 || !DOMAINS.includes(name)) {
        ctx.addIssue({ code: 'custom', message: `entry "${part}" must be <service>=<url> with service one of ${DOMAINS.join(', ')}` });
        continue;
      }
      if (!/^https?:\/\/[^\s]+$/.test(url)) {
        ctx.addIssue({ code: 'custom', message: `entry "${part}" must have an http(s):// URL` });
        continue;
      }
      out[name] = url.replace(/\/$/, '');
    }
    return out;
  });

/** Region API URLs: `us-east-1=https://api.internal.us-east-1.example.com,us-west-2=...`. */
const regionUrls = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const out: Record<string, string> = {};
    for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
      const eq = part.indexOf('=');
      const url = part.slice(eq + 1);
      if (eq < 1 || !/^[a-z0-9-]+$/.test(part.slice(0, eq))) ctx.addIssue({ code: 'custom', message: `entry "${part}" must be <region>=<url> with a region name of a-z, 0-9 and -` });
      else if (!/^https?:\/\/[^\s?#]+$/.test(url)) ctx.addIssue({ code: 'custom', message: `entry "${part}" must have an http(s):// base URL` });
      else out[part.slice(0, eq)] = url.replace(/\/+$/, '');
    }
    return out;
  });

/**
 * The schema. Keys are the environment variable names. Each `describe` is the documentation
 * that docs/services.md repeats. The infrastructure types the services' environment from it.
 *
 * @public
 */
export const configSchema = z
  .object({
    PORT: int(3000, 0, 65535).describe('HTTP port to listen on (0 picks a free port).'),
    HOST: z.string().default('0.0.0.0').describe('Address to bind.'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.'),
    PROCESSES: z
      .string()
      .regex(/^(auto|[1-9]\d{0,2})$/, { message: 'must be auto or a whole number from 1 to 999' })
      .default('1')
      .transform((v): number | 'auto' => (v === 'auto' ? 'auto' : Number(v)))
      .describe('Worker processes sharing PORT (node:cluster), each with its own connections; auto: one per CPU. Anything but 1 adds a supervisor that restarts workers and serves their summed /metrics on METRICS_PORT.'),
    METRICS_PORT: int(9464, 1, 65535).describe('Port of the supervisor\'s /metrics (all workers\' metrics, summed) when PROCESSES is not 1.'),

    ORDERS_DB_URL: pgUrl.describe('Orders database (orders, payments, shipments; the shard directory when SHARDING is on).'),
    INVENTORY_DB_URL: pgUrl.describe('Inventory database (stock, reservations, and the product catalogue when CATALOG_STORE=postgres).'),
    USERS_DB_URL: pgUrl.describe('Users database (users, notifications, analytics).'),
    DB_POOL_MAX: int(10, 1, 500).describe('Connections per pool.'),
    DB_STATEMENT_TIMEOUT_MS: int(5000, 100, 600000).describe('statement_timeout for every connection.'),

    READ_REPLICAS: bool(false).describe('Send staleness-tolerant reads to replicas (read/write splitting).'),
    ORDERS_DB_REPLICA_URLS: csv(pgUrl).describe('Comma-separated replica URLs of the orders database.'),
    INVENTORY_DB_REPLICA_URLS: csv(pgUrl).describe('Comma-separated replica URLs of the inventory database.'),
    USERS_DB_REPLICA_URLS: csv(pgUrl).describe('Comma-separated replica URLs of the users database.'),
    READ_YOUR_WRITES_WINDOW_MS: int(5000, 0, 3600000).describe('For this long after a customer writes, that customer\'s order reads go to the primary.'),

    SHARDING: bool(false).describe('Store orders in shards by customer (ORDER_SHARD_URLS); ORDERS_DB_URL holds the bucket directory.'),
    ORDER_SHARD_URLS: csv(pgUrl).describe('Comma-separated URLs of the order shards, shard 0 first.'),
    ORDER_BUCKETS: int(64, 1, 65535).describe('Logical buckets orders are hashed into by customer id; fixed for the life of the data.'),

    KAFKA_BROKERS: csv(hostPort).describe('Comma-separated host:port bootstrap brokers.'),
    KAFKA_CLIENT_ID: z.string().default('order-platform').describe('Kafka client id.'),
    KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, { message: 'may hold only letters, digits, . _ -' }).default('').describe('Prefix of every topic and consumer group name.'),
    KAFKA_TOPIC_PARTITIONS: int(3, 1, 10000).describe('Partitions per topic; the provisioner grows topics to this and never shrinks them.'),
    KAFKA_REPLICATION_FACTOR: int(1, 1, 32).describe('Replication factor of created topics.'),
    KAFKA_SSL: bool(false).describe('Use TLS to the brokers (MSK: true).'),
    KAFKA_SASL_MECHANISM: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512', 'aws-iam']).default('none').describe('SASL mechanism. aws-iam: MSK IAM over OAUTHBEARER, signed with the process\'s AWS credentials (needs AWS_REGION).'),
    SECRETS_REGION: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'must be an AWS region such as us-west-2' })
      .optional()
      .describe('Where Secrets Manager secrets (credentials=ARN, fetch-secrets.sh) are read: their replicas in this region instead of the region in their ARN. Set in a secondary region, whose secrets are replicas of the primary\'s.'),
    AWS_REGION: z.string().default('').describe('AWS region of the MSK cluster and of CloudWatch, for signing requests (aws-iam, CLOUDWATCH_NAMESPACE).'),
    KAFKA_SASL_USERNAME: z.string().default('').describe('SASL username (plain, scram).'),
    KAFKA_SASL_PASSWORD: z.string().default('').describe('SASL password (plain, scram).'),

    CACHE: bool(false).describe('Cache-aside in Redis for catalogue and stock reads, invalidated by events.'),
    REDIS_URL: z.string().regex(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' }).optional().describe('Standalone Redis (used when REDIS_CLUSTER_NODES is empty).'),
    REDIS_CLUSTER_NODES: csv(hostPort).describe('Comma-separated host:port seeds of a Redis cluster.'),
    REDIS_TLS: bool(false).describe('Use TLS to Redis (ElastiCache in-transit encryption).'),
    REDIS_PASSWORD: z.string().default('').describe('AUTH password of Redis (the ElastiCache AUTH token), standalone or cluster.'),
    CACHE_TTL_SECONDS: int(300, 1, 86400).describe('Time to live of cached entries, a backstop to event invalidation.'),
    CACHE_KEY_PREFIX: z.string().default('').describe('Prefix of every cache key (and of the daily-visitor keys).'),
    LOCAL_CACHE_ENTRIES: int(0, 0, 1_000_000).describe('Entries of the in-process catalogue cache in front of Redis (an LRU per instance, dropped by each instance on ProductChanged); 0: off.'),
    LOCAL_CACHE_TTL_MS: int(2000, 100, 600000).describe('Longest an in-process entry is kept: a change is visible in every instance within this, even when its event is late or lost.'),
    DAILY_USERS: bool(true).describe('Count distinct visitors over 24 hours in Redis (a HyperLogLog per hour), when Redis is configured: the daily_active_users gauge and DailyActiveUsers.'),
    CLOUDWATCH_NAMESPACE: z
      .string()
      .regex(/^(?!AWS\/)[A-Za-z0-9._\-/#:]{1,255}$/, { message: 'must be 1-255 of letters, digits . _ - / # : and not start with AWS/' })
      .optional()
      .describe('Publish the business metrics (OrdersPlaced, CheckoutAttempts, RevenueCents, DailyActiveUsers) to this CloudWatch namespace; unset: not published.'),
    BUSINESS_METRICS_INTERVAL_MS: int(60000, 1000, 3600000).describe('How often the business metrics are published to CloudWatch.'),
    FLAGS_SOURCE: z
      .string()
      .regex(/^(appconfig:[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+|file:.+)$/, { message: 'must be appconfig:<application>/<environment>/<profile> or file:<path>' })
      .optional()
      .describe('Where the feature flags (phases/flags.ts) are read: appconfig:<application>/<environment>/<profile> (AppConfigData in AWS_REGION, by name or ID) or file:<path> (the JSON AppConfig returns: {"<flag>": {"enabled": true}}). Read again every FLAGS_POLL_MS; until a read succeeds, and when one fails, the last values read or else the definitions\' own. Unset: the definitions\' values.'),
    FLAGS_POLL_MS: int(30000, 1000, 86400000).describe('How often FLAGS_SOURCE is read again (AppConfig asks for at least 15000).'),

    CATALOG_STORE: z.enum(['postgres', 'mongo']).default('postgres').describe('Where the product catalogue lives.'),
    MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\/.+/, { message: 'must be a mongodb:// URL' }).optional().describe('MongoDB / DocumentDB URL (CATALOG_STORE=mongo).'),
    MONGO_DB: z.string().default('catalog').describe('MongoDB database name.'),

    ORDER_ACTIVITY: bool(false).describe('Keep every order event the analytics service consumes as one document of the order_activity collection in ANALYTICS_MONGO_URL (its id the event id), and serve GET /analytics/customers/:customerId/activity from it.'),
    ANALYTICS_MONGO_URL: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/.+/, { message: 'must be a mongodb:// URL' })
      .optional()
      .describe('MongoDB / DocumentDB (elastic cluster) URL of the order-activity collection (ORDER_ACTIVITY). A `credentials` parameter names where the password is read at run time: a Secrets Manager ARN or a JSON file, as for the PostgreSQL URLs; a secret holding only a password logs in as the URL\'s user.'),
    ANALYTICS_MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, { message: 'must be 1-63 letters, digits, _ or -' }).default('analytics').describe('Database of the order-activity collection.'),
    ANALYTICS_MONGO_SHARDED: bool(false).describe('The schema tool shards the order-activity collection by a hashed customerId (the server must shard: a DocumentDB elastic cluster or mongos).'),
    EVENT_SOURCING: bool(false).describe('Append every order change to an event log and serve order reads from its projection (CQRS).'),

    SERVICE_URLS: serviceUrls.describe('Where other services are: product=http://...,inventory=http://...; a domain not hosted in this process must be listed when it is called.'),
    HTTP_CLIENT_TIMEOUT_MS: int(2000, 10, 60000).describe('Timeout of one call to another service.'),
    HTTP_CLIENT_RETRIES: int(2, 0, 10).describe('Retries (with exponential backoff and jitter) of a failed call.'),
    HTTP_CLIENT_BACKOFF_MS: int(50, 1, 10000).describe('First backoff delay; doubles on each retry.'),
    BREAKER_ERROR_PERCENT: int(50, 1, 100).describe('Error percentage that opens a circuit breaker.'),
    BREAKER_RESET_MS: int(5000, 100, 600000).describe('How long an open breaker waits before a trial call.'),
    BREAKER_VOLUME_THRESHOLD: int(5, 0, 10000).describe('Calls in the window before the breaker may open.'),

    REGION_ROLE: z.enum(['primary', 'secondary']).default('primary').describe('primary: this region takes writes (its databases, DocumentDB and cache are writable; relay and consumers run here). secondary: reads from the local read-only replicas, every write forwarded to HOME_API_URL; relay and consumers off.'),
    HOME_API_URL: z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'must be an http(s):// base URL without query or fragment' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional()
      .describe('Base URL of the primary region\'s internal API entry (the public API\'s paths); a secondary forwards writes there. Required when REGION_ROLE=secondary; unused in a primary.'),
    HOME_REGION_SOURCE: z
      .string()
      .regex(/^(ssm:([a-z]{2}(-[a-z]+)+-\d:)?[A-Za-z0-9_.\-/]+|file:.+)$/, { message: 'must be ssm:[<region>:]<parameter name> or file:<path>' })
      .optional()
      .describe('Where the name of the home (primary) region is read: ssm:<parameter> (SSM Parameter Store in AWS_REGION), ssm:<region>:<parameter> (in that region) or file:<path>. Set: the role is derived from it at start (home = AWS_REGION: primary; otherwise secondary, forwarding to REGION_API_URLS[home]), and when it changes the process drains and exits 0 to start again in its new role. Unset: REGION_ROLE and HOME_API_URL as given.'),
    REGION_API_URLS: regionUrls.describe('Internal API base URL of each region this region may forward writes to: us-east-1=https://...,us-west-2=https://... (with HOME_REGION_SOURCE).'),
    HOME_REGION_POLL_MS: int(10000, 100, 3600000).describe('How often HOME_REGION_SOURCE is read again; a failed read keeps the current role.'),
    HOME_REDIS_CLUSTER_NODES: csv(hostPort).describe('Comma-separated host:port seeds of the primary region\'s cache; a secondary sends its daily-visitor counts there, batched (REDIS_TLS and REDIS_PASSWORD apply). Unset in a secondary: visitors are not counted there.'),
    HOME_REDIS_URL: z.string().regex(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' }).optional().describe('Standalone Redis of the primary region (used when HOME_REDIS_CLUSTER_NODES is empty), for a secondary\'s daily-visitor counts.'),

    RELAY: bool(true).describe('Run the outbox relay for this process\'s databases (default off when REGION_ROLE=secondary, and may not be turned on there).'),
    RELAY_BATCH_SIZE: int(200, 1, 10000).describe('Outbox rows published per relay round.'),
    RELAY_POLL_MS: int(50, 1, 60000).describe('Relay idle poll interval.'),
    OUTBOX_REPUBLISH_WINDOW_MS: int(600000, 0, 86400000).describe('When the home region moved here (deployed with REGION_ROLE=secondary, HOME_REGION_SOURCE now naming AWS_REGION), the relay first publishes again the outbox rows published in this window before the last publish its promoted database holds: events the lost primary published that MirrorMaker 2 may not have copied. Once per promotion across instances and restarts (recorded in home_region_changes); consumers are idempotent. 0: nothing is published again.'),
    CONSUMERS: bool(true).describe('Run this process\'s Kafka consumers (default off when REGION_ROLE=secondary, and may not be turned on there).'),
    HTTP: bool(true).describe('Serve HTTP (false for a worker-only process).'),
    SHUTDOWN_GRACE_MS: int(20000, 0, 600000).describe('On SIGTERM, how long in-flight requests may take to finish (each answered with Connection: close) before the remaining connections are closed; the relay and consumers stop meanwhile.'),
    READINESS_TOLERANCE_MS: int(120000, 0, 3600000).describe('/readyz stays 200 while a dependency (PostgreSQL, Redis) has failed for less than this without a success, so that a database failover does not make every instance unready at once; a dependency never reached since start makes the instance unready at once.'),

    PAYMENT_PROVIDER: z.enum(['sandbox']).default('sandbox').describe('Payment provider; only the deterministic sandbox is built in.'),
    SHIPPING_COUNTRIES: csv(z.string().regex(/^[A-Z]{2}$/, { message: 'each entry must be a two-letter country code' }))
      .default(['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'IE', 'ES', 'IT'])
      .describe('Countries shipping accepts; orders to others are refunded.'),
  })
  .superRefine((c, ctx) => {
    if (c.SHARDING && c.ORDER_SHARD_URLS.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['ORDER_SHARD_URLS'], message: 'must list at least one shard when SHARDING is on' });
    }
    if (c.SHARDING && c.ORDER_SHARD_URLS.length > c.ORDER_BUCKETS) {
      ctx.addIssue({ code: 'custom', path: ['ORDER_BUCKETS'], message: `must be at least the number of shards (${c.ORDER_SHARD_URLS.length})` });
    }
    if (c.READ_REPLICAS && c.ORDERS_DB_REPLICA_URLS.length + c.INVENTORY_DB_REPLICA_URLS.length + c.USERS_DB_REPLICA_URLS.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['ORDERS_DB_REPLICA_URLS'], message: 'at least one *_DB_REPLICA_URLS must be set when READ_REPLICAS is on' });
    }
    if (c.CACHE && !c.REDIS_URL && c.REDIS_CLUSTER_NODES.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'REDIS_CLUSTER_NODES or REDIS_URL must be set when CACHE is on' });
    }
    if (c.CATALOG_STORE === 'mongo' && !c.MONGO_URL) {
      ctx.addIssue({ code: 'custom', path: ['MONGO_URL'], message: 'must be set when CATALOG_STORE=mongo' });
    }
    if (c.ORDER_ACTIVITY && !c.ANALYTICS_MONGO_URL) {
      ctx.addIssue({ code: 'custom', path: ['ANALYTICS_MONGO_URL'], message: 'must be set when ORDER_ACTIVITY is on' });
    }
    if (c.CLOUDWATCH_NAMESPACE && !c.AWS_REGION) {
      ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'must be set when CLOUDWATCH_NAMESPACE is set' });
    }
    if (c.KAFKA_SASL_MECHANISM === 'aws-iam' && !c.AWS_REGION) {
      ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'must be set when KAFKA_SASL_MECHANISM=aws-iam' });
    }
    if (c.FLAGS_SOURCE?.startsWith('appconfig:') && !c.AWS_REGION) {
      ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'must be set when FLAGS_SOURCE is appconfig:...' });
    }
    if (c.HOME_REGION_SOURCE && !c.AWS_REGION) {
      ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'must be set when HOME_REGION_SOURCE is set: the role is this region compared with the home region' });
    }
    if (c.REGION_ROLE === 'secondary') {
      if (!c.HOME_API_URL) ctx.addIssue({ code: 'custom', path: ['HOME_API_URL'], message: 'must be set when REGION_ROLE=secondary: writes are forwarded to the primary region' });
      if (c.RELAY) ctx.addIssue({ code: 'custom', path: ['RELAY'], message: 'must be off when REGION_ROLE=secondary: the outbox relay runs only in the primary region' });
      if (c.CONSUMERS) ctx.addIssue({ code: 'custom', path: ['CONSUMERS'], message: 'must be off when REGION_ROLE=secondary: the saga\'s consumers run only in the primary region' });
    }
    if ((c.KAFKA_SASL_MECHANISM === 'plain' || c.KAFKA_SASL_MECHANISM.startsWith('scram')) && !c.KAFKA_SASL_USERNAME) {
      ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_USERNAME'], message: `must be set when KAFKA_SASL_MECHANISM=${c.KAFKA_SASL_MECHANISM}` });
    }
  });

export type Config = z.output<typeof configSchema>;

/** Names of every variable, for infrastructure code that sets them. */
/** The name of one variable of the services' environment. */
export type ServiceVariable = keyof Config;

export const CONFIG_VARIABLES = Object.keys(configSchema.shape) as ServiceVariable[];

/** Variables with their descriptions and defaults, in schema order (docs/services.md lists the same). */
export function describeVariables(): { name: string; description: string; required: boolean; default?: string }[] {
  return Object.entries(configSchema.shape).map(([name, schema]) => {
    const s = schema as z.ZodType & { description?: string };
    const parsed = s.safeParse(undefined);
    let def: string | undefined;
    if (parsed.success && parsed.data !== undefined) {
      const d = parsed.data as unknown;
      def = Array.isArray(d) ? d.join(',') : typeof d === 'object' && d !== null ? '' : String(d);
    }
    return { name, description: s.description ?? '', required: !parsed.success, ...(def !== undefined ? { default: def } : {}) };
  });
}

/** Thrown when the environment does not satisfy the schema; the message lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const SECRET = /PASSWORD|SECRET/;

/**
 * Defaults that depend on REGION_ROLE, applied to unset variables before parsing: a secondary
 * region runs no relay and no consumers, and setting either on there is refused by the schema.
 */
const ROLE_DEFAULTS: Record<string, Record<string, string>> = {
  secondary: { RELAY: 'false', CONSUMERS: 'false' },
};

/** Parses the environment; throws {@link ConfigError} naming each variable, its value and the rule broken. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of CONFIG_VARIABLES) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  for (const [key, v] of Object.entries(ROLE_DEFAULTS[input.REGION_ROLE ?? 'primary'] ?? {})) input[key] ??= v;
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(config)');
    const raw = input[name];
    const shown = raw === undefined ? '(unset)' : SECRET.test(name) ? '(hidden)' : JSON.stringify(raw);
    const values = (issue as { values?: unknown[] }).values;
    const rule =
      raw === undefined && issue.code === 'invalid_type' ? 'is required' : issue.code === 'invalid_value' && values && !/^must /.test(issue.message) ? `must be one of ${values.join(', ')}` : issue.message;
    return `${name}=${shown}: ${rule}`;
  });
  throw new ConfigError(problems);
}
