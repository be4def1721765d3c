import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PHASES, PHASE_NAMES, PhaseName, PhaseSpec, RegionName, RegionSpec } from '../../phases';
import { rdsMaxConnections } from '../../phases/capacity';
import { regionalStackName } from '../../lib/naming';
import { alarmTable } from '../../lib/monitoring/alarm-table';
import { alarmRecipients } from '../../lib/monitoring/notifications';
import { buildPlatform } from '../../lib/platform';
import { synthesizePhases } from '../../lib/synthesize';
import { templateJson } from './support/assembly';
import { copy, problems } from './support/specs';
import { ROOT, cdkJsonContext } from './support/synth';

type Resource = { Type: string; Properties: any };
type Alarm = { id: string; props: any };

const GIB = 1024 ** 3;

/** DocumentDB's connections per instance class, written out here rather than read from the code under test. */
const DOCDB_CONNECTIONS: Record<string, number> = { 't4g.medium': 500, 'r6g.large': 1_700, 'r6g.xlarge': 3_400 };

/** The data-store alarms of a template, by the construct ID they were given. */
function dataStoreAlarms(resources: Record<string, Resource>): Map<string, any> {
  const found = new Map<string, any>();
  for (const [logicalId, r] of Object.entries(resources)) {
    const match = /^DataStoreAlarms(.+)[0-9A-F]{8}$/.exec(logicalId);
    if (r.Type === 'AWS::CloudWatch::Alarm' && match) found.set(match[1], r.Properties);
  }
  return found;
}

function allAlarms(resources: Record<string, Resource>): Alarm[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([id, r]) => ({ id, props: r.Properties }));
}

/** What every data-store alarm of a region should be, from the spec alone: threshold, direction, periods. */
function expectedDataStoreAlarms(spec: PhaseSpec, region: RegionSpec): Map<string, { threshold: number; below?: boolean; periods: number }> {
  const m = spec.monitoring;
  const expected = new Map<string, { threshold: number; below?: boolean; periods: number }>();
  const postgres = (id: string, instance: PhaseSpec['postgres']['instances'][number]) => {
    expected.set(`${id}FreeStorage`, { threshold: Math.round(((instance.storageGiB * m.databaseFreeStoragePercent) / 100) * GIB), below: true, periods: 2 });
    expected.set(`${id}Connections`, { threshold: Math.floor((rdsMaxConnections(instance.instanceClass) * m.databaseConnectionsPercent) / 100), periods: 3 });
  };
  for (const instance of spec.postgres.instances) {
    if (region.role === 'primary') {
      postgres(instance.id, instance);
      for (let n = 0; n < instance.readReplicas; n++) postgres(`${instance.id}Replica${n}`, instance);
    } else {
      postgres(`${instance.id}Replica`, instance);
    }
  }
  const docdb = spec.documentDb.instanceCluster;
  for (let i = 1; i <= docdb.instances; i++) {
    expected.set(`CatalogInstance${i}CPU`, { threshold: m.databaseCpuPercent, periods: 3 });
    expected.set(`CatalogInstance${i}Connections`, { threshold: Math.floor((DOCDB_CONNECTIONS[docdb.instanceClass] * m.databaseConnectionsPercent) / 100), periods: 3 });
    if (docdb.instances > 1) expected.set(`CatalogInstance${i}ReplicaDelay`, { threshold: m.replicationLagSeconds * 1000, periods: 2 });
  }
  if (region.role === 'secondary') expected.set('CatalogGlobalLag', { threshold: m.replicationLagSeconds * 1000, periods: 2 });
  for (let s = 1; s <= spec.cache.shardsPerRegion; s++) {
    expected.set(`CacheShard${s}Memory`, { threshold: m.cacheMemoryPercent, periods: 3 });
    expected.set(`CacheShard${s}Evictions`, { threshold: m.cacheEvictionsPerMinute, periods: 5 });
    if (region.role === 'secondary') expected.set(`CacheShard${s}GlobalLag`, { threshold: m.replicationLagSeconds, periods: 2 });
  }
  expected.set('KafkaDiskUsed', { threshold: m.kafkaDiskUsedPercent, periods: 2 });
  expected.set('KafkaUnderReplicated', { threshold: 0, periods: m.kafkaUnderReplicatedMinutes });
  return expected;
}

