#!/usr/bin/env node
import { PHASES, PHASE_NAMES } from '../phases';
import { PLANNING_THRESHOLD, RPS_PER_VCPU, TRAFFIC_MODEL, capacity } from '../phases/capacity';

/** Prints the capacity model for every phase: peak load, what each region can carry, and the headroom. */
const t = TRAFFIC_MODEL;
console.log(
  `Model: ${t.requestsPerUserPerDay} requests and ${t.ordersPerUserPerDay} orders per user per day, ${t.peakHourShare * 100}% in the busiest hour, bursts ×${t.burstFactor}; ${RPS_PER_VCPU} requests/s per vCPU.\n`,
);
console.log('| phase | peak req/s | peak orders/s | req/s per region (a region lost) | region capacity req/s | bottleneck | headroom | orders-shard connections | partitions/topic vs consumers |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const name of PHASE_NAMES) {
  const c = capacity(PHASES[name]);
  console.log(
    `| ${name} | ${c.peakRps.toFixed(0)} | ${c.peakOrdersPerSecond.toFixed(2)} | ${c.regionalDesignRps.toFixed(0)} | ${c.regionalCapacityRps.toFixed(0)} | ${c.bottleneck} | ${c.computeHeadroom.toFixed(1)}× | ${c.ordersShardConnections.peak} of ${c.ordersShardConnections.max} | ${c.partitions.perTopic} vs ${c.partitions.maxConsumers} |`,
  );
}
console.log(`\nThe roadmap plans the next phase at ${PLANNING_THRESHOLD * 100}% of capacity: every headroom must be at least ${(1 / PLANNING_THRESHOLD).toFixed(2)}×.`);

console.log(
  '\nEKS: CPU requested with every HPA at its maximum (and MirrorMaker, add-ons) against what the node groups hold at their maxima (90% packing); the spot groups are tainted, so only the work placed on spot counts against them:\n',
);
console.log('| phase | nodes | requested vCPU | schedulable vCPU | fits |');
console.log('|---|---|---|---|---|');
const vcpu = (millicores: number) => (millicores / 1000).toFixed(1);
for (const name of PHASE_NAMES) {
  const c = capacity(PHASES[name]);
  for (const [kind, nodes] of [['on demand', c.nodes], ['spot', c.spotNodes]] as const) {
    if (nodes) console.log(`| ${name} | ${kind} | ${vcpu(nodes.requestedMillicores)} | ${vcpu(nodes.schedulableMillicores)} | ${nodes.requestedMillicores <= nodes.schedulableMillicores ? 'yes' : 'NO'} |`);
  }
}

const multi = PHASE_NAMES.filter((name) => PHASES[name].regions.length > 1);
console.log(`\nWhere the peak is served when latency routing spreads users evenly (${t.writeShareOfRequests * 100}% of requests write; reads stay in the region they enter, writes go to the primary):\n`);
console.log('| phase | region | role | reads served locally req/s | writes served req/s | writes forwarded home req/s |');
console.log('|---|---|---|---|---|---|');
for (const name of multi) {
  for (const r of capacity(PHASES[name]).regions) {
    console.log(`| ${name} | ${r.region} | ${r.role} | ${r.readRps.toFixed(1)} | ${r.writeRps.toFixed(1)} | ${r.forwardedWriteRps.toFixed(1)} |`);
  }
}
