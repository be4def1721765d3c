import * as fs from 'fs';
import * as path from 'path';
import { PHASES, PHASE_NAMES, RULES, UnknownPhaseError, loadPhase, partitionsPerBroker, validatePhase, withHome } from '../../phases';
import { copy, problems } from './support/specs';

/** Every test file below a folder. */
function listTests(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listTests(path.join(dir, entry.name)) : entry.name.endsWith('.test.ts') ? [path.join(dir, entry.name)] : [],
  );
}


describe('phase specs', () => {
  test.each(PHASE_NAMES)('phase %s is valid on its own and against the phase before it', (name) => {
    expect(() => loadPhase(name)).not.toThrow();
  });

  test('an unknown phase fails with the list of valid phases', () => {
    expect(() => loadPhase('2k')).toThrow(new UnknownPhaseError('2k'));
    expect(() => loadPhase('2k')).toThrow('Unknown phase "2k". Valid phases: 1k, 10k, 30k, 50k, 70k, 1m.');
  });

  test('no phase fails with the list of valid phases', () => {
    expect(() => loadPhase(undefined)).toThrow('No phase given. Pass one with -c phase=NAME; valid phases: 1k, 10k, 30k, 50k, 70k, 1m.');
  });

  test('the roadmap numbers that AWS can build are kept', () => {
    const orderShards = (name: keyof typeof PHASES) => PHASES[name].postgres.instances.filter((i) => i.role === 'orders').length;
    expect(PHASE_NAMES.map(orderShards)).toEqual([1, 1, 3, 6, 6, 6]);
    expect(PHASE_NAMES.map((n) => PHASES[n].cache.shardsPerRegion * (PHASES[n].cache.replicasPerShard + 1))).toEqual([3, 3, 6, 9, 9, 18]);
    expect(PHASES['1m'].cache.shardsPerRegion * 3 * PHASES['1m'].regions.length).toBe(54);
    expect(PHASE_NAMES.map((n) => PHASES[n].streaming.brokersPerRegion)).toEqual([3, 3, 6, 9, 9, 12]);
    expect(PHASE_NAMES.map((n) => PHASES[n].streaming.topics[0]?.partitions)).toEqual([3, 6, 12, 24, 24, 100]);
    expect(PHASE_NAMES.map((n) => PHASES[n].regions.map((r) => r.region).join('+'))).toEqual([
      'us-east-1',
      'us-east-1',
      'us-east-1',
      'us-east-1',
      'us-east-1+us-west-2',
      'us-east-1+us-west-2+eu-central-1',
    ]);
    expect(PHASE_NAMES.map((n) => PHASES[n].slo.budgetUsdPerMonth)).toEqual([500, 1_500, 6_000, 10_000, 25_000, 120_000]);
    expect(PHASE_NAMES.map((n) => PHASES[n].slo.checkoutResponseMs)).toEqual([2_000, 1_500, 1_000, 800, 600, 500]);
  });

  test('every phase that deviates from the roadmap says why', () => {
    expect(PHASES['30k'].deviations.join(' ')).toContain("6 brokers, not the roadmap's 5");
    expect(PHASES['50k'].deviations.join(' ')).toContain("9 brokers, not the roadmap's 7");
  });
});