const monitoring = (phase: PhaseName, region: RegionName) => templateJson(phase, regionalStackName(region, 'monitoring')).Resources as Record<string, Resource>;

describe.each(PHASE_NAMES)('phase %s data-store alarms', (phase) => {
  const spec = PHASES[phase];

  test.each(spec.regions.map((r) => [r.region, r] as const))('%s: every store the region holds has its alarms, at the spec\'s thresholds', (region, regionSpec) => {
    const found = dataStoreAlarms(monitoring(phase, region));
    const expected = expectedDataStoreAlarms(spec, regionSpec);
    expect([...found.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, want] of expected) {
      const alarm = found.get(id);
      expect({ id, threshold: alarm.Threshold, operator: alarm.ComparisonOperator, periods: alarm.EvaluationPeriods, datapoints: alarm.DatapointsToAlarm }).toEqual({
        id,
        threshold: want.threshold,
        operator: want.below ? 'LessThanThreshold' : 'GreaterThanThreshold',
        periods: want.periods,
        datapoints: want.periods,
      });
    }
  });

  test.each(spec.regions.map((r) => [r.region, r] as const))('%s: each alarm reads the metric of its store', (region, regionSpec) => {
    const found = dataStoreAlarms(monitoring(phase, region));
    const metricOf = (id: string) => found.get(id).MetricName;
    const [first] = spec.postgres.instances;
    const pgId = regionSpec.role === 'primary' ? first.id : `${first.id}Replica`;
    expect([metricOf(`${pgId}FreeStorage`), found.get(`${pgId}FreeStorage`).Namespace]).toEqual(['FreeStorageSpace', 'AWS/RDS']);
    expect(metricOf(`${pgId}Connections`)).toBe('DatabaseConnections');
    expect([metricOf('CatalogInstance1CPU'), found.get('CatalogInstance1CPU').Namespace]).toEqual(['CPUUtilization', 'AWS/DocDB']);
    expect(metricOf('CatalogInstance1Connections')).toBe('DatabaseConnections');
    if (spec.documentDb.instanceCluster.instances > 1) expect(metricOf('CatalogInstance2ReplicaDelay')).toBe('DBInstanceReplicaLag');
    const expression = (id: string) => JSON.stringify(found.get(id).Metrics);
    // Every node of every shard, named as ElastiCache names cluster-mode nodes.
    const nodes = spec.cache.replicasPerShard + 1;
    for (let s = 1; s <= spec.cache.shardsPerRegion; s++) {
      const memory = found.get(`CacheShard${s}Memory`).Metrics;
      expect(memory[0].Expression).toBe(`MAX([${Array.from({ length: nodes }, (_, n) => `n${n}`).join(', ')}])`);
      const metrics = memory.slice(1).map((q: any) => [q.MetricStat.Metric.MetricName, JSON.stringify(q.MetricStat.Metric.Dimensions)]);
      expect(metrics).toHaveLength(nodes);
      metrics.forEach(([name, dims]: [string, string], n: number) => {
        expect(name).toBe('DatabaseMemoryUsagePercentage');
        expect(dims).toContain(`-${String(s).padStart(4, '0')}-${String(n + 1).padStart(3, '0')}`);
      });
      expect(expression(`CacheShard${s}Evictions`)).toContain('SUM([');
      expect(expression(`CacheShard${s}Evictions`)).toContain('"Evictions"');
      if (regionSpec.role === 'secondary') expect(expression(`CacheShard${s}GlobalLag`)).toContain('GlobalDatastoreReplicationLag');
    }
    expect(found.get('KafkaDiskUsed').Metrics[0].Expression).toBe(
      'SELECT MAX(KafkaDataLogsDiskUsed) FROM SCHEMA("AWS/Kafka", "Broker ID", "Cluster Name") WHERE "Cluster Name" = \'orders-events\'',
    );
    expect(found.get('KafkaUnderReplicated').Metrics[0].Expression).toBe(
      'SELECT SUM(UnderReplicatedPartitions) FROM SCHEMA("AWS/Kafka", "Broker ID", "Cluster Name") WHERE "Cluster Name" = \'orders-events\'',
    );
    if (regionSpec.role === 'secondary') {
      const lag = JSON.stringify(found.get('CatalogGlobalLag').Metrics[0].Expression);
      expect(lag).toContain('SELECT MAX(GlobalClusterReplicationLag) FROM \\"AWS/DocDB\\" WHERE DBClusterIdentifier = ');
      expect(lag).toContain('DocumentDbSecondary');
    }
  });

  test('the response-time target: p99 above the phase\'s checkout target, beside the rollback alarm at 2x the baseline', () => {
    for (const region of spec.regions) {
      const alarms = allAlarms(monitoring(phase, region.region));
      const target = alarms.filter((a) => /LatencyTarget/.test(a.id));
      const frontDoor = !!spec.compute.monolith;
      const api = !!spec.compute.gateway;
      expect(target.map((a) => a.id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([...(api ? ['AlarmsApiLatencyTarget'] : []), ...(frontDoor ? ['AlarmsFrontDoorLatencyTarget'] : [])]);
      for (const a of target) {
        const ms = /FrontDoor/.test(a.id) ? a.props.Threshold * 1000 : a.props.Threshold;
        expect([ms, a.props.ExtendedStatistic, a.props.EvaluationPeriods * a.props.Period]).toEqual([spec.slo.checkoutResponseMs, 'p99', spec.monitoring.responseTargetMinutes * 60]);
      }
      const rollback = alarms.filter((a) => /ResponseTime/.test(a.id));
      expect(rollback.length).toBe(target.length);
    }
  });

  test('every alarm notifies its own region\'s topic on alarm and on recovery, and says what it means and what to do', () => {
    for (const region of spec.regions) {
      const alarms = allAlarms(monitoring(phase, region.region));
      const ownTopic = JSON.stringify({ StackName: regionalStackName(region.region, 'telemetry'), Region: region.region });
      for (const a of alarms) {
        for (const actions of [a.props.AlarmActions, a.props.OKActions]) {
          expect(actions).toHaveLength(1);
          expect(JSON.stringify(actions)).toContain(ownTopic.slice(1, -1));
          expect(JSON.stringify(actions)).toMatch(/TelemetryAlarms/);
        }
        // A meaning and an action: at least two sentences.
        expect(a.props.AlarmDescription.split(/\.\s+(?=[A-Z])/).length).toBeGreaterThanOrEqual(2);
      }
    }
  });

  test('no alarm topic has a subscription when no recipient is given', () => {
    for (const region of spec.regions) {
      const telemetry = templateJson(phase, regionalStackName(region.region, 'telemetry')).Resources as Record<string, Resource>;
      expect(Object.values(telemetry).filter((r) => r.Type === 'AWS::SNS::Subscription')).toEqual([]);
    }
  });
});

describe('alarm recipients from context (70k, two regions)', () => {
  const spec = PHASES['70k'];
  const pager = 'arn:aws:sns:us-west-2:123456789012:pager';
  let outdir: string;
  let templates: (stack: string) => Record<string, Resource>;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'alarms-'));
    const asm = synthesizePhases(outdir, [spec], cdkJsonContext(), { alarmEmails: ['oncall@example.com', 'lead@example.com'], alarmTopicArns: [pager] }).get('70k')!;
    templates = (stack) => asm.getStackByName(stack).template.Resources as Record<string, Resource>;
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('each address is subscribed exactly once to every region\'s alarm topic', () => {
    for (const region of spec.regions) {
      const subscriptions = Object.values(templates(regionalStackName(region.region, 'telemetry'))).filter((r) => r.Type === 'AWS::SNS::Subscription');
      expect(subscriptions.map((s) => [s.Properties.Protocol, s.Properties.Endpoint]).sort()).toEqual([
        ['email', 'lead@example.com'],
        ['email', 'oncall@example.com'],
      ]);
      for (const s of subscriptions) expect(s.Properties.TopicArn).toEqual({ Ref: expect.stringMatching(/^TelemetryAlarms/) });
    }
  });

  test('the given topic is a second action of every alarm of its region, and of no other region\'s', () => {
    for (const region of spec.regions) {
      const alarms = allAlarms(templates(regionalStackName(region.region, 'monitoring')));
      expect(alarms.length).toBeGreaterThan(0);
      for (const a of alarms) {
        for (const actions of [a.props.AlarmActions, a.props.OKActions]) {
          expect(JSON.stringify(actions)).toMatch(/TelemetryAlarms/);
          if (region.region === 'us-west-2') expect(actions).toEqual([expect.anything(), pager]);
          else expect(actions).toHaveLength(1);
        }
      }
    }
  });
});

