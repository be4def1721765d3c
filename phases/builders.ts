import { TOPICS } from '../services/shared/topics';
import { PostgresInstanceSpec, TopicSpec } from './types';

/** The topics every phase provisions: the services' own list, one per domain; partitions grow with the phases. */
const TOPIC_NAMES = TOPICS;

/** Every domain topic with one partition count and the replication factor MSK recommends (3). */
export function topics(partitions: number): TopicSpec[] {
  return TOPIC_NAMES.map((name) => ({ name, partitions, replicationFactor: 3 }));
}

/** The sizing shared by a phase's PostgreSQL instances. */
export type InstanceSizing = Omit<PostgresInstanceSpec, 'id' | 'role' | 'databaseName' | 'shardIndex'>;

/**
 * The users and inventory databases plus `orderShards` orders shards, all sized alike.
 * Shard 0 is the original orders instance: its ID never changes.
 */
export function databases(size: InstanceSizing, orderShards: number): PostgresInstanceSpec[] {
  const shards: PostgresInstanceSpec[] = Array.from({ length: orderShards }, (_, shardIndex) => ({
    id: `OrdersShard${shardIndex}`,
    role: 'orders',
    shardIndex,
    databaseName: 'orders',
    ...size,
  }));
  return [
    { id: 'Users', role: 'users', databaseName: 'users', ...size },
    { id: 'Inventory', role: 'inventory', databaseName: 'inventory', ...size },
    ...shards,
  ];
}