describe('validation rules', () => {
  test('every rule in the table has a test below', () => {
    const tested = [
      'one-primary-region',
      'role-change-declared',
      'read-model-lag-alarm',
      'three-azs',
      'distinct-vpc-cidrs',
      'nat-gateways',
      'msk-brokers-multiple-of-azs',
      'msk-broker-type-known',
      'msk-partitions-per-broker',
      'topic-replication',
      'cache-global-datastore-node-type',
      'cache-regions',
      'cache-multi-region-needs-global-datastore',
      'cache-global-datastore-join',
      'secondary-regions-replicate-kafka',
      'cache-shape',
      'postgres-instances',
      'postgres-storage',
      'backup-retention',
      'docdb-elastic-shape',
      'no-shrink-or-downgrade',
    ];
    // Rules of other concerns (compute, monitoring) are tested beside their constructs: their ID
    // must appear in one of those test files.
    const elsewhere = listTests(path.join(__dirname))
      .filter((file) => path.basename(file) !== 'phase-specs.test.ts')
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');
    const untested = RULES.map((r) => r.id).filter((id) => !tested.includes(id) && !elsewhere.includes(`'${id}'`));
    expect(untested).toEqual([]);
  });

  test('an MSK broker count that is not a multiple of the AZ count fails, naming field, value and rule', () => {
    const spec = copy('30k');
    spec.streaming = { ...spec.streaming, brokersPerRegion: 5 };
    expect(problems(spec)).toBe(
      'Phase spec "30k" is invalid (1 problem):\n' +
        '  - streaming.brokersPerRegion = 5: must be a positive multiple of the 3 AZs: MSK places the same number of brokers in each AZ (use 3 or 6)',
    );
  });

  test('an unknown broker type fails', () => {
    const spec = copy('10k');
    spec.streaming = { ...spec.streaming, brokerType: 'kafka.m9.huge' };
    expect(problems(spec)).toContain('streaming.brokerType = "kafka.m9.huge": must be one of kafka.t3.small, kafka.m5.large');
  });

  test('partitions per broker above the broker type\'s recommended limit fail', () => {
    const spec = copy('1k');
    spec.streaming = { ...spec.streaming, topics: spec.streaming.topics.map((t: any) => ({ ...t, partitions: 60 })) };
    expect(partitionsPerBroker(spec)).toBe(360);
    expect(problems(spec)).toBe(
      'Phase spec "1k" is invalid (1 problem):\n' +
        '  - streaming.topics = "360 partitions per broker": kafka.t3.small is recommended for at most 300 partitions per broker (leaders and followers); add brokers, a larger broker type or fewer partitions',
    );
  });

  test('a replication factor above the broker count fails', () => {
    const spec = copy('1k');
    spec.streaming = { ...spec.streaming, topics: [{ name: 'orders', partitions: 3, replicationFactor: 4 }] };
    expect(problems(spec)).toContain('streaming.topics[orders] = {"partitions":3,"replicationFactor":4}: needs at least 1 partition and a replication factor from 1 to the 3 brokers');
  });

  test('a Global Datastore cache on a node type that cannot join one fails', () => {
    const spec = copy('70k');
    spec.cache = { ...spec.cache, nodeType: 'cache.t4g.medium' };
    expect(problems(spec)).toBe(
      'Phase spec "70k" is invalid (1 problem):\n' +
        '  - cache.nodeType = "cache.t4g.medium": a Global Datastore member needs an M or R node type of size large or more (m5, m6g, m7g, r5, r6g, r6gd, r7g); cache.globalDatastore is true',
    );
  });

  test('more than three cache regions fail', () => {
    const spec = copy('1m');
    spec.regions = [...spec.regions, { ...spec.regions[2], region: 'ap-southeast-1', availabilityZones: ['ap-southeast-1a', 'ap-southeast-1b', 'ap-southeast-1c'], vpcCidr: '10.40.0.0/16' }];
    expect(problems(spec)).toContain(
      'regions = ["us-east-1","us-west-2","eu-central-1","ap-southeast-1"]: a cache runs in every region, and a Global Datastore allows a primary and at most 2 secondary regions (3 in all)',
    );
  });

  test('several regions without a Global Datastore fail', () => {
    const spec = copy('70k');
    spec.cache = { ...spec.cache, globalDatastore: false };
    expect(problems(spec)).toContain('cache.globalDatastore = false: must be true when the phase has more than one region');
  });

  test('a cache without replicas fails', () => {
    const spec = copy('1k');
    spec.cache = { ...spec.cache, replicasPerShard: 0, shardsPerRegion: 0 };
    expect(problems(spec)).toBe(
      'Phase spec "1k" is invalid (2 problems):\n' +
        '  - cache.shardsPerRegion = 0: must be a whole number from 1 to 500\n' +
        '  - cache.replicasPerShard = 0: must be from 1 to 5: automatic failover needs at least one replica per shard',
    );
  });

  test('two primary regions fail', () => {
    const spec = copy('70k');
    spec.regions = spec.regions.map((r: any) => ({ ...r, role: 'primary' }));
    expect(problems(spec)).toContain('regions[].role = ["us-east-1","us-west-2"]: exactly one region must be primary, and it must be listed first');
  });

  test('two AZs, or an AZ from another region, fail', () => {
    const spec = copy('1k');
    spec.regions = [{ ...spec.regions[0], availabilityZones: ['us-east-1a', 'us-west-2b'] }];
    expect(problems(spec)).toBe(
      'Phase spec "1k" is invalid (2 problems):\n' +
        '  - regions[us-east-1].availabilityZones = ["us-east-1a","us-west-2b"]: must list exactly 3 distinct AZs\n' +
        '  - regions[us-east-1].availabilityZones = ["us-west-2b"]: each AZ must be in us-east-1 (e.g. us-east-1a)',
    );
  });

  test('overlapping or malformed VPC CIDRs fail', () => {
    const spec = copy('70k');
    spec.regions = spec.regions.map((r: any) => ({ ...r, vpcCidr: '10.10.0.0/16' }));
    expect(problems(spec)).toContain('regions[].vpcCidr = ["10.10.0.0/16","10.10.0.0/16"]: each region needs its own CIDR');
    spec.regions = [{ ...spec.regions[0], vpcCidr: '192.168.0.0/24' }, spec.regions[1]];
    expect(problems(spec)).toContain('regions[us-east-1].vpcCidr = "192.168.0.0/24": must be a /16 inside 10.0.0.0/8');
  });

  test('more NAT gateways than AZs fail', () => {
    const spec = copy('1k');
    spec.regions = [{ ...spec.regions[0], natGateways: 4 }];
    expect(problems(spec)).toContain('regions[us-east-1].natGateways = 4: must be a whole number from 1 to 3 (at most one per AZ)');
  });

  test('a missing orders database, duplicate IDs or gapped shard numbers fail', () => {
    const spec = copy('30k');
    const [users, , ...orders] = spec.postgres.instances;
    spec.postgres = { ...spec.postgres, instances: [users, users, orders[0], { ...orders[2], shardIndex: 5 }] };
    const message = problems(spec)!;
    expect(message).toContain('postgres.instances[].id = ["Users"]: instance IDs must be unique');
    expect(message).toContain('needs an instance with role "inventory"');
    expect(message).toContain('postgres.instances[].shardIndex = [0,5]: orders shards must be numbered 0, 1, 2, ... in order');
  });

  test('storage below gp3\'s minimum or an autoscaling ceiling below the storage fails', () => {
    const spec = copy('1k');
    spec.postgres = { ...spec.postgres, instances: spec.postgres.instances.map((i: any) => (i.id === 'Users' ? { ...i, storageGiB: 10, maxStorageGiB: 10 } : i)) };
    expect(problems(spec)).toBe(
      'Phase spec "1k" is invalid (2 problems):\n' +
        '  - postgres.instances[Users].storageGiB = 10: gp3 storage starts at 20 GiB\n' +
        '  - postgres.instances[Users].maxStorageGiB = 10: must exceed storageGiB (10) for storage autoscaling',
    );
  });

  test('backup retention outside 1 to 35 days fails', () => {
    const spec = copy('1k');
    spec.documentDb = { instanceCluster: { ...spec.documentDb.instanceCluster, backupRetentionDays: 0 } };
    expect(problems(spec)).toContain('documentDb.instanceCluster.backupRetentionDays = 0: must be a whole number of days from 1 to 35');
  });

  test('an elastic DocumentDB cluster with one shard or an odd capacity fails', () => {
    const spec = copy('30k');
    spec.documentDb = { ...spec.documentDb, elasticCluster: { ...spec.documentDb.elasticCluster, shardCount: 1, shardCapacity: 3 } };
    const message = problems(spec)!;
    expect(message).toContain('documentDb.elasticCluster.shardCount = 1: must be from 2 (sharding needs two) to 32');
    expect(message).toContain('documentDb.elasticCluster.shardCapacity = 3: must be one of 2, 4, 8, 16, 32 vCPUs');
  });

  describe('against the phase before', () => {
    test('fewer brokers, shards or partitions than the phase before fail', () => {
      const spec = copy('50k');
      spec.streaming = { ...spec.streaming, brokersPerRegion: 3, topics: spec.streaming.topics.map((t: any) => ({ ...t, partitions: 6 })) };
      spec.cache = { ...spec.cache, shardsPerRegion: 1 };
      const message = problems(spec, PHASES['30k'])!;
      expect(message).toContain('streaming.brokersPerRegion = 3: phase 30k had 6; it must not shrink: MSK cannot remove brokers from a cluster');
      expect(message).toContain('cache.shardsPerRegion = 1: phase 30k had 2; it must not shrink: cache capacity never shrinks');
      expect(message).toContain('streaming.topics[orders].partitions = 6: phase 30k had 12; it must not shrink: Kafka cannot remove partitions from a topic, and keys would move');
    });

    test('Multi-AZ or backups that downgrade fail', () => {
      const spec = copy('30k');
      spec.postgres = {
        ...spec.postgres,
        instances: spec.postgres.instances.map((i: any) => (i.id === 'Users' ? { ...i, multiAz: false, backupRetentionDays: 3 } : i)),
      };
      const message = problems(spec, PHASES['10k'])!;
      expect(message).toContain('postgres.instances[Users].multiAz = false: phase 10k had true; Multi-AZ never downgrades');
      expect(message).toContain('postgres.instances[Users].backupRetentionDays = 3: phase 10k had 7; it must not shrink: backups never downgrade');
    });

    test('a removed database or region fails', () => {
      const spec = copy('1m');
      spec.regions = spec.regions.slice(0, 1);
      spec.cache = { ...spec.cache };
      spec.postgres = { ...spec.postgres, instances: spec.postgres.instances.filter((i: any) => i.id !== 'OrdersShard5') };
      const message = problems(spec, PHASES['70k'])!;
      expect(message).toContain('regions[us-west-2].region = null: phase 70k had true; a region, once built, is never dropped by a later phase');
      expect(message).toContain('postgres.instances[OrdersShard5].id = null: phase 70k had true; a database instance is never removed');
    });

    test('a changed create-only value fails: cache engine, replicas per shard, database name, VPC CIDR', () => {
      const spec = copy('10k');
      spec.cache = { ...spec.cache, engine: 'redis', replicasPerShard: 1 };
      spec.regions = [{ ...spec.regions[0], vpcCidr: '10.99.0.0/16' }];
      spec.postgres = { ...spec.postgres, instances: spec.postgres.instances.map((i: any) => (i.id === 'Users' ? { ...i, databaseName: 'accounts' } : i)) };
      const message = problems(spec, PHASES['1k'])!;
      expect(message).toContain('cache.engine = "redis": phase 1k had "valkey"; it must stay the same: Engine is create-only on an ElastiCache replication group');
      expect(message).toContain('cache.replicasPerShard = 1: phase 1k had 2; it must stay the same: ReplicasPerNodeGroup is create-only');
      expect(message).toContain('regions[us-east-1].vpcCidr = "10.99.0.0/16": phase 1k had "10.10.0.0/16"; it must stay the same');
      expect(message).toContain('postgres.instances[Users].databaseName = "accounts": phase 1k had "users"; it must stay the same: DBName is create-only');
    });

    test('a switch of Kafka metadata mode (create-only on MSK) fails', () => {
      const spec = copy('30k');
      spec.streaming = { ...spec.streaming, kafkaVersion: '3.9.x' };
      expect(problems(spec, PHASES['10k'])).toContain(
        'streaming.kafkaVersion = "ZooKeeper": phase 10k had "KRaft"; it must stay the same: MSK fixes the metadata mode (KRaft or ZooKeeper) when a cluster is created',
      );
    });

    test('event sourcing turned off after a phase turned it on fails', () => {
      const spec = copy('1m');
      spec.compute = { ...spec.compute, eventSourcing: undefined };
      expect(problems(spec, PHASES['1m'])).toContain(
        'compute.eventSourcing = false: phase 1m had true; order reads come from the event log\'s projection once it is on, and a log left off misses every change made meanwhile',
      );
    });

    test('a read-model lag alarm of no whole number of seconds fails', () => {
      const spec = copy('1m');
      spec.compute = { ...spec.compute, eventSourcing: { readModelLagAlarmSeconds: 0.5 } };
      expect(problems(spec)).toContain('compute.eventSourcing.readModelLagAlarmSeconds = 0.5: must be a whole number of seconds from 1 to 3600');
    });

    test('a dropped elastic cluster fails', () => {
      const spec = copy('50k');
      spec.documentDb = { instanceCluster: spec.documentDb.instanceCluster };
      expect(problems(spec, PHASES['30k'])).toContain('documentDb.elasticCluster = false: phase 30k had true; removing the elastic cluster deletes the sharded collections');
    });
  });

  test('every problem is reported at once', () => {
    const spec = copy('50k');
    spec.streaming = { ...spec.streaming, brokersPerRegion: 7 };
    spec.cache = { ...spec.cache, globalDatastore: true, nodeType: 'cache.t4g.small' };
    expect(problems(spec)).toMatch(/^Phase spec "50k" is invalid \(3 problems\):/);
  });

  test('a Global Datastore without the sizes its primary joined with fails, and so do join sizes it cannot have', () => {
    const spec = copy('70k');
    spec.cache = { ...spec.cache, joinedGlobalDatastoreWith: undefined };
    expect(problems(spec)).toContain(
      'cache.joinedGlobalDatastoreWith = null: must give the node type and shard count the primary replication group joined the Global Datastore with',
    );
    spec.cache = { ...spec.cache, joinedGlobalDatastoreWith: { nodeType: 'cache.t4g.medium', shardsPerRegion: 9 } };
    const message = problems(spec)!;
    expect(message).toContain('cache.joinedGlobalDatastoreWith.nodeType = "cache.t4g.medium": a Global Datastore member needs an M or R node type of size large or more');
    expect(message).toContain('cache.joinedGlobalDatastoreWith.shardsPerRegion = 9: must be at most cache.shardsPerRegion (3): shards only grow');
    const single = copy('50k');
    single.cache = { ...single.cache, joinedGlobalDatastoreWith: { nodeType: 'cache.m7g.large', shardsPerRegion: 3 } };
    expect(problems(single)).toContain('cache.joinedGlobalDatastoreWith = {"nodeType":"cache.m7g.large","shardsPerRegion":3}: must be absent when cache.globalDatastore is false');
  });

  test('the join sizes of a Global Datastore never change from one phase to the next', () => {
    const spec = copy('1m');
    spec.cache = { ...spec.cache, joinedGlobalDatastoreWith: { nodeType: 'cache.r7g.xlarge', shardsPerRegion: 6 } };
    expect(problems(spec, PHASES['70k'])).toContain(
      'cache.joinedGlobalDatastoreWith = "cache.r7g.xlarge x 6 shards": phase 70k had "cache.r7g.large x 3 shards"; it must stay the same: the replication group keeps the values it joined the Global Datastore with',
    );
  });

  test('secondary regions need MirrorMaker 2, EKS and the internal load balancer; a single-region phase has no MirrorMaker', () => {
    const spec = copy('70k');
    spec.streaming = { ...spec.streaming, mirrorMaker: undefined };
    spec.compute = { ...spec.compute, gateway: undefined };
    const message = problems(spec)!;
    expect(message).toContain("streaming.mirrorMaker = null: must be set when the phase has secondary regions: their Kafka receives the primary's topics through MirrorMaker 2");
    expect(message).toContain("compute.gateway = null: must be set when the phase has secondary regions: they forward writes to the primary region's internal load balancer");
    const small = copy('70k');
    small.streaming = { ...small.streaming, mirrorMaker: { tasksMax: 0, cpuMillis: 500, memoryMiB: 512 } };
    const sizes = problems(small)!;
    expect(sizes).toContain('streaming.mirrorMaker.tasksMax = 0: must be a whole number of at least 1');
    expect(sizes).toContain("streaming.mirrorMaker.memoryMiB = 512: must be at least 1024: MirrorMaker's JVM, producers and consumers need room beside the heap");
    const single = copy('50k');
    single.streaming = { ...single.streaming, mirrorMaker: { tasksMax: 4, cpuMillis: 500, memoryMiB: 2048 } };
    expect(problems(single)).toContain('streaming.mirrorMaker = {"tasksMax":4,"cpuMillis":500,"memoryMiB":2048}: must be absent in a single-region phase: there is nothing to mirror to');
  });

  test('a node group\'s desired size never changes once the group exists: the cluster autoscaler owns it', () => {
    const spec = copy('70k');
    spec.compute = { ...spec.compute, eks: { ...spec.compute.eks, nodeGroups: spec.compute.eks.nodeGroups.map((g: any) => ({ ...g, desiredNodes: 9 })) } };
    expect(problems(spec, PHASES['50k'])).toContain(
      'compute.eks.nodeGroups[General (m7g.large, m6g.large)].desiredNodes = 9: phase 50k had 6; it must stay the same: EKS resizes a node group whenever its desired size changes',
    );
  });

  test('a phase move never changes which region is primary', () => {
    const spec = copy('1m');
    spec.regions = spec.regions.map((r: any) => ({ ...r, role: r.region === 'us-west-2' ? 'primary' : r.region === 'us-east-1' ? 'secondary' : r.role }));
    expect(problems(spec, PHASES['70k'])).toContain(
      'regions[us-west-2].role = "primary": phase 70k had "secondary"; a phase move never changes which region takes the writes: that is a regional failover, ' +
        'and after one the new home is declared with -c homeRegion=REGION (phases/home.ts)',
    );
  });

  test('a role change declared by homeRegion passes: the home a failover moved the writes to', () => {
    expect(() => validatePhase(withHome(PHASES['1m'], 'us-west-2'), PHASES['70k'])).not.toThrow();
    expect(() => validatePhase(withHome(PHASES['70k'], 'us-west-2'), PHASES['50k'])).not.toThrow();
  });

  test('a homeRegion that is not the primary, or is the first region, fails', () => {
    const moved = { ...copy('70k'), homeRegion: 'us-west-2' as const };
    expect(problems(moved)).toContain('regions[].role = ["us-east-1"]: exactly one region must be primary: homeRegion us-west-2');
    const first = { ...withHome(PHASES['70k'], 'us-west-2'), homeRegion: 'us-east-1' as const };
    expect(problems(first)).toContain(
      'homeRegion = "us-east-1": must be one of the phase\'s regions other than the first (us-west-2): the region a failover moved the writes to',
    );
  });

  test('-c homeRegion naming a region the phase does not have fails', () => {
    expect(() => withHome(PHASES['70k'], 'eu-central-1')).toThrow(
      '-c homeRegion=eu-central-1: not a region of phase 70k (us-east-1, us-west-2); name the region the failover moved the writes to',
    );
  });
});