describe('alarm recipients are checked', () => {
  const check = (emails: string[], topics: string[] = []) => () => alarmRecipients(PHASES['70k'], emails, topics);

  test('an address without a domain fails, naming it and the rule', () => {
    expect(check(['oncall'])).toThrow('alarmEmail = oncall: must be an email address (name@example.com)');
  });

  test('an address given twice fails', () => {
    expect(check(['oncall@example.com', 'OnCall@example.com'])).toThrow('alarmEmail = OnCall@example.com: given twice; each address is subscribed once');
  });

  test('a topic ARN that is not an SNS ARN fails', () => {
    expect(check([], ['arn:aws:sqs:us-east-1:123456789012:queue'])).toThrow(
      'alarmTopicArn = arn:aws:sqs:us-east-1:123456789012:queue: must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)',
    );
  });

  test('a topic in a region the phase does not run in fails: alarms notify only topics of their own region', () => {
    expect(check([], ['arn:aws:sns:eu-central-1:123456789012:pager'])).toThrow(
      'alarmTopicArn = arn:aws:sns:eu-central-1:123456789012:pager: its region eu-central-1 is not one of phase 70k\'s regions (us-east-1, us-west-2); alarms notify only topics of their own region',
    );
  });

  test('two topics for one region fail', () => {
    expect(check([], ['arn:aws:sns:us-east-1:123456789012:a', 'arn:aws:sns:us-east-1:123456789012:b'])).toThrow(
      'alarmTopicArn = arn:aws:sns:us-east-1:123456789012:b: us-east-1 already has topic arn:aws:sns:us-east-1:123456789012:a; give one per region',
    );
  });

  test('a FIFO topic fails: CloudWatch publishes only to standard topics', () => {
    expect(check([], ['arn:aws:sns:us-east-1:123456789012:alarms.fifo'])).toThrow(
      'alarmTopicArn = arn:aws:sns:us-east-1:123456789012:alarms.fifo: is a FIFO topic; CloudWatch alarms publish only to standard topics',
    );
  });

  test('buildPlatform refuses a bad recipient before building anything', () => {
    const app = new App();
    expect(() => buildPlatform(app, PHASES['1k'], { alarmEmails: ['not-an-address'] })).toThrow('alarmEmail = not-an-address: must be an email address (name@example.com)');
    expect(app.node.children).toHaveLength(0);
  });
});

