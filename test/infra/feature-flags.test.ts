import { PHASES, PHASE_NAMES, PhaseName } from '../../phases';
import { FLAGS_SOURCE, featureFlagDocument } from '../../lib/flags/feature-flags';
import { BUSINESS_NAMESPACE } from '../../lib/monitoring/alarms';
import { regionalStackName } from '../../lib/naming';
import { templateJson } from './support/assembly';
import { copy, problems } from './support/specs';

type Resource = { Type: string; Properties?: any };

const cases = PHASE_NAMES.flatMap((phase) => PHASES[phase].regions.map((r) => [phase, r.region] as const));

function resources(phase: PhaseName, region: string, layer: string): Record<string, Resource> {
  return templateJson(phase, regionalStackName(region as never, layer)).Resources as Record<string, Resource>;
}

function ofType(all: Record<string, Resource>, type: string): [string, Resource][] {
  return Object.entries(all).filter(([, r]) => r.Type === type);
}

/** The logical IDs of the alarms an alarm rule names (`ALARM("<GetAtt X.Arn>")`). */
function alarmsInRule(rule: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const getAtt = (node as Record<string, unknown>)['Fn::GetAtt'];
      if (Array.isArray(getAtt) && getAtt[1] === 'Arn') found.push(String(getAtt[0]));
      else Object.values(node).forEach(walk);
    }
  };
  walk(rule);
  return found.sort();
}

describe.each(cases)('feature flags in phase %s, %s', (phase, region) => {
  const spec = PHASES[phase];
  const monitoring = resources(phase, region, 'monitoring');
  const one = (type: string): [string, Resource] => {
    const found = ofType(monitoring, type);
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('AppConfig holds the application, the live environment and a feature-flag profile whose hosted version is the spec\'s definitions', () => {
    const [appId, app] = one('AWS::AppConfig::Application');
    expect(app.Properties.Name).toBe('order-platform');
    const [, env] = one('AWS::AppConfig::Environment');
    expect(env.Properties).toMatchObject({ Name: 'live', ApplicationId: { Ref: appId } });
    const [profileId, profile] = one('AWS::AppConfig::ConfigurationProfile');
    expect(profile.Properties).toMatchObject({ Name: 'flags', Type: 'AWS.AppConfig.FeatureFlags', LocationUri: 'hosted', ApplicationId: { Ref: appId } });
    const [, version] = one('AWS::AppConfig::HostedConfigurationVersion');
    expect(version.Properties.ContentType).toBe('application/json');
    expect(version.Properties.ConfigurationProfileId).toEqual({ Ref: profileId });
    expect(JSON.parse(version.Properties.Content)).toEqual(featureFlagDocument(spec.flags));
    expect(Object.keys(JSON.parse(version.Properties.Content).values).sort()).toEqual(['catalogue-cache', 'cqrs-reads', 'region-writes']);
  });

  test('the version is deployed to the environment with the spec\'s gradual rollout', () => {
    const [strategyId, strategy] = one('AWS::AppConfig::DeploymentStrategy');
    const r = spec.flags.rollout;
    expect(strategy.Properties).toMatchObject({
      GrowthType: r.growth,
      GrowthFactor: r.growthFactorPercent,
      DeploymentDurationInMinutes: r.deploymentMinutes,
      FinalBakeTimeInMinutes: r.finalBakeMinutes,
      ReplicateTo: 'NONE',
    });
    const [envId] = one('AWS::AppConfig::Environment');
    const [versionId] = one('AWS::AppConfig::HostedConfigurationVersion');
    const [, deployment] = one('AWS::AppConfig::Deployment');
    expect(deployment.Properties).toMatchObject({
      EnvironmentId: { Ref: envId },
      DeploymentStrategyId: { Ref: strategyId },
      ConfigurationVersion: { Ref: versionId },
    });
  });

  test('the environment rolls back when any of the region\'s rollback alarms fires, and on no other alarm', () => {
    const [, env] = one('AWS::AppConfig::Environment');
    const [compositeId, composite] = one('AWS::CloudWatch::CompositeAlarm');
    expect(env.Properties.Monitors).toEqual([{ AlarmArn: { 'Fn::GetAtt': [compositeId, 'Arn'] }, AlarmRoleArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } }]);
    const rollback = ofType(monitoring, 'AWS::CloudWatch::Alarm')
      .filter(([, a]) => String(a.Properties.AlarmDescription).startsWith('Rollback:'))
      .map(([id]) => id)
      .sort();
    expect(rollback.length).toBeGreaterThan(0);
    expect(alarmsInRule(composite.Properties.AlarmRule)).toEqual(rollback);
    const roleId = env.Properties.Monitors[0].AlarmRoleArn['Fn::GetAtt'][0];
    expect(monitoring[roleId].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'appconfig.amazonaws.com' });
    expect(monitoring[roleId].Properties.Policies[0].PolicyDocument.Statement).toEqual([{ Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: '*' }]);
  });

  test('the services are told where the flags are and may read them, and nothing more of AppConfig', () => {
    const compute = templateJson(phase, regionalStackName(region, 'compute'));
    expect(JSON.stringify(compute)).toContain(FLAGS_SOURCE);
    const documents = ofType(compute.Resources as Record<string, Resource>, 'AWS::IAM::Policy').map(([, p]) => p.Properties.PolicyDocument.Statement as any[]);
    const reads = (statements: any[]) => statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('appconfig:')));
    // The services' runtime grant is the one that allows the business metrics' namespace.
    const runtime = documents.filter((statements) => statements.some((st) => st.Condition?.StringEquals?.['cloudwatch:namespace'] === BUSINESS_NAMESPACE));
    expect(runtime.length).toBeGreaterThan(0);
    for (const statements of runtime) {
      const [read, ...more] = reads(statements);
      expect(more).toEqual([]);
      expect([read.Action].flat().sort()).toEqual(['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession']);
      expect(JSON.stringify(read.Resource)).toContain(`:appconfig:${region}:`);
      expect(JSON.stringify(read.Resource)).toContain(':application/*/environment/*/configuration/*');
    }
    expect(documents.filter((statements) => reads(statements).length > 0)).toHaveLength(runtime.length);
  });
});

