/**
 * The services' own database users, rotated without an outage: an alternating-users secret per
 * PostgreSQL instance, read by the services at run time in every region; the master user stays
 * the schema tool's.
 */
import { PHASE_NAMES, PHASES, PhaseName } from '../../phases';
import { APP_USERNAME } from '../../lib/constructs/postgres';
import { regionalStackName } from '../../lib/naming';
import { templateJson } from './support/assembly';

type Resource = { Type: string; Properties: Record<string, any> };

const HOME = 'us-east-1';
const primaryData = (phase: PhaseName) => regionalStackName(PHASES[phase].regions[0].region, 'data');
const resources = (phase: PhaseName, stack: string): [string, Resource][] => Object.entries(templateJson(phase, stack).Resources ?? {}) as [string, Resource][];
const ofType = (phase: PhaseName, stack: string, type: string) => resources(phase, stack).filter(([, r]) => r.Type === type);

/** The logical IDs of the app-user secret attachments (`Postgres<Id>AppSecretAttachment...`), one per instance. */
function appAttachments(phase: PhaseName): Map<string, string> {
  const found = new Map<string, string>();
  for (const [id] of ofType(phase, primaryData(phase), 'AWS::SecretsManager::SecretTargetAttachment')) {
    const m = /^Postgres(\w+?)AppSecretAttachment[0-9A-F]{8}$/.exec(id);
    if (m) found.set(m[1], id);
  }
  return found;
}

/** Every `{Fn::GetStackOutput}` or `{Ref}` that follows a string ending in `marker` in a Fn::Join, anywhere in a template. */
function referencesAfter(node: unknown, marker: string, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    node.forEach((item, i) => {
      const next = node[i + 1] as Record<string, any> | undefined;
      if (typeof item === 'string' && item.endsWith(marker) && next && typeof next === 'object') {
        out.push(next['Fn::GetStackOutput'] ? `${next['Fn::GetStackOutput'].Region}/${next['Fn::GetStackOutput'].StackName}:${next['Fn::GetStackOutput'].OutputName}` : JSON.stringify(next));
      }
      referencesAfter(item, marker, out);
    });
  } else if (node && typeof node === 'object') {
    for (const v of Object.values(node)) referencesAfter(v, marker, out);
  }
  return out;
}

/** How often a text occurs in the template's strings. */
const occurrences = (phase: PhaseName, stack: string, text: string) => JSON.stringify(templateJson(phase, stack)).split(text).length - 1;

