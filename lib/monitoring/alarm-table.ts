import { PHASES, PHASE_NAMES, PhaseSpec } from '../../phases';
import { rdsMaxConnections } from '../../phases/capacity';
import { docdbMaxConnections } from './limits';

/**
 * The alarms of every phase as Markdown, generated from the specs for the README (a test keeps
 * the README's copy equal to this). Print it with
 * `npx tsx -e "import { alarmTable } from './lib/monitoring/alarm-table'; console.log(alarmTable());"`.
 */
export function alarmTable(phases: readonly PhaseSpec[] = PHASE_NAMES.map((n) => PHASES[n])): string {
  const m = phases[0].monitoring;
  const kinds = [
    ['`FrontDoorErrorRate`, `ApiErrorRate`', 'every region', 'ALB or API Gateway 5xx ÷ requests, 3 of 5 minutes', `> ${m.errorRatePercent}% (\`errorRatePercent\`)`, 'roll back'],
    ['`FrontDoorResponseTime`, `ApiResponseTime`', 'every region', 'p99 response time, 3 of 5 minutes', `> ${m.responseTimeFactor}× \`baselineResponseMs\``, 'roll back'],
    ['`FrontDoorLatencyTarget`, `ApiLatencyTarget`', 'every region', `p99 response time, ${m.responseTargetMinutes} minutes (\`responseTargetMinutes\`)`, '> the checkout target `slo.checkoutResponseMs`', 'find the slow path'],
    ['`<group>Unavailable`', 'every target group', 'fewest healthy targets per minute', `< 1 for ${m.unavailableSeconds / 60} min (\`unavailableSeconds\`)`, 'roll back'],
    ['`<db>Replica<n>Lag`, `<db>CrossRegionLag`', 'PostgreSQL replicas', 'RDS `ReplicaLag`, 2 minutes', `> ${m.replicationLagSeconds} s (\`replicationLagSeconds\`)`, 'roll back; hold failovers'],
    ['`<db>Cpu`, `<db>ReplicaCpu`', 'PostgreSQL primaries, cross-region replicas', 'RDS CPU, 15 minutes', `> ${m.databaseCpuPercent}% (\`databaseCpuPercent\`)`, 'plan the next phase'],
    ['`CapacityTrigger`', 'primary region', '`DailyActiveUsers`, 3 hours', `> ${m.capacityTriggerPercent}% of \`slo.dailyUsers\``, 'plan the next phase'],
    ['`<db>FreeStorage`', 'every PostgreSQL instance and replica', 'RDS `FreeStorageSpace`, 10 minutes', `< ${m.databaseFreeStoragePercent}% of \`storageGiB\` (\`databaseFreeStoragePercent\`)`, 'raise `maxStorageGiB`'],
    ['`<db>Connections`', 'every PostgreSQL instance and replica', 'RDS `DatabaseConnections`, 15 minutes', `> ${m.databaseConnectionsPercent}% of \`max_connections\` (\`databaseConnectionsPercent\`)`, 'find the pool leak; larger class'],
    ['`CatalogInstance<n>CPU`', 'every DocumentDB instance', '`CPUUtilization`, 15 minutes', `> ${m.databaseCpuPercent}%`, 'plan a larger class'],
    ['`CatalogInstance<n>Connections`', 'every DocumentDB instance', '`DatabaseConnections`, 15 minutes', `> ${m.databaseConnectionsPercent}% of the class's limit`, 'find the pool leak; larger class'],
    ['`CatalogInstance<n>ReplicaDelay`', 'DocumentDB instances, when 2 or more', '`DBInstanceReplicaLag`, 2 minutes', `> ${m.replicationLagSeconds} s`, 'roll back'],
    ['`CatalogGlobalLag`', 'secondary regions', '`GlobalClusterReplicationLag` of the member cluster, 2 minutes', `> ${m.replicationLagSeconds} s`, 'roll back; hold failovers'],
    ['`CacheShard<n>Memory`', 'every cache shard', 'largest `DatabaseMemoryUsagePercentage` of its nodes, 15 minutes', `> ${m.cacheMemoryPercent}% (\`cacheMemoryPercent\`)`, 'add shards'],
    ['`CacheShard<n>Evictions`', 'every cache shard', '`Evictions` of its nodes per minute, 5 minutes', `> ${m.cacheEvictionsPerMinute} (\`cacheEvictionsPerMinute\`)`, 'add shards'],
    ['`CacheShard<n>GlobalLag`', 'secondary regions, every shard', '`GlobalDatastoreReplicationLag`, 2 minutes', `> ${m.replicationLagSeconds} s`, 'roll back; hold failovers'],
    ['`KafkaDiskUsed`', 'every region\'s MSK', 'fullest broker\'s `KafkaDataLogsDiskUsed`, 10 minutes', `> ${m.kafkaDiskUsedPercent}% (\`kafkaDiskUsedPercent\`)`, 'raise `storagePerBrokerGiB`'],
    ['`KafkaUnderReplicated`', 'every region\'s MSK', 'sum of `UnderReplicatedPartitions` over the brokers', `> 0 for ${m.kafkaUnderReplicatedMinutes} minutes (\`kafkaUnderReplicatedMinutes\`)`, 'find the broker that is down'],
  ];
  const perPhase = phases.map((s) => {
    const pg = s.postgres.instances[0];
    const docdb = s.documentDb.instanceCluster;
    const pct = s.monitoring.databaseConnectionsPercent / 100;
    return [
      s.name,
      `${s.slo.checkoutResponseMs} ms`,
      `${s.monitoring.baselineResponseMs * s.monitoring.responseTimeFactor} ms`,
      `${Math.floor(rdsMaxConnections(pg.instanceClass) * pct)} (${pg.instanceClass})`,
      `${(pg.storageGiB * s.monitoring.databaseFreeStoragePercent) / 100} GiB of ${pg.storageGiB} (max ${pg.maxStorageGiB})`,
      `${Math.floor(docdbMaxConnections(docdb.instanceClass) * pct)} (${docdb.instanceClass})`,
      `${docdb.instances}`,
      `${s.cache.shardsPerRegion}`,
      `${s.streaming.brokersPerRegion}`,
    ];
  });
  const table = (header: string[], rows: string[][]) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  return [
    table(['alarm', 'on', 'metric', 'fires when', 'what to do'], kinds),
    '',
    'The thresholds that depend on the phase:',
    '',
    table(
      ['phase', 'p99 target', 'p99 rollback', 'PostgreSQL connections', 'PostgreSQL free storage', 'DocumentDB connections', 'DocumentDB instances', 'cache shards', 'brokers'],
      perPhase,
    ),
  ].join('\n');
}
