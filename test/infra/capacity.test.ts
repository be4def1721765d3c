import { PHASES, PHASE_NAMES, PhaseSpec } from '../../phases';
import { PLANNING_THRESHOLD, SERVICE_TRAFFIC_SHARE, capacity, rdsMaxConnections } from '../../phases/capacity';

describe('the capacity model', () => {
  test.each(PHASE_NAMES)('phase %s serves its peak in each region with the roadmap\'s 20%% margin, even with a region lost', (phase) => {
    const report = capacity(PHASES[phase]);
    expect(report.peakRps).toBeGreaterThan(0);
    expect({ phase, headroomOk: report.computeHeadroom >= 1 / PLANNING_THRESHOLD }).toEqual({ phase, headroomOk: true });
  });

  test.each(PHASE_NAMES)('phase %s keeps each orders shard\'s connections under 80%% of what it accepts', (phase) => {
    const { peak, max } = capacity(PHASES[phase]).ordersShardConnections;
    expect(peak).toBeLessThanOrEqual(max * PLANNING_THRESHOLD);
  });

  test.each(PHASE_NAMES)('phase %s has at least as many partitions per topic as a service may run consumers', (phase) => {
    const { perTopic, maxConsumers } = capacity(PHASES[phase]).partitions;
    expect(perTopic).toBeGreaterThanOrEqual(maxConsumers);
  });

  test('peak load grows with the phases and is worked out from daily users', () => {
    const peaks = PHASE_NAMES.map((p) => capacity(PHASES[p]).peakRps);
    expect(peaks).toEqual([...peaks].sort((a, b) => a - b));
    // 1,000,000 users × 40 requests × 12% in the busiest hour / 3600 s × 2 for bursts.
    expect(capacity(PHASES['1m']).peakRps).toBeCloseTo((1_000_000 * 40 * 0.12 * 2) / 3600, 6);
  });

  test('traffic shares add up to the whole', () => {
    expect(Object.values(SERVICE_TRAFFIC_SHARE).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  test('RDS max_connections follows the instance memory, capped at 5000', () => {
    expect(rdsMaxConnections('t4g.small')).toBe(225);
    expect(rdsMaxConnections('r7g.xlarge')).toBe(3604);
    expect(() => rdsMaxConnections('x9.huge')).toThrow('capacity: no memory size for RDS class x9.huge; add it to RDS_MEMORY_GIB');
  });

  test('a phase sized below its peak is caught, naming the bottleneck', () => {
    const starved: PhaseSpec = {
      ...PHASES['1m'],
      compute: {
        ...PHASES['1m'].compute,
        eks: { ...PHASES['1m'].compute.eks!, services: PHASES['1m'].compute.eks!.services.map((s) => (s.name === 'product' ? { ...s, maxReplicas: 4 } : s)) },
      },
    };
    const report = capacity(starved);
    expect(report.bottleneck).toBe('product');
    expect(report.computeHeadroom).toBeLessThan(1 / PLANNING_THRESHOLD);
  });

  test('every region serves its reads locally and the primary serves every write; the shares add up to the peak', () => {
    for (const phase of PHASE_NAMES) {
      const report = capacity(PHASES[phase]);
      const reads = report.regions.reduce((sum, r) => sum + r.readRps, 0);
      const writes = report.regions.reduce((sum, r) => sum + r.writeRps, 0);
      expect(reads + writes).toBeCloseTo(report.peakRps, 6);
      expect(report.regions.filter((r) => r.writeRps > 0).map((r) => r.role)).toEqual(['primary']);
      const forwarded = report.regions.reduce((sum, r) => sum + r.forwardedWriteRps, 0);
      // What enters the secondary regions as writes is what the primary serves beyond its own share.
      expect(forwarded).toBeCloseTo(writes * (1 - 1 / report.regions.length), 6);
    }
    expect(capacity(PHASES['1m']).regions.map((r) => r.readRps)).toEqual([800, 800, 800].map((n) => expect.closeTo(n, 6)));
  });

  test.each(['50k', '70k', '1m'] as const)('at %s the node groups at their maxima hold every HPA at its maximum', (phase) => {
    const nodes = capacity(PHASES[phase]).nodes!;
    expect(nodes.requestedMillicores).toBeLessThanOrEqual(nodes.schedulableMillicores);
  });

  test('at 1m the on-demand groups alone hold every pod not placed on spot, and the spot groups hold analytics at its maximum', () => {
    const c = capacity(PHASES['1m']);
    const eks = PHASES['1m'].compute.eks!;
    const analytics = eks.services.find((s) => s.name === 'analytics')!;
    // The spot group's nodes no longer count for the pods its taint keeps off it.
    const everything = capacity({ ...PHASES['1m'], compute: { ...PHASES['1m'].compute, eks: { ...eks, spot: undefined } } }).nodes!;
    expect(everything.requestedMillicores - c.nodes!.requestedMillicores).toBe(analytics.maxReplicas * analytics.cpuMillis);
    expect(c.nodes!.requestedMillicores).toBeLessThanOrEqual(c.nodes!.schedulableMillicores);
    expect(c.spotNodes).toEqual({ requestedMillicores: analytics.maxReplicas * analytics.cpuMillis, schedulableMillicores: expect.any(Number) });
    expect(c.spotNodes!.requestedMillicores).toBeLessThanOrEqual(c.spotNodes!.schedulableMillicores);
    expect(capacity(PHASES['70k']).spotNodes).toBeUndefined();
  });

  test('node groups too small for the HPA maxima are caught (50k\'s groups as they were: 12 nodes for 25.5 vCPU of pods)', () => {
    const spec = PHASES['50k'];
    const eks = spec.compute.eks!;
    const small = { ...spec, compute: { ...spec.compute, eks: { ...eks, nodeGroups: eks.nodeGroups.map((g) => ({ ...g, maxNodes: 12 })) } } };
    const nodes = capacity(small).nodes!;
    expect(nodes.requestedMillicores).toBe(25_500 + 800);
    expect(nodes.requestedMillicores).toBeGreaterThan(nodes.schedulableMillicores);
    expect(capacity(PHASES['30k']).nodes).toBeUndefined();
  });
});

