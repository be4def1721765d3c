/**
 * Proof that the Kafka client the services use (kafkajs 2.2.4, last released 2023) works against the
 * local broker, whose version equals the MSK version of the phase specs (scripts/servers/versions.env).
 * Kafka 4.0 removed old protocol versions (KIP-896), so every client feature the services rely on is
 * exercised here: admin, idempotent producer, consumer groups with commits and a rebalance, transactions.
 */
import { Admin, Consumer, EachMessagePayload, Kafka, logLevel, Producer } from 'kafkajs';
import { KAFKA_BROKERS, uniqueGroupId, uniqueName, uniqueTopic, waitForServers } from '../support/servers';
import { holdShared, type Held } from './server-lock';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
jest.setTimeout(120_000);

const kafka = new Kafka({
  clientId: 'kafka-compat-test',
  brokers: [...KAFKA_BROKERS],
  // Retriable broker answers (e.g. "coordinator is loading" on a fresh broker) are logged at ERROR by
  // kafkajs; the assertions below are what matters.
  logLevel: process.env.KAFKAJS_DEBUG ? logLevel.INFO : logLevel.NOTHING,
  retry: { retries: 10, initialRetryTime: 100 },
});

async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Received {
  partition: number;
  key: string;
  value: string;
}

describe('kafkajs 2.2.4 against the local Kafka broker', () => {
  let admin: Admin;
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  const topic = uniqueTopic('compat');

  // Held shared, so that the fault test never restarts Kafka under this file.
  let lock: Held | undefined;

  beforeAll(async () => {
    lock = await holdShared();
    await waitForServers({ names: ['kafka'] });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await Promise.allSettled(producers.map((p) => p.disconnect()));
    if (admin) {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
    lock?.release();
  });

  it('admin: describeCluster, createTopics, createPartitions, fetchTopicMetadata, no auto-creation', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.brokers[0]).toMatchObject({ nodeId: 1 });

    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
    // Creating it again is not an error, and reports that nothing was created.
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(false);

    await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics).toHaveLength(1);
    const partitions = [...meta.topics[0].partitions].sort((a, b) => a.partitionId - b.partitionId);
    expect(partitions.map((p) => p.partitionId)).toEqual([0, 1, 2, 3]);
    for (const p of partitions) {
      expect(p).toMatchObject({ partitionErrorCode: 0, leader: 1, replicas: [1], isr: [1] });
    }
    expect(await admin.listTopics()).toContain(topic);

    // auto.create.topics.enable=false: an unknown topic stays unknown.
    const missing = uniqueTopic('missing');
    await expect(admin.fetchTopicMetadata({ topics: [missing] })).rejects.toThrow();
    expect(await admin.listTopics()).not.toContain(missing);
  });

  it('idempotent producer, consumer group with commits, and a second member joining (rebalance)', async () => {
    const groupId = uniqueGroupId('compat');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    producers.push(producer);
    await producer.connect();

    const first = Array.from({ length: 40 }, (_, i) => ({ key: `order-${i}`, value: `first-${i}` }));
    const results = await producer.send({ topic, acks: -1, messages: first });
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r.errorCode).toBe(0);

    // Consumer 1 alone in the group: gets every partition and all 40 messages.
    const got1: Received[] = [];
    const got2: Received[] = [];
    const assigned = new Map<string, number[]>();
    const record =
      (into: Received[]) =>
      ({ partition, message }: EachMessagePayload): Promise<void> => {
        into.push({ partition, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
        return Promise.resolve();
      };

    const c1 = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10000, rebalanceTimeout: 20000 });
    consumers.push(c1);
    c1.on(c1.events.GROUP_JOIN, (e) => assigned.set('c1', e.payload.memberAssignment[topic] ?? []));
    await c1.connect();
    await c1.subscribe({ topics: [topic], fromBeginning: true });
    await c1.run({ eachMessage: record(got1) });

    await eventually('consumer 1 to receive 40 messages', () => (got1.length >= 40 ? true : undefined));
    expect(got1.map((m) => m.value).sort()).toEqual(first.map((m) => m.value).sort());
    expect([...(assigned.get('c1') ?? [])].sort()).toEqual([0, 1, 2, 3]);

    // Offsets are committed to the group: the committed offsets add up to the 40 messages.
    const committedTotal = async () => {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };
    await eventually('committed offsets for 40 messages', async () => ((await committedTotal()) === 40 ? true : undefined));

    // Consumer 2 joins the same group: the group rebalances and splits the 4 partitions.
    assigned.delete('c1');
    const c2 = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10000, rebalanceTimeout: 20000 });
    consumers.push(c2);
    c2.on(c2.events.GROUP_JOIN, (e) => assigned.set('c2', e.payload.memberAssignment[topic] ?? []));
    await c2.connect();
    await c2.subscribe({ topics: [topic], fromBeginning: true });
    await c2.run({ eachMessage: record(got2) });

    const [a1, a2] = await eventually('both members to be assigned after the rebalance', () => {
      const x = assigned.get('c1');
      const y = assigned.get('c2');
      return x && y && x.length > 0 && y.length > 0 ? [x, y] : undefined;
    });
    expect([...a1, ...a2].sort()).toEqual([0, 1, 2, 3]);
    expect(a1.filter((p) => a2.includes(p))).toEqual([]);

    // Consumer 2 starts from the committed offsets, so it sees none of the first 40 again.
    const before1 = got1.length;
    const second = Array.from({ length: 40 }, (_, i) => ({ key: `order-${i}`, value: `second-${i}` }));
    for (const r of await producer.send({ topic, acks: -1, messages: second })) expect(r.errorCode).toBe(0);

    await eventually('the second 40 messages to be consumed', () =>
      got1.length - before1 + got2.length >= 40 ? true : undefined,
    );
    const secondSeen = [...got1.slice(before1), ...got2].map((m) => m.value).sort();
    expect(secondSeen).toEqual(second.map((m) => m.value).sort());
    expect(got2.every((m) => m.value.startsWith('second-') && a2.includes(m.partition))).toBe(true);
    expect(got1.slice(before1).every((m) => a1.includes(m.partition))).toBe(true);
    expect(got2.length).toBeGreaterThan(0);

    await eventually('committed offsets for 80 messages', async () => ((await committedTotal()) === 80 ? true : undefined));
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(80);
  });

  it('transactional producer: committed records are read, aborted ones are not (read_committed)', async () => {
    const txTopic = uniqueTopic('compat-tx');
    await admin.createTopics({ topics: [{ topic: txTopic, numPartitions: 1 }], waitForLeaders: true });
    try {
      const producer = kafka.producer({ transactionalId: uniqueName('txid'), idempotent: true, maxInFlightRequests: 1 });
      producers.push(producer);
      await producer.connect();
      for (const [value, commit] of [['committed-1', true], ['aborted', false], ['committed-2', true]] as const) {
        const tx = await producer.transaction();
        await tx.send({ topic: txTopic, messages: [{ value }] });
        if (commit) await tx.commit();
        else await tx.abort();
      }

      const got: string[] = [];
      const consumer = kafka.consumer({ groupId: uniqueGroupId('compat-tx'), readUncommitted: false });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: [txTopic], fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          got.push(message.value?.toString() ?? '');
          return Promise.resolve();
        },
      });
      await eventually('both committed records', () => (got.length >= 2 ? true : undefined));
      await new Promise((r) => setTimeout(r, 500));
      expect(got).toEqual(['committed-1', 'committed-2']);
    } finally {
      await admin.deleteTopics({ topics: [txTopic] }).catch(() => undefined);
    }
  });
});