describe.each(PHASE_NAMES)('phase %s: database credentials', (phase) => {
  const spec = PHASES[phase];
  const instances = spec.postgres.instances.map((i) => i.id);

  test('every PostgreSQL instance has an app-user secret for orders_app that names its master secret, attached to the instance', () => {
    expect([...appAttachments(phase).keys()].sort()).toEqual([...instances].sort());
    const data = primaryData(phase);
    const secrets = ofType(phase, data, 'AWS::SecretsManager::Secret').filter(([id]) => /^Postgres\w+AppSecret[0-9A-F]{8}$/.test(id));
    expect(secrets).toHaveLength(instances.length);
    for (const [id, secret] of secrets) {
      const db = /^Postgres(\w+?)AppSecret/.exec(id)![1];
      const template = JSON.stringify(secret.Properties.GenerateSecretString.SecretStringTemplate);
      expect(template).toContain(`{\\"username\\":\\"${APP_USERNAME}\\",\\"masterarn\\":\\"`);
      expect(template).toMatch(new RegExp(`"Ref":"Postgres${db}SecretAttachment[0-9A-F]{8}"`));
      expect(secret.Properties.KmsKeyId).toBeDefined();
    }
  });

  test(`app-user secrets rotate by alternating users every ${spec.postgres.secretRotationDays} days, first after the schema tool has created the user; the master keeps its single-user rotation`, () => {
    const data = primaryData(phase);
    const schedules = ofType(phase, data, 'AWS::SecretsManager::RotationSchedule');
    const byTarget = new Map(schedules.map(([, r]) => [r.Properties.SecretId.Ref as string, r.Properties]));
    for (const [db, attachment] of appAttachments(phase)) {
      const schedule = byTarget.get(attachment);
      expect([db, schedule?.RotateImmediatelyOnUpdate, schedule?.RotationRules]).toEqual([db, false, { ScheduleExpression: `rate(${spec.postgres.secretRotationDays} days)` }]);
      const app = schedule!.RotationLambdaARN['Fn::GetAtt'][0] as string;
      const location = resources(phase, data).find(([id]) => id === app)![1].Properties.Location;
      const mappings = (templateJson(phase, data).Mappings ?? {}) as Record<string, Record<string, { applicationId: string }>>;
      const mapping = mappings[location.ApplicationId['Fn::FindInMap'][0] as string];
      expect(mapping.aws.applicationId).toMatch(/applications\/SecretsManagerRDSPostgreSQLRotationMultiUser$/);
      const master = [...byTarget.keys()].find((k) => new RegExp(`^Postgres${db}SecretAttachment[0-9A-F]{8}$`).test(k));
      expect([db, master]).toEqual([db, expect.any(String)]);
    }
    // The instances themselves keep their create-only master user.
    for (const [, instance] of ofType(phase, data, 'AWS::RDS::DBInstance').filter(([, r]) => r.Properties.SourceDBInstanceIdentifier === undefined)) {
      expect(instance.Properties.MasterUsername).toBe('orders_admin');
    }
  });

  test.each(spec.regions.map((r) => r.region))('services in %s log in with the app-user secrets, read at run time from the primary region', (region) => {
    const compute = regionalStackName(region, 'compute');
    const urls = occurrences(phase, compute, 'postgresql://');
    expect(urls).toBeGreaterThan(0);
    const all = referencesAfter(templateJson(phase, compute), 'credentials=');
    // The order activity's MongoDB URL (the elastic cluster, primary region only) names its own secret.
    const refs = all.filter((r) => !r.includes('DocumentDbElasticAdmin'));
    expect(all.length - refs.length > 0).toBe(region === HOME && spec.documentDb.elasticCluster !== undefined);
    // Every PostgreSQL URL names a credential source, and every source is an app-user secret of the primary's data stack.
    expect(refs).toHaveLength(urls);
    const attachments = [...appAttachments(phase).values()];
    for (const ref of refs) {
      const [where, output] = ref.split(':');
      expect(where).toBe(`${HOME}/${primaryData(phase)}`);
      expect([output, attachments.some((a) => output.startsWith(`PublishOutputRef${a}`))]).toEqual([output, true]);
    }
    // Every instance's secret is used (primary URLs, replicas, shards).
    for (const attachment of attachments) expect([attachment, refs.some((r) => r.includes(attachment))]).toEqual([attachment, true]);
  });

  test.each(spec.regions.map((r) => r.region))('every workload role in %s may read every app-user secret (and decrypt it through Secrets Manager only)', (region) => {
    const compute = regionalStackName(region, 'compute');
    const attachments = [...appAttachments(phase).values()];
    // The API's origin check reads only the edge's secret (test/infra/origin-protection.test.ts): it is no workload.
    const policies = ofType(phase, compute, 'AWS::IAM::Policy').filter(
      ([id, p]) =>
        !id.startsWith('GatewayOriginVerification') &&
        (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).some((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue')),
    );
    expect(policies.length).toBeGreaterThan(0);
    for (const [id, policy] of policies) {
      const statement = (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).find((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))!;
      const readable = JSON.stringify(statement.Resource);
      for (const a of attachments) expect([id, a, readable.includes(`PublishOutputRef${a}`)]).toEqual([id, a, true]);
      const decrypt = (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Condition?: unknown }[]).find((s) => [s.Action].flat().includes('kms:Decrypt'));
      expect([id, decrypt?.Condition]).toEqual([id, { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } }]);
    }
  });

  test('secondary regions hold no database secrets or rotations: their replicas carry the primary\'s users', () => {
    for (const region of spec.regions.filter((r) => r.role === 'secondary')) {
      const data = regionalStackName(region.region, 'data');
      expect(ofType(phase, data, 'AWS::SecretsManager::RotationSchedule').filter(([id]) => id.startsWith('Postgres'))).toEqual([]);
      expect(ofType(phase, data, 'AWS::SecretsManager::Secret').filter(([id]) => id.startsWith('Postgres'))).toEqual([]);
    }
  });
});
