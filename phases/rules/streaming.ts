/** Rules over `streaming`: brokers, partitions per broker, topics, MirrorMaker 2 to the secondary regions. */

import type { PhaseSpec } from '../spec';
import { AZ_COUNT, MSK_PARTITIONS_PER_BROKER } from '../limits';
import { NoShrinkRow, ValidationRule, Violation, violation } from './rule';

/** Replica partitions a broker carries: every topic's partitions times its replication factor, spread evenly. */
export function partitionsPerBroker(spec: PhaseSpec): number {
  const replicas = spec.streaming.topics.reduce((sum, t) => sum + t.partitions * t.replicationFactor, 0);
  return Math.ceil(replicas / spec.streaming.brokersPerRegion);
}

/** Rules over `streaming`. */
export const STREAMING_RULES: readonly ValidationRule[] = [
  {
    id: 'msk-brokers-multiple-of-azs',
    check: (s) =>
      s.streaming.brokersPerRegion % AZ_COUNT === 0 && s.streaming.brokersPerRegion > 0
        ? []
        : [
            violation(
              'streaming.brokersPerRegion',
              s.streaming.brokersPerRegion,
              `must be a positive multiple of the ${AZ_COUNT} AZs: MSK places the same number of brokers in each AZ (use ${Math.max(AZ_COUNT, Math.floor(s.streaming.brokersPerRegion / AZ_COUNT) * AZ_COUNT)} or ${(Math.floor(s.streaming.brokersPerRegion / AZ_COUNT) + 1) * AZ_COUNT})`,
            ),
          ],
  },
  {
    id: 'msk-broker-type-known',
    check: (s) =>
      MSK_PARTITIONS_PER_BROKER[s.streaming.brokerType] !== undefined
        ? []
        : [violation('streaming.brokerType', s.streaming.brokerType, `must be one of ${Object.keys(MSK_PARTITIONS_PER_BROKER).join(', ')}`)],
  },
  {
    id: 'msk-partitions-per-broker',
    check: (s) => {
      const limit = MSK_PARTITIONS_PER_BROKER[s.streaming.brokerType];
      const perBroker = partitionsPerBroker(s);
      return limit === undefined || perBroker <= limit
        ? []
        : [
            violation(
              'streaming.topics',
              `${perBroker} partitions per broker`,
              `${s.streaming.brokerType} is recommended for at most ${limit} partitions per broker (leaders and followers); add brokers, a larger broker type or fewer partitions`,
            ),
          ];
    },
  },
  {
    id: 'topic-replication',
    check: (s) =>
      s.streaming.topics
        .filter((t) => t.replicationFactor > s.streaming.brokersPerRegion || t.replicationFactor < 1 || t.partitions < 1)
        .map((t) =>
          violation(
            `streaming.topics[${t.name}]`,
            { partitions: t.partitions, replicationFactor: t.replicationFactor },
            `needs at least 1 partition and a replication factor from 1 to the ${s.streaming.brokersPerRegion} brokers`,
          ),
        ),
  },
  {
    id: 'secondary-regions-replicate-kafka',
    check: (s) => {
      const secondaries = s.regions.filter((r) => r.role === 'secondary').length;
      const mm = s.streaming.mirrorMaker;
      if (secondaries === 0) {
        return mm ? [violation('streaming.mirrorMaker', mm, 'must be absent in a single-region phase: there is nothing to mirror to')] : [];
      }
      const found: Violation[] = [];
      if (!mm) found.push(violation('streaming.mirrorMaker', null, 'must be set when the phase has secondary regions: their Kafka receives the primary\'s topics through MirrorMaker 2'));
      if (!s.compute.eks) found.push(violation('compute.eks', null, 'must be set when the phase has secondary regions: MirrorMaker 2 runs on EKS there'));
      if (!s.compute.gateway) found.push(violation('compute.gateway', null, 'must be set when the phase has secondary regions: they forward writes to the primary region\'s internal load balancer'));
      if (mm) {
        for (const [field, value] of [['tasksMax', mm.tasksMax], ['cpuMillis', mm.cpuMillis], ['memoryMiB', mm.memoryMiB]] as const) {
          if (!Number.isInteger(value) || value < 1) found.push(violation(`streaming.mirrorMaker.${field}`, value, 'must be a whole number of at least 1'));
        }
        if (mm.memoryMiB < 1024) found.push(violation('streaming.mirrorMaker.memoryMiB', mm.memoryMiB, 'must be at least 1024: MirrorMaker\'s JVM, producers and consumers need room beside the heap'));
      }
      return found;
    },
  },
];

/** What a phase move may not do to `streaming`. */
export const STREAMING_NO_SHRINK: readonly NoShrinkRow[] = [
  {
    field: 'streaming.brokersPerRegion',
    read: (s) => [['streaming', s.streaming.brokersPerRegion]],
    kind: 'never-shrinks',
    why: 'MSK cannot remove brokers from a cluster',
  },
  {
    field: 'streaming.kafkaVersion',
    read: (s) => [['streaming', s.streaming.kafkaVersion.endsWith('.kraft') ? 'KRaft' : 'ZooKeeper']],
    kind: 'fixed',
    why: 'MSK fixes the metadata mode (KRaft or ZooKeeper) when a cluster is created',
  },
  {
    field: 'streaming.storagePerBrokerGiB',
    read: (s) => [['streaming', s.streaming.storagePerBrokerGiB]],
    kind: 'never-shrinks',
    why: 'MSK broker storage can only grow',
  },
  {
    field: 'streaming.topics[].partitions',
    read: (s) => s.streaming.topics.map((t) => [t.name, t.partitions] as const),
    kind: 'never-shrinks',
    why: 'Kafka cannot remove partitions from a topic, and keys would move',
  },
];
