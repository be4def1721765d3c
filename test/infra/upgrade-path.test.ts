import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PHASES, PHASE_NAMES, PhaseSpec } from '../../phases';
import { PhaseTemplates, reviewUpgrade, summarize } from '../../lib/review/upgrade-review';
import { phaseTemplates } from './support/assembly';
import { synthesizePhase } from './support/synth';

const STEPS = PHASE_NAMES.slice(1).map((to, n) => [PHASE_NAMES[n], to] as const);

/** Synthesizes specs outside the validated chain, to prove the review catches what validation would stop. */
function templatesOf(spec: PhaseSpec): PhaseTemplates {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'upgrade-'));
  const asm = synthesizePhase(outdir, spec);
  return { phase: spec.name, stacks: new Map(asm.stacks.map((s) => [s.stackName, s.template])) };
}

describe('the upgrade path', () => {
  test.each(STEPS)('%s → %s replaces, deletes or orphans no stateful resource and keeps every stack', (from, to) => {
    const review = reviewUpgrade(phaseTemplates(from), phaseTemplates(to));
    expect(review.errors).toEqual([]);
    expect(review.removedStacks).toEqual([]);
    expect(summarize(review).add).toBeGreaterThan(0);
  });

  test('the same phase deployed again changes nothing', () => {
    const review = reviewUpgrade(phaseTemplates('50k'), phaseTemplates('50k'));
    expect(review.changes).toEqual([]);
  });

  test('30k → 50k adds three orders shards beside the three that exist', () => {
    const review = reviewUpgrade(phaseTemplates('30k'), phaseTemplates('50k'));
    const addedInstances = review.changes.filter((c) => c.type === 'AWS::RDS::DBInstance' && c.action === 'add').map((c) => c.logicalId);
    expect(addedInstances.filter((id) => /Replica/.test(id))).toHaveLength(3);
    expect(addedInstances.filter((id) => !/Replica/.test(id)).sort()).toEqual([
      expect.stringMatching(/^PostgresOrdersShard3/),
      expect.stringMatching(/^PostgresOrdersShard4/),
      expect.stringMatching(/^PostgresOrdersShard5/),
    ]);
  });

  describe('can say no', () => {
    const base = PHASES['1k'];
    const next = (changes: Partial<PhaseSpec>): PhaseSpec => ({ ...PHASES['10k'], ...changes });

    test('a changed cache engine (create-only) is a stateful replacement', () => {
      const review = reviewUpgrade(templatesOf(base), templatesOf(next({ cache: { ...PHASES['10k'].cache, engine: 'redis', engineVersion: '7.1' } })));
      expect(review.errors).toEqual([expect.stringMatching(/^orders-use1-data\/Cache\w+ \(AWS::ElastiCache::ReplicationGroup\) would be replaced because of Engine/)]);
    });

    test('a changed database name (create-only) is a stateful replacement', () => {
      const instances = PHASES['10k'].postgres.instances.map((i) => (i.id === 'Users' ? { ...i, databaseName: 'accounts' } : i));
      const review = reviewUpgrade(templatesOf(base), templatesOf(next({ postgres: { ...PHASES['10k'].postgres, instances } })));
      expect(review.errors).toEqual(
        expect.arrayContaining([expect.stringMatching(/^orders-use1-data\/PostgresUsers\w+ \(AWS::RDS::DBInstance\) would be replaced because of DBName/)]),
      );
    });

    test('a renamed construct ID deletes the old instance', () => {
      const instances = PHASES['10k'].postgres.instances.map((i) => (i.id === 'OrdersShard0' ? { ...i, id: 'Orders' } : i));
      const review = reviewUpgrade(templatesOf(base), templatesOf(next({ postgres: { ...PHASES['10k'].postgres, instances } })));
      expect(review.errors).toEqual(expect.arrayContaining([expect.stringMatching(/^orders-use1-data\/PostgresOrdersShard0\w+ \(AWS::RDS::DBInstance\) would be deleted/)]));
    });

    test('moved MSK client subnets (nested create-only) are a replacement the diff engine alone misses', () => {
      const before = templatesOf(base);
      const after = templatesOf(next({}));
      const data = structuredClone(after.stacks.get('orders-use1-data')!) as any;
      const msk = Object.values(data.Resources).find((r: any) => r.Type === 'AWS::MSK::Cluster') as any;
      msk.Properties.BrokerNodeGroupInfo.ClientSubnets = msk.Properties.BrokerNodeGroupInfo.ClientSubnets.slice().reverse();
      const review = reviewUpgrade(before, { ...after, stacks: new Map([...after.stacks, ['orders-use1-data', data]]) });
      expect(review.errors).toEqual([expect.stringMatching(/\(AWS::MSK::Cluster\) would be replaced because of BrokerNodeGroupInfo\.ClientSubnets$/)]);
    });

    test('a stack that disappears is an error', () => {
      const before = phaseTemplates('70k');
      const after = phaseTemplates('1m');
      const without = new Map([...after.stacks].filter(([name]) => !name.startsWith('orders-usw2-')));
      const review = reviewUpgrade(before, { ...after, stacks: without });
      expect([...review.removedStacks].sort()).toEqual(expect.arrayContaining(['orders-usw2-data', 'orders-usw2-network']));
      expect(review.errors).toEqual(expect.arrayContaining([expect.stringMatching(/^stack orders-usw2-data exists in 70k but not in 1m/)]));
    });
  });
});
