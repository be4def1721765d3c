import { PhaseSpec } from '../../phases';

/** A topic whose partition count a move raises. */
export interface PartitionChange {
  readonly topic: string;
  readonly from: number;
  readonly to: number;
}

/** The warning every partition increase carries. */
export const PARTITION_WARNING =
  'Kafka maps a key to a partition by hashing it over the partition count: after the increase most order ids go to another partition, so events of one order written before and after it are no longer in one partition\'s order. Grow the topics in a quiet hour, when the consumers\' lag is near 0: consumers are idempotent, but an order\'s later event could otherwise be read before its earlier one.';

/** Topics whose partitions grow from one phase to the other (they never shrink: a validation rule). */
export function partitionChanges(from: PhaseSpec, to: PhaseSpec): PartitionChange[] {
  const before = new Map(from.streaming.topics.map((t) => [t.name, t.partitions]));
  return to.streaming.topics
    .filter((t) => (before.get(t.name) ?? 0) !== t.partitions)
    .map((t) => ({ topic: t.name, from: before.get(t.name) ?? 0, to: t.partitions }));
}
