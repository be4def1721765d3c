/** Feature flags: read from AppConfig (recorded answers) or a file, held in memory, flipped without a restart. */
jest.setTimeout(120000);
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppConfigDataClient, GetLatestConfigurationCommand, StartConfigurationSessionCommand, type GetLatestConfigurationCommandOutput } from '@aws-sdk/client-appconfigdata';
import { mockClient } from 'aws-sdk-client-mock';
import { Cluster } from 'ioredis';
import { FLAGS } from '../../phases/flags';
import { AppConfigFlagSource, FileFlagSource, flagSourceOf, parseFlagValues, type FlagSource } from '../../services/shared/flag-source';
import { Flags } from '../../services/shared/flags';
import { createLogger } from '../../services/shared/logger';
import { REDIS_CLUSTER_NODES, uniqueName } from '../support/servers';
import { eventually, seed, startSystem, type TestSystem } from './harness';

const log = createLogger('flags-test', 'silent');
type Blob = NonNullable<GetLatestConfigurationCommandOutput['Configuration']>;
/** A recorded body: the SDK's blob is a Uint8Array with string helpers the source does not use. */
const body = (doc: unknown) => new Uint8Array(Buffer.from(JSON.stringify(doc))) as unknown as Blob;
const empty = new Uint8Array() as unknown as Blob;

