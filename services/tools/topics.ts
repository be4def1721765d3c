/**
 * Topic provisioner: creates each domain topic with the configured partition count, grows a
 * topic that has fewer, and never shrinks one (Kafka cannot, and keyed ordering would break).
 */
import type { Admin } from 'kafkajs';
import { TOPICS } from '../shared/events';
import { topicName } from '../shared/kafka';

export interface TopicPlan {
  topic: string;
  action: 'create' | 'grow' | 'keep' | 'larger-than-requested';
  from?: number;
  to: number;
}

export async function provisionTopics(
  admin: Admin,
  o: { prefix: string; partitions: number; replicationFactor: number; topics?: readonly string[] },
): Promise<TopicPlan[]> {
  const names = (o.topics ?? TOPICS).map((t) => topicName(o.prefix, t));
  const existing = new Set(await admin.listTopics());
  const plan: TopicPlan[] = [];
  const present = names.filter((n) => existing.has(n));
  const meta = present.length > 0 ? (await admin.fetchTopicMetadata({ topics: present })).topics : [];
  const counts = new Map(meta.map((t) => [t.name, t.partitions.length]));
  for (const n of names) {
    const have = counts.get(n);
    if (have === undefined) plan.push({ topic: n, action: 'create', to: o.partitions });
    else if (have < o.partitions) plan.push({ topic: n, action: 'grow', from: have, to: o.partitions });
    else if (have === o.partitions) plan.push({ topic: n, action: 'keep', to: have });
    else plan.push({ topic: n, action: 'larger-than-requested', from: have, to: have });
  }
  const create = plan.filter((p) => p.action === 'create');
  if (create.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: create.map((p) => ({ topic: p.topic, numPartitions: p.to, replicationFactor: o.replicationFactor, configEntries: [{ name: 'min.insync.replicas', value: String(Math.min(2, o.replicationFactor)) }] })),
    });
  }
  const grow = plan.filter((p) => p.action === 'grow');
  if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow.map((p) => ({ topic: p.topic, count: p.to })) });
  return plan;
}