describe('the alarms follow the spec', () => {
  test('changed thresholds in the monitoring spec change the alarms', () => {
    const spec = copy('1k');
    spec.monitoring = {
      ...spec.monitoring,
      kafkaDiskUsedPercent: 65,
      kafkaUnderReplicatedMinutes: 4,
      cacheMemoryPercent: 70,
      cacheEvictionsPerMinute: 100,
      databaseConnectionsPercent: 50,
      databaseFreeStoragePercent: 2,
      responseTargetMinutes: 5,
    };
    const platform = buildPlatform(new App({ context: cdkJsonContext() }), spec);
    const stack = platform.regions.get('us-east-1')!.monitoring;
    const found = dataStoreAlarms(Template.fromStack(stack).toJSON().Resources);
    expect(found.get('KafkaDiskUsed').Threshold).toBe(65);
    expect(found.get('KafkaUnderReplicated').EvaluationPeriods).toBe(4);
    expect(found.get('CacheShard1Memory').Threshold).toBe(70);
    expect(found.get('CacheShard1Evictions').Threshold).toBe(100);
    expect(found.get('UsersConnections').Threshold).toBe(Math.floor(rdsMaxConnections('t4g.small') / 2));
    expect(found.get('CatalogInstance1Connections').Threshold).toBe(250);
    expect(found.get('UsersFreeStorage').Threshold).toBe(Math.round(0.02 * 20 * GIB));
    const target = allAlarms(Template.fromStack(stack).toJSON().Resources).find((a) => /FrontDoorLatencyTarget/.test(a.id))!;
    expect(target.props.EvaluationPeriods).toBe(5);
  });

  test('a DocumentDB class without a known connection limit fails synthesis, naming where to add it', () => {
    const spec = copy('1k');
    spec.documentDb.instanceCluster.instanceClass = 'r8g.large';
    expect(() => buildPlatform(new App({ context: cdkJsonContext() }), spec)).toThrow(
      'alarms: no connection limit for DocumentDB class r8g.large; add it to DOCDB_MAX_CONNECTIONS (lib/monitoring/limits.ts)',
    );
  });
});

