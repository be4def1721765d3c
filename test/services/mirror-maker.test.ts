/**
 * Kafka across regions: MirrorMaker 2 (dedicated mode) run locally on the file that
 * renderMirrorMakerProperties() renders for AWS, between two real Kafka clusters of the MSK version
 * (`kafka` as the primary region, `kafka2` as a secondary one). Only the endpoints, the security
 * (plaintext instead of MSK IAM) and the replication factor differ from what EKS runs.
 *
 * Proves: topics keep their names and partition counts, messages arrive in order per partition,
 * and a consumer group that moves from the primary to the secondary region continues from the
 * translated offsets without losing a message.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Admin, Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import {
  MirrorMakerOptions,
  mirrorMakerInternalTopics,
  renderMirrorMakerProperties,
} from '../../lib/replication/mirror-maker';
import { KAFKA2_BROKERS, KAFKA_BROKERS, REPO_ROOT, SERVERS_DIR, uniqueGroupId, uniqueTopic, waitForServers } from '../support/servers';
import { outerTmpdir } from '../support/scratch';
import { holdShared, type Held } from './server-lock';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
jest.setTimeout(600_000);

const run = promisify(execFile);
const MM2_LOG = path.join(SERVERS_DIR, 'logs', 'mirror-maker.log');
const PROPERTIES = path.join(SERVERS_DIR, 'mirror-maker', `mm2-${process.pid}.properties`);

// Fixed aliases, as on AWS: MirrorMaker's own topics in kafka2 are then reused from run to run.
const SOURCE_ALIAS = 'us-east-1';
const TARGET_ALIAS = 'us-west-2';

const ctl = (action: string, name: string) =>
  run('bash', [path.join(REPO_ROOT, 'scripts/servers/ctl.sh'), action, name], {
    cwd: REPO_ROOT,
    timeout: 300_000,
    // The servers outlive this run's scratch directory.
    env: { ...process.env, TMPDIR: outerTmpdir(), MM2_PROPERTIES: PROPERTIES },
  });

const client = (clientId: string, brokers: readonly string[]) =>
  new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: process.env.KAFKAJS_DEBUG ? logLevel.INFO : logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100 },
  });
const primary = client('mm2-test-primary', KAFKA_BROKERS);
const secondary = client('mm2-test-secondary', KAFKA2_BROKERS);

function mmLogTail(): string {
  try {
    return fs.readFileSync(MM2_LOG, 'utf8').split('\n').filter((l) => / (WARN|ERROR) /.test(l)).slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${detail() ? `: ${detail()}` : ''}\nMirrorMaker warnings/errors (${MM2_LOG}):\n${mmLogTail()}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** End offset of every partition of a topic, by partition number. */
async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

async function committed(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
}

interface Got {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/** Consumes with `groupId` until `done(received)` holds, then stops (offsets committed by kafkajs). */
async function consumeUntil(
  kafka: Kafka,
  groupId: string,
  topic: string,
  fromBeginning: boolean,
  done: (got: Got[]) => boolean,
  what: string,
): Promise<Got[]> {
  const got: Got[] = [];
  const consumer: Consumer = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10_000, rebalanceTimeout: 20_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        got.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
        return Promise.resolve();
      },
    });
    await eventually(what, () => Promise.resolve(done(got) ? true : undefined), 60_000, () => `${got.length} received`);
    // A little longer, to catch messages that should not come.
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await consumer.disconnect();
  }
  return got;
}

const PARTITIONS = 6;
const FIRST = 30; // messages per partition before the group moves
const SECOND = 20; // messages per partition after

/** Keyed sequences: partition p gets key `k<p>` with values `k<p>:<i>` for i in [from, to). */
async function produce(producer: Producer, topic: string, partitions: number, from: number, to: number): Promise<void> {
  const messages = [];
  for (let i = from; i < to; i++) {
    for (let p = 0; p < partitions; p++) messages.push({ partition: p, key: `k${p}`, value: `k${p}:${i}` });
  }
  for (const r of await producer.send({ topic, acks: -1, messages })) expect(r.errorCode).toBe(0);
}

const seq = (m: Got) => Number(m.value.split(':')[1]);

