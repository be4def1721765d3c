#!/usr/bin/env node
import { PHASES, PHASE_NAMES, partitionsPerBroker } from '../phases';

/** Prints the phase matrix as a Markdown table, generated from the phase specs. */
const rows = PHASE_NAMES.map((name) => {
  const s = PHASES[name];
  const primaries = s.postgres.instances.length;
  const replicas = s.postgres.instances.reduce((sum, i) => sum + i.readReplicas, 0);
  const shards = s.postgres.instances.filter((i) => i.role === 'orders').length;
  const cacheNodes = s.cache.shardsPerRegion * (s.cache.replicasPerShard + 1);
  const secondaries = s.regions.filter((r) => r.role === 'secondary').length;
  const docdb =
    `${s.documentDb.instanceCluster.instances}× ${s.documentDb.instanceCluster.instanceClass}` +
    (s.documentDb.elasticCluster ? ` + elastic ${s.documentDb.elasticCluster.shardCount} shards` : '') +
    (secondaries ? `; global cluster, ${s.documentDb.instanceCluster.instances}× per secondary` : '');
  return [
    name,
    s.slo.dailyUsers.toLocaleString('en-US'),
    s.regions.map((r) => r.region).join(', '),
    `${primaries} (${shards} order ${shards === 1 ? 'shard' : 'shards'}) + ${replicas} replicas, ${s.postgres.instances[0].instanceClass}${s.postgres.instances[0].multiAz ? ' Multi-AZ' : ''}` +
      (secondaries ? `; + ${primaries} cross-region replicas per secondary` : ''),
    docdb,
    `${cacheNodes}/region (${s.cache.shardsPerRegion}×${s.cache.replicasPerShard + 1}) ${s.cache.nodeType}${s.cache.globalDatastore ? ', global' : ''} = ${cacheNodes * s.regions.length}`,
    `${s.streaming.brokersPerRegion}/region ${s.streaming.brokerType}${s.streaming.mirrorMaker ? ', MirrorMaker 2 to each secondary' : ''}`,
    `${s.streaming.topics[0].partitions} (${partitionsPerBroker(s)}/broker)`,
    `$${s.slo.budgetUsdPerMonth.toLocaleString('en-US')}`,
    `${s.slo.checkoutResponseMs} ms`,
    `${s.slo.uptimePercent}%`,
  ];
});
const header = ['phase', 'daily users', 'regions', 'PostgreSQL instances', 'DocumentDB', 'cache nodes', 'MSK brokers', 'partitions/topic', 'budget/month', 'checkout', 'uptime'];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log('\nDeviations from the roadmap, and why:');
for (const name of PHASE_NAMES) for (const d of PHASES[name].deviations) console.log(`- ${name}: ${d}`);