describe('flag rules', () => {
  test("'flags-keys': a key AppConfig would refuse fails, naming it", () => {
    const spec = copy('1k');
    spec.flags = { ...spec.flags, definitions: { ...spec.flags.definitions, 'Bad Key': { name: 'x', description: 'y', enabled: true } } };
    expect(problems(spec)).toBe(
      'Phase spec "1k" is invalid (1 problem):\n' +
        '  - flags.definitions.Bad Key = "Bad Key": the key must start with a lower-case letter and hold at most 64 lower-case letters, digits, _ or - (AppConfig feature-flag keys)',
    );
  });

  test("'flags-every-key': a flag the services read that the spec does not define fails", () => {
    const spec = copy('1k');
    spec.flags = { ...spec.flags, definitions: Object.fromEntries(Object.entries(spec.flags.definitions).filter(([key]) => key !== 'cqrs-reads')) };
    expect(problems(spec)).toBe('Phase spec "1k" is invalid (1 problem):\n' + '  - flags.definitions = ["catalogue-cache","region-writes"]: must define every flag the services read; missing cqrs-reads');
  });

  test("'flags-described': a flag without a name or a description fails", () => {
    const spec = copy('1k');
    spec.flags = { ...spec.flags, definitions: { ...spec.flags.definitions, 'catalogue-cache': { name: '', description: ' ', enabled: true } } };
    expect(problems(spec)).toBe(
      'Phase spec "1k" is invalid (2 problems):\n' +
        '  - flags.definitions.catalogue-cache.name = "": must be 1 to 64 characters (AppConfig flag names)\n' +
        '  - flags.definitions.catalogue-cache.description = " ": must say what the flag switches on and off',
    );
  });

  test("'flags-rollout-bounds': a rollout or poll interval outside AppConfig's bounds fails, every field at once", () => {
    const spec = copy('1k');
    spec.flags = { ...spec.flags, rollout: { growth: 'LINEAR', growthFactorPercent: 0, deploymentMinutes: 1441, finalBakeMinutes: 10 }, pollSeconds: 5 };
    expect(problems(spec)).toBe(
      'Phase spec "1k" is invalid (3 problems):\n' +
        '  - flags.rollout.growthFactorPercent = 0: must be a whole number from 1 to 100 (AppConfig deployment strategies)\n' +
        '  - flags.rollout.deploymentMinutes = 1441: must be a whole number from 0 to 1440 (AppConfig deployment strategies)\n' +
        '  - flags.pollSeconds = 5: must be a whole number from 15 to 86400 (AppConfigData\'s poll interval)',
    );
  });

  test("'flags-bake-covers-rollback-alarms': a bake time shorter than the rollback alarms' window fails", () => {
    const spec = copy('1k');
    spec.flags = { ...spec.flags, rollout: { ...spec.flags.rollout, finalBakeMinutes: 2 } };
    expect(problems(spec)).toBe(
      'Phase spec "1k" is invalid (1 problem):\n' +
        '  - flags.rollout.finalBakeMinutes = 2: must be at least 5 (the rollback alarms\' longest window), so that a fault the change causes can still roll it back',
    );
  });
});
