/** Configuration is checked at start: every bad value is named with its value and the rule. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CONFIG_VARIABLES, ConfigError, describeVariables, loadConfig } from '../../services/shared/config';
import { kafkaConfig } from '../../services/shared/kafka';

const base = { ORDERS_DB_URL: 'postgres://u:p@db:5432/orders', INVENTORY_DB_URL: 'postgres://u:p@db:5432/inventory', USERS_DB_URL: 'postgres://u:p@db:5432/users' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

test('the defaults give a single-database, unsharded, uncached configuration', () => {
  const c = loadConfig(base);
  expect(c).toMatchObject({ PORT: 3000, SHARDING: false, READ_REPLICAS: false, CACHE: false, EVENT_SOURCING: false, CATALOG_STORE: 'postgres', ORDER_BUCKETS: 64, KAFKA_TOPIC_PARTITIONS: 3 });
});

test('lists, flags and service URLs are parsed', () => {
  const c = loadConfig({ ...base, KAFKA_BROKERS: 'b1:9094, b2:9094', SHARDING: 'on', ORDER_SHARD_URLS: 'postgres://a/x,postgres://b/y', SERVICE_URLS: 'product=http://product:3000/,payment=http://payment:3000' });
  expect(c.KAFKA_BROKERS).toEqual(['b1:9094', 'b2:9094']);
  expect(c.SHARDING).toBe(true);
  expect(c.ORDER_SHARD_URLS).toHaveLength(2);
  expect(c.SERVICE_URLS).toEqual({ product: 'http://product:3000', payment: 'http://payment:3000' });
});

test('a missing required variable is named', () => {
  expect(problems({})).toEqual(['ORDERS_DB_URL=(unset): is required', 'INVENTORY_DB_URL=(unset): is required', 'USERS_DB_URL=(unset): is required']);
});

test.each([
  [{ PORT: 'eighty' }, 'PORT="eighty": must be a whole number'],
  [{ PORT: '70000' }, 'PORT="70000": must be at most 65535'],
  [{ SHARDING: 'maybe' }, 'SHARDING="maybe": must be one of true, false, 1, 0, yes, no, on, off'],
  [{ KAFKA_BROKERS: 'b1:9094,nonsense' }, 'KAFKA_BROKERS="b1:9094,nonsense": each entry must be host:port'],
  [{ ORDERS_DB_URL: 'mysql://x' }, 'ORDERS_DB_URL="mysql://x": must be a postgres:// or postgresql:// URL'],
  [{ SHARDING: 'true' }, 'ORDER_SHARD_URLS=(unset): must list at least one shard when SHARDING is on'],
  [{ CACHE: 'true' }, 'REDIS_CLUSTER_NODES=(unset): REDIS_CLUSTER_NODES or REDIS_URL must be set when CACHE is on'],
  [{ CATALOG_STORE: 'mongo' }, 'MONGO_URL=(unset): must be set when CATALOG_STORE=mongo'],
  [{ ORDER_ACTIVITY: 'true' }, 'ANALYTICS_MONGO_URL=(unset): must be set when ORDER_ACTIVITY is on'],
  [{ ANALYTICS_MONGO_URL: 'http://elastic' }, 'ANALYTICS_MONGO_URL="http://elastic": must be a mongodb:// URL'],
  [{ SERVICE_URLS: 'basket=http://x' }, 'SERVICE_URLS="basket=http://x": entry "basket=http://x" must be <service>=<url> with service one of user, product, order, inventory, payment, shipping, notification, analytics'],
  [{ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'secret' }, 'KAFKA_SASL_USERNAME=(unset): must be set when KAFKA_SASL_MECHANISM=scram-sha-512'],
  [{ CLOUDWATCH_NAMESPACE: 'AWS/EC2', AWS_REGION: 'us-east-1' }, 'CLOUDWATCH_NAMESPACE="AWS/EC2": must be 1-255 of letters, digits . _ - / # : and not start with AWS/'],
  [{ CLOUDWATCH_NAMESPACE: 'OrderPlatform/Business' }, 'AWS_REGION=(unset): must be set when CLOUDWATCH_NAMESPACE is set'],
  [{ BUSINESS_METRICS_INTERVAL_MS: '10' }, 'BUSINESS_METRICS_INTERVAL_MS="10": must be at least 1000'],
  [{ REGION_ROLE: 'tertiary' }, 'REGION_ROLE="tertiary": must be one of primary, secondary'],
  [{ REGION_ROLE: 'secondary' }, 'HOME_API_URL=(unset): must be set when REGION_ROLE=secondary: writes are forwarded to the primary region'],
  [{ REGION_ROLE: 'secondary', HOME_API_URL: 'ftp://home' }, 'HOME_API_URL="ftp://home": must be an http(s):// base URL without query or fragment'],
  [{ REGION_ROLE: 'secondary', HOME_API_URL: 'https://api.us-east-1.internal', RELAY: 'true' }, 'RELAY="true": must be off when REGION_ROLE=secondary: the outbox relay runs only in the primary region'],
  [{ REGION_ROLE: 'secondary', HOME_API_URL: 'https://api.us-east-1.internal', CONSUMERS: 'on' }, 'CONSUMERS="on": must be off when REGION_ROLE=secondary: the saga\'s consumers run only in the primary region'],
  [{ HOME_REDIS_CLUSTER_NODES: 'cache.us-east-1' }, 'HOME_REDIS_CLUSTER_NODES="cache.us-east-1": each entry must be host:port'],
])('%j is refused: %s', (env, message) => {
  expect(problems({ ...base, ...env })).toEqual([message]);
});

test('a secondary region turns the relay and the consumers off unless told otherwise, and a primary ignores HOME_API_URL', () => {
  const secondary = loadConfig({ ...base, REGION_ROLE: 'secondary', HOME_API_URL: 'https://api.us-east-1.internal/', HOME_REDIS_URL: 'rediss://cache.us-east-1:6379' });
  expect(secondary).toMatchObject({ REGION_ROLE: 'secondary', HOME_API_URL: 'https://api.us-east-1.internal', RELAY: false, CONSUMERS: false });
  expect(loadConfig({ ...base, REGION_ROLE: 'secondary', HOME_API_URL: 'http://home', RELAY: 'false' }).RELAY).toBe(false);
  expect(loadConfig({ ...base, HOME_API_URL: 'http://home' })).toMatchObject({ REGION_ROLE: 'primary', RELAY: true, CONSUMERS: true });
});

test('every value problem is reported at once', () => {
  expect(problems({ ...base, PORT: '-1', LOG_LEVEL: 'loud', CATALOG_STORE: 'oracle' })).toEqual([
    'PORT="-1": must be a whole number',
    'LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent',
    'CATALOG_STORE="oracle": must be one of postgres, mongo',
  ]);
});

test('every variable is documented, in docs/services.md too, and exported for the infrastructure code', () => {
  const docs = describeVariables();
  expect(docs.map((d) => d.name)).toEqual(CONFIG_VARIABLES);
  for (const d of docs) expect(d.description.length).toBeGreaterThan(10);
  const page = readFileSync(path.resolve(__dirname, '../../docs/services.md'), 'utf8');
  const listed = [...page.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
  expect(listed).toEqual(CONFIG_VARIABLES);
});

test('a service started with a bad value exits 78 with the message', async () => {
  const run = promisify(execFile);
  const root = path.resolve(__dirname, '..', '..');
  const err = await run(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'services/entry/order.ts'], { cwd: root, env: { ...process.env, ...base, DB_POOL_MAX: '0' } }).catch((e) => e);
  expect(err.code).toBe(78);
  expect(err.stderr).toContain('order: invalid configuration:\n  DB_POOL_MAX="0": must be at least 1');
  const secondary = await run(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'services/entry/order.ts'], {
    cwd: root,
    env: { ...process.env, ...base, REGION_ROLE: 'secondary', RELAY: 'true' },
  }).catch((e) => e);
  expect(secondary.code).toBe(78);
  expect(secondary.stderr).toContain(
    'order: invalid configuration:\n  HOME_API_URL=(unset): must be set when REGION_ROLE=secondary: writes are forwarded to the primary region\n  RELAY="true": must be off when REGION_ROLE=secondary: the outbox relay runs only in the primary region',
  );
});

test('Kafka TLS and SASL settings reach the client', () => {
  const scram = kafkaConfig(loadConfig({ ...base, KAFKA_BROKERS: 'b-1.msk:9096', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'pw' }), 'order');
  expect(scram).toMatchObject({ clientId: 'order', brokers: ['b-1.msk:9096'], ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'pw' } });
  expect(kafkaConfig(loadConfig({ ...base, KAFKA_BROKERS: 'b:9092' }), 'x').sasl).toBeUndefined();
});

test('MSK IAM authentication needs a region, and signs an OAUTHBEARER token for kafka-cluster:Connect', async () => {
  expect(() => loadConfig({ ...base, KAFKA_BROKERS: 'b:9098', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws-iam' })).toThrow(
    'AWS_REGION=(unset): must be set when KAFKA_SASL_MECHANISM=aws-iam',
  );
  const iam = kafkaConfig(loadConfig({ ...base, KAFKA_BROKERS: 'b-1.msk:9098', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws-iam', AWS_REGION: 'us-east-1' }), 'x');
  expect(iam.sasl?.mechanism).toBe('oauthbearer');
  // Signing is local (SigV4 over the default credential chain): test credentials, no network.
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  try {
    const provider = (iam.sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider;
    const { value } = await provider();
    const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
    expect(url.hostname).toBe('kafka.us-east-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/us-east-1\/kafka-cluster\/aws4_request$/);
  } finally {
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  }
});