describe('MirrorMaker 2 between two local Kafka clusters', () => {
  let lock: Held | undefined;
  let startedKafka2 = false;
  let startedMm2 = false;
  let admin1: Admin;
  let admin2: Admin;
  let producer: Producer;
  const orders = uniqueTopic('xr-orders'); // 6 partitions
  const dotted = `${uniqueTopic('xr')}.payments`; // a dot, which the topic regex must escape
  const group = uniqueGroupId('xr-moving');

  beforeAll(async () => {
    lock = await holdShared();
    await waitForServers({ names: ['kafka'] });
    const before = (await ctl('status', 'all')).stdout;
    if (/mirror-maker\s+running/.test(before)) {
      throw new Error('a MirrorMaker 2 process already runs (another run of this test?); stop it: bash scripts/servers/ctl.sh stop mirror-maker');
    }
    await ctl('install', 'mirror-maker');
    startedKafka2 = !/kafka2\s+running/.test(before);
    await ctl('start', 'kafka2');

    admin1 = primary.admin();
    admin2 = secondary.admin();
    await Promise.all([admin1.connect(), admin2.connect()]);
    producer = primary.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();

    // The primary region's topics exist before MirrorMaker starts, as on AWS.
    expect(
      await admin1.createTopics({
        topics: [
          { topic: orders, numPartitions: PARTITIONS, replicationFactor: 1 },
          { topic: dotted, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
        ],
        waitForLeaders: true,
      }),
    ).toBe(true);
  });

  afterAll(async () => {
    if (startedMm2) await ctl('stop', 'mirror-maker').catch((e: Error) => process.stderr.write(`stopping MirrorMaker: ${e.message}\n`));
    await producer?.disconnect().catch(() => undefined);
    await admin1?.deleteTopics({ topics: [orders, dotted] }).catch(() => undefined);
    await admin2?.deleteTopics({ topics: [orders, dotted] }).catch(() => undefined);
    await Promise.allSettled([admin1?.disconnect(), admin2?.disconnect()]);
    if (startedKafka2 && !process.env.SERVERS_KEEP) await ctl('stop', 'kafka2').catch(() => undefined);
    fs.rmSync(PROPERTIES, { force: true });
    lock?.release();
  });

  it('replicates topics with their names, partition counts and per-partition order, and moves a consumer group', async () => {
    // 1. In the primary region: the first messages, consumed and committed by the group.
    await produce(producer, orders, PARTITIONS, 0, FIRST);
    await produce(producer, dotted, 3, 0, 10);
    const firstRead = await consumeUntil(primary, group, orders, true, (g) => g.length >= PARTITIONS * FIRST, 'the group to read the first messages on the primary');
    expect(firstRead).toHaveLength(PARTITIONS * FIRST);
    await eventually('the group to commit the first messages on the primary', async () => {
      const c = await committed(admin1, group, orders);
      return [...c.values()].every((o) => o === FIRST) && c.size === PARTITIONS ? c : undefined;
    }, 30_000);

    // 2. MirrorMaker starts on the rendered file (the same renderer as on AWS).
    const options: MirrorMakerOptions = {
      source: { alias: SOURCE_ALIAS, bootstrapServers: KAFKA_BROKERS.join(','), security: { kind: 'plaintext' } },
      target: { alias: TARGET_ALIAS, bootstrapServers: KAFKA2_BROKERS.join(','), security: { kind: 'plaintext' } },
      topics: [orders, dotted],
      groups: [group],
      replicationFactor: 1,
      tasksMax: 2,
    };
    fs.mkdirSync(path.dirname(PROPERTIES), { recursive: true });
    fs.writeFileSync(PROPERTIES, renderMirrorMakerProperties(options));
    const t0 = Date.now();
    startedMm2 = true;
    await ctl('start', 'mirror-maker');

    // 3. Same names and partition counts in the secondary region; every message, in order.
    const meta = await eventually('the mirrored topics to exist on kafka2', async () => {
      const m = await admin2.fetchTopicMetadata({ topics: [orders, dotted] });
      return m.topics.length === 2 ? m : undefined;
    }, 90_000);
    const counts = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
    expect(counts).toEqual({ [orders]: PARTITIONS, [dotted]: 3 });
    await eventually('every first message to be mirrored', async () => {
      const e = await endOffsets(admin2, orders);
      return [...e.values()].every((o) => o >= FIRST) ? e : undefined;
    }, 90_000, () => 'end offsets on kafka2 below the primary');
    process.stderr.write(`mirror-maker: first messages mirrored ${((Date.now() - t0) / 1000).toFixed(1)}s after its start\n`);
    // Topic configs follow (sync.topic.configs.enabled).
    const cfg = await eventually('retention.ms of the dotted topic to be synced', async () => {
      const r = await admin2.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: dotted, configNames: ['retention.ms'] }] });
      const v = r.resources[0].configEntries.find((c) => c.configName === 'retention.ms')?.configValue;
      return v === '3600000' ? v : undefined;
    }, 120_000);
    expect(cfg).toBe('3600000');

    // 4. The group's offsets are translated and committed to the same group in kafka2.
    const synced = await eventually(
      `group ${group}'s offsets to be synced to kafka2 (${FIRST} on every partition)`,
      async () => {
        const c = await committed(admin2, group, orders);
        return c.size === PARTITIONS && [...c.values()].every((o) => o === FIRST) ? c : undefined;
      },
      120_000,
      () => 'offsets on kafka2 not all translated yet',
    );
    // It does not restart from the beginning.
    for (const o of synced.values()) expect(o).toBeGreaterThan(0);
    process.stderr.write(`mirror-maker: group offsets synced ${((Date.now() - t0) / 1000).toFixed(1)}s after its start\n`);

    // 5. More messages in the primary region, mirrored while MirrorMaker runs.
    await produce(producer, orders, PARTITIONS, FIRST, FIRST + SECOND);
    await produce(producer, dotted, 3, 10, 20);
    await eventually('every second message to be mirrored', async () => {
      const e = await endOffsets(admin2, orders);
      return [...e.values()].every((o) => o >= FIRST + SECOND) ? e : undefined;
    }, 90_000);

    // Every message, in order per partition, with its key, on kafka2 (a fresh group from the beginning).
    const all = await consumeUntil(secondary, uniqueGroupId('xr-check'), orders, true, (g) => g.length >= PARTITIONS * (FIRST + SECOND), 'every message on kafka2');
    for (let p = 0; p < PARTITIONS; p++) {
      const inP = all.filter((m) => m.partition === p);
      expect(inP.every((m) => m.key === `k${p}`)).toBe(true);
      expect(inP.map(seq)).toEqual(Array.from({ length: FIRST + SECOND }, (_, i) => i));
    }
    const dottedAll = await consumeUntil(secondary, uniqueGroupId('xr-check'), dotted, true, (g) => g.length >= 60, 'every message of the dotted topic on kafka2');
    expect(dottedAll).toHaveLength(60);

    // 6. The group moves to the secondary region: it continues where it left off on the primary.
    const moved = await consumeUntil(secondary, group, orders, false, (g) => g.length >= PARTITIONS * SECOND, 'the moved group to read the new messages on kafka2');
    for (let p = 0; p < PARTITIONS; p++) {
      const before = firstRead.filter((m) => m.partition === p).map(seq);
      const after = moved.filter((m) => m.partition === p).map(seq);
      // Nothing lost: the union covers every message (duplicates would be allowed).
      expect([...new Set([...before, ...after])].sort((a, b) => a - b)).toEqual(Array.from({ length: FIRST + SECOND }, (_, i) => i));
      // It did not start from the beginning.
      expect(Math.min(...after)).toBeGreaterThan(0);
    }
    // With an offset sync at the end of the first messages, the translation is exact: no duplicates.
    expect(moved).toHaveLength(PARTITIONS * SECOND);

    // MirrorMaker's own topics are all in the secondary cluster; the primary only gets read.
    const internal = mirrorMakerInternalTopics(SOURCE_ALIAS);
    const topics2 = await admin2.listTopics();
    for (const t of Object.values(internal)) expect(topics2).toContain(t);
    const topics1 = await admin1.listTopics();
    expect(topics1.filter((t) => /^mm2-(offset-syncs|configs|offsets|status)\.|\.checkpoints\.internal$|^heartbeats$/.test(t))).toEqual([]);
  });
});