describe('flags read from AppConfigData', () => {
  const appconfig = mockClient(AppConfigDataClient);
  afterEach(() => appconfig.reset());
  afterAll(() => appconfig.restore());

  test('a session is started once by name, each poll uses the token the last one returned, and an empty body leaves the values as they were', async () => {
    appconfig.on(StartConfigurationSessionCommand).resolves({ InitialConfigurationToken: 'token-0' });
    appconfig
      .on(GetLatestConfigurationCommand, { ConfigurationToken: 'token-0' })
      .resolves({ Configuration: body({ 'catalogue-cache': { enabled: false } }), NextPollConfigurationToken: 'token-1', NextPollIntervalInSeconds: 30 });
    appconfig.on(GetLatestConfigurationCommand, { ConfigurationToken: 'token-1' }).resolves({ Configuration: empty, NextPollConfigurationToken: 'token-2', NextPollIntervalInSeconds: 30 });
    const flags = new Flags({ source: new AppConfigFlagSource(new AppConfigDataClient({ region: 'us-east-1' }), { application: 'order-platform', environment: 'live', profile: 'flags' }, 30), pollMs: 30000, log, name: 'appconfig' });

    await flags.refresh();
    expect(await flags.enabled('catalogue-cache')).toBe(false);
    await flags.refresh();
    expect(await flags.enabled('catalogue-cache')).toBe(false);

    expect(appconfig.commandCalls(StartConfigurationSessionCommand).map((c) => c.args[0].input)).toEqual([
      { ApplicationIdentifier: 'order-platform', EnvironmentIdentifier: 'live', ConfigurationProfileIdentifier: 'flags', RequiredMinimumPollIntervalInSeconds: 30 },
    ]);
    expect(appconfig.commandCalls(GetLatestConfigurationCommand).map((c) => c.args[0].input.ConfigurationToken)).toEqual(['token-0', 'token-1']);
    await flags.stop();
  });

  test('when AppConfig fails, the last values are kept, and the next read starts a new session', async () => {
    appconfig.on(StartConfigurationSessionCommand).resolvesOnce({ InitialConfigurationToken: 'a-0' }).resolves({ InitialConfigurationToken: 'b-0' });
    appconfig.on(GetLatestConfigurationCommand, { ConfigurationToken: 'a-0' }).resolves({ Configuration: body({ 'cqrs-reads': { enabled: false } }), NextPollConfigurationToken: 'a-1' });
    appconfig.on(GetLatestConfigurationCommand, { ConfigurationToken: 'a-1' }).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    appconfig.on(GetLatestConfigurationCommand, { ConfigurationToken: 'b-0' }).resolves({ Configuration: body({ 'cqrs-reads': { enabled: true } }), NextPollConfigurationToken: 'b-1' });
    const flags = new Flags({ source: new AppConfigFlagSource(new AppConfigDataClient({ region: 'us-east-1', maxAttempts: 1 }), { application: 'a', environment: 'e', profile: 'p' }, 30), pollMs: 30000, log, name: 'appconfig' });

    await flags.refresh();
    expect(await flags.enabled('cqrs-reads')).toBe(false);
    await flags.refresh();
    expect(await flags.enabled('cqrs-reads')).toBe(false);
    await flags.refresh();
    expect(await flags.enabled('cqrs-reads')).toBe(true);
    expect(appconfig.commandCalls(StartConfigurationSessionCommand)).toHaveLength(2);
    await flags.stop();
  });

  test('AppConfig never reached: every flag has its definition\'s value', async () => {
    appconfig.on(StartConfigurationSessionCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const source = flagSourceOf({ FLAGS_SOURCE: 'appconfig:order-platform/live/flags', FLAGS_POLL_MS: 30000, AWS_REGION: 'us-east-1' });
    expect(source).toBeInstanceOf(AppConfigFlagSource);
    const flags = new Flags({ source, pollMs: 30000, log, name: 'unreachable' });
    await flags.refresh();
    for (const [key, d] of Object.entries(FLAGS.definitions)) expect(await flags.enabled(key as keyof typeof FLAGS.definitions)).toBe(d.enabled);
    await flags.stop();
  });
});

describe('flag values and sources', () => {
  test('AppConfig\'s form is parsed; a flag without a boolean enabled keeps its default; anything but an object is refused', () => {
    expect([...parseFlagValues('{"catalogue-cache":{"enabled":false},"cqrs-reads":{"enabled":"no"},"other":{}}')]).toEqual([['catalogue-cache', false]]);
    expect(() => parseFlagValues('[]')).toThrow('feature flags: expected a JSON object of flags');
  });

  test('a source that fails or returns nonsense never makes a flag read fail', async () => {
    let answer: () => Promise<ReturnType<typeof parseFlagValues> | undefined> = () => Promise.resolve(new Map([['catalogue-cache', false]]));
    const source: FlagSource = { read: () => answer() };
    const flags = new Flags({ source, pollMs: 30000, log, name: 'failing' });
    await flags.refresh();
    expect(await flags.enabled('catalogue-cache')).toBe(false);
    answer = () => Promise.reject(new Error('disk gone'));
    await flags.refresh();
    answer = () => Promise.resolve(parseFlagValues('not json'));
    await flags.refresh();
    expect(await flags.enabled('catalogue-cache')).toBe(false);
    expect(await flags.enabled('cqrs-reads')).toBe(FLAGS.definitions['cqrs-reads'].enabled);
    await flags.stop();
  });

  test('a file that has not changed reads as unchanged', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flags-'));
    const file = path.join(dir, 'flags.json');
    writeFileSync(file, '{"catalogue-cache":{"enabled":true}}');
    const source = new FileFlagSource(file);
    expect(await source.read()).toEqual(new Map([['catalogue-cache', true]]));
    expect(await source.read()).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('the catalogue-cache flag on the running services', () => {
  let s: TestSystem;
  let redis: Cluster;
  let dir: string;
  let file: string;
  const prefix = `${uniqueName('flags')}:`;
  const setFlag = (enabled: boolean) => writeFileSync(file, JSON.stringify({ 'catalogue-cache': { enabled } }));
  const price = async () => (await s.inject({ method: 'GET', url: '/products/f-1' })).json().priceCents as number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'flags-'));
    file = path.join(dir, 'flags.json');
    setFlag(true);
    s = await startSystem('flags', {
      servers: ['postgres', 'kafka', 'redis-cluster'],
      workers: false,
      env: {
        CACHE: 'true',
        REDIS_CLUSTER_NODES: REDIS_CLUSTER_NODES.map((n) => `${n.host}:${n.port}`).join(','),
        CACHE_KEY_PREFIX: prefix,
        FLAGS_SOURCE: `file:${file}`,
        FLAGS_POLL_MS: '1000',
      },
    });
    redis = new Cluster(REDIS_CLUSTER_NODES.map((n) => ({ host: n.host, port: n.port })));
    await seed(s, [{ id: 'f-1', priceCents: 1000, stock: 10 }]);
  }, 120000);

  afterAll(async () => {
    await redis?.quit();
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('switched off, product reads skip the cache at once, without a restart; switched on again, they fill it again', async () => {
    expect(await price()).toBe(1000);
    expect(JSON.parse((await redis.get(`${prefix}product:{f-1}`))!).priceCents).toBe(1000);
    // A change behind the service's back: the cache still answers with the old price.
    await s.inventory.query("UPDATE products SET price_cents = 1 WHERE id = 'f-1'");
    expect(await price()).toBe(1000);

    setFlag(false);
    await eventually(async () => (await price()) === 1, 10000, 'the store\'s price, past the cache');
    await redis.del(`${prefix}product:{f-1}`);
    expect(await price()).toBe(1);
    expect(await redis.get(`${prefix}product:{f-1}`)).toBeNull();

    setFlag(true);
    await eventually(async () => (await price()) === 1 && (await redis.get(`${prefix}product:{f-1}`)) !== null, 10000, 'the cache filled again');
  });

  test('a flags file that turns into nonsense keeps the last values, and requests go on', async () => {
    setFlag(false);
    await eventually(async () => !(await s.rt.flags().enabled('catalogue-cache')), 10000, 'flag off');
    writeFileSync(file, '{ not json');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await s.rt.flags().enabled('catalogue-cache')).toBe(false);
    expect((await s.inject({ method: 'GET', url: '/products/f-1' })).statusCode).toBe(200);
  });
});