const one = (phase: string, line: string) => `Phase spec "${phase}" is invalid (1 problem):\n  - ${line}`;

describe('monitoring validation rules for the alarms', () => {
  test.each([
    ['responseTargetMinutes', 0, 'must be a whole number of minutes from 1 to 60'],
    ['responseTargetMinutes', 90, 'must be a whole number of minutes from 1 to 60'],
    ['databaseConnectionsPercent', 100, 'must be from 1 to 99: at 100 the database already refuses connections'],
    [
      'databaseFreeStoragePercent',
      10,
      'must be above 0 and below 10: storage autoscaling grows an instance when less than 10% is free, and this alarm is for when it cannot',
    ],
    ['cacheMemoryPercent', 0, 'must be from 1 to 99'],
    ['cacheEvictionsPerMinute', -1, 'must be a whole number, 0 or more'],
    ['kafkaDiskUsedPercent', 100, 'must be from 1 to 99: a broker with a full disk stops'],
    ['kafkaUnderReplicatedMinutes', 0.5, 'must be a whole number of minutes from 1 to 60'],
  ])('monitoring.%s = %p fails', (field, value, rule) => {
    const spec = copy('1k');
    spec.monitoring = { ...spec.monitoring, [field]: value };
    expect(problems(spec)).toBe(one('1k', `monitoring.${field} = ${JSON.stringify(value)}: ${rule}`));
  });

  test.each(['responseTargetMinutes', 'databaseConnectionsPercent', 'databaseFreeStoragePercent', 'cacheMemoryPercent', 'cacheEvictionsPerMinute', 'kafkaDiskUsedPercent', 'kafkaUnderReplicatedMinutes'])(
    'a spec without monitoring.%s fails',
    (field) => {
      const spec = copy('1k');
      const monitoringSpec = { ...spec.monitoring };
      delete monitoringSpec[field];
      spec.monitoring = monitoringSpec;
      expect(problems(spec)).toMatch(new RegExp(`^Phase spec "1k" is invalid \\(1 problem\\):\\n  - monitoring\\.${field} = undefined: `));
    },
  );

  test('every phase carries the roadmap\'s data-store thresholds', () => {
    for (const name of PHASE_NAMES) {
      const m = PHASES[name].monitoring;
      expect([m.responseTargetMinutes, m.databaseConnectionsPercent, m.databaseFreeStoragePercent, m.cacheMemoryPercent, m.cacheEvictionsPerMinute, m.kafkaDiskUsedPercent, m.kafkaUnderReplicatedMinutes]).toEqual([
        15, 80, 5, 80, 0, 80, 10,
      ]);
    }
  });
});

describe('the README\'s alarm table', () => {
  test('is the one generated from the specs', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = /<!-- alarms:start -->\n([\s\S]*?)\n<!-- alarms:end -->/.exec(readme)?.[1];
    expect(section).toBe(alarmTable());
  });
});