describe('renderMirrorMakerProperties', () => {
  const base: MirrorMakerOptions = {
    source: { alias: 'us-east-1', bootstrapServers: 'b-1.x.kafka.us-east-1.amazonaws.com:9098,b-2.x.kafka.us-east-1.amazonaws.com:9098', security: { kind: 'msk-iam', region: 'us-east-1' } },
    target: { alias: 'us-west-2', bootstrapServers: '${Token[TOKEN.123]}', security: { kind: 'msk-iam' } },
    topics: ['order-events', 'payments.v1'],
    groups: ['cache-invalidator', '/read-model-.+/'],
    replicationFactor: 3,
    tasksMax: 4,
  };
  const props = (text: string) =>
    new Map(
      text
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf(' = ')), l.slice(l.indexOf(' = ') + 3)] as const),
    );

  it('renders MSK IAM on each cluster prefix, one direction, and the replication factors', () => {
    const p = props(renderMirrorMakerProperties(base));
    expect(p.get('clusters')).toBe('us-east-1, us-west-2');
    expect(p.get('us-east-1->us-west-2.enabled')).toBe('true');
    expect(p.get('us-west-2->us-east-1.enabled')).toBe('false');
    expect(p.get('replication.policy.class')).toBe('org.apache.kafka.connect.mirror.IdentityReplicationPolicy');
    for (const a of ['us-east-1', 'us-west-2']) {
      expect(p.get(`${a}.security.protocol`)).toBe('SASL_SSL');
      expect(p.get(`${a}.sasl.mechanism`)).toBe('AWS_MSK_IAM');
      expect(p.get(`${a}.sasl.client.callback.handler.class`)).toBe('software.amazon.msk.auth.iam.IAMClientCallbackHandler');
    }
    expect(p.get('us-east-1.sasl.jaas.config')).toBe('software.amazon.msk.auth.iam.IAMLoginModule required awsStsRegion="us-east-1";');
    expect(p.get('us-west-2.sasl.jaas.config')).toBe('software.amazon.msk.auth.iam.IAMLoginModule required;');
    expect(p.get('us-west-2.bootstrap.servers')).toBe('${Token[TOKEN.123]}');
    expect(p.get('us-east-1->us-west-2.topics')).toBe('order-events, payments[.]v1');
    expect(p.get('us-east-1->us-west-2.groups')).toBe('/read-model-.+/'.slice(1, -1) + ', cache-invalidator');
    expect(p.get('offset-syncs.topic.location')).toBe('target');
    for (const k of ['replication.factor', 'offset-syncs.topic.replication.factor', 'checkpoints.topic.replication.factor', 'heartbeats.topic.replication.factor', 'offset.storage.replication.factor', 'config.storage.replication.factor', 'status.storage.replication.factor']) {
      expect([k, p.get(k)]).toEqual([k, '3']);
    }
    expect(p.get('emit.checkpoints.enabled')).toBe('true');
    expect(p.get('sync.group.offsets.enabled')).toBe('true');
    expect(p.get('sync.topic.configs.enabled')).toBe('true');
    expect(p.get('tasks.max')).toBe('4');
  });

  it('is deterministic and independent of the order of topics and groups', () => {
    const a = renderMirrorMakerProperties(base);
    expect(renderMirrorMakerProperties(base)).toBe(a);
    expect(renderMirrorMakerProperties({ ...base, topics: [...base.topics].reverse(), groups: [...base.groups].reverse() })).toBe(a);
  });

  it('rejects invalid options, naming each field and value', () => {
    const bad = (o: Partial<MirrorMakerOptions>) => () => renderMirrorMakerProperties({ ...base, ...o });
    expect(bad({ topics: [] })).toThrow(/topics = \[\]: must name at least one topic/);
    expect(bad({ target: { ...base.target, alias: 'us-east-1' } })).toThrow(/target.alias = "us-east-1": must differ from source.alias/);
    expect(bad({ source: { ...base.source, alias: 'us.east' } })).toThrow(/source.alias = "us.east"/);
    expect(bad({ replicationFactor: 0 })).toThrow(/replicationFactor = 0: must be an integer from 1/);
    expect(bad({ tasksMax: 1.5 })).toThrow(/tasksMax = 1.5/);
    expect(bad({ topics: ['orders', 'bad topic'] })).toThrow(/topics: "bad topic" is not a Kafka topic name/);
    expect(bad({ topics: ['mm2-offsets.x.internal'] })).toThrow(/internal or heartbeats topic/);
    expect(bad({ groups: ['connect-x'] })).toThrow(/groups: "connect-x" matches MirrorMaker's default group exclusions/);
    expect(bad({ source: { ...base.source, bootstrapServers: 'host-without-port' } })).toThrow(/source.bootstrapServers = "host-without-port"/);
    // Every problem at once.
    expect(bad({ topics: [], replicationFactor: 0 })).toThrow(/\(2 problems\)/);
  });
});
