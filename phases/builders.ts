/**
 * Builders the phase files compose their specs from: shared starting values and functions that
 * expand a few sizes into the spec's lists. They hold values, not rules: the rules check what
 * the builders produce like any other value.
 */

import { TOPICS } from '../services/shared/topics';
import { Ec2ServicesSpec, FleetSpec, MonitoringSpec, NginxSpec, PodServiceSpec, PostgresInstanceSpec, SERVICE_NAMES, ServiceName, TopicSpec } from './spec';

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

/** Nginx settings every monolith phase starts from. */
export const NGINX_DEFAULTS: NginxSpec = {
  workerConnections: 4096,
  requestsPerSecondPerClient: 20,
  burstRequests: 40,
  clientMaxBodyKiB: 256,
  upstreamKeepaliveConnections: 32,
  upstreamTimeoutSeconds: 30,
};

/** The roadmap's rollback thresholds and next-phase triggers, with the phase's checkout target as the first baseline. */
export function roadmapMonitoring(checkoutResponseMs: number): MonitoringSpec {
  return {
    errorRatePercent: 1,
    baselineResponseMs: checkoutResponseMs,
    responseTimeFactor: 2,
    replicationLagSeconds: 5,
    unavailableSeconds: 60,
    databaseCpuPercent: 70,
    capacityTriggerPercent: 80,
    metricsRetentionDays: 150,
    responseTargetMinutes: 15,
    databaseConnectionsPercent: 80,
    databaseFreeStoragePercent: 5,
    cacheMemoryPercent: 80,
    cacheEvictionsPerMinute: 0,
    kafkaDiskUsedPercent: 80,
    kafkaUnderReplicatedMinutes: 10,
  };
}

/** Every service on its own group: `busy` services get `busyFleet`, the others `fleet`. */
export function ec2Services(fleet: FleetSpec, busy: readonly ServiceName[], busyFleet: FleetSpec): Ec2ServicesSpec {
  return { services: SERVICE_NAMES.map((name) => ({ name, fleet: busy.includes(name) ? busyFleet : fleet })) };
}

/** Every service as pods: `busy` services get `busyPods`, the others `pods`. */
export function podServices(
  pods: Omit<PodServiceSpec, 'name'>,
  busy: readonly ServiceName[],
  busyPods: Omit<PodServiceSpec, 'name'>,
): PodServiceSpec[] {
  return SERVICE_NAMES.map((name) => ({ name, ...(busy.includes(name) ? busyPods : pods) }));
}
