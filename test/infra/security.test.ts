import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PHASES, PHASE_NAMES } from '../../phases';
import { addSecurityChecks } from '../../lib/nag';
import { regionalStackName } from '../../lib/naming';
import { buildPlatform } from '../../lib/platform';
import { stackNames, synthError, template, templateJson } from './support/assembly';
import { cdkJsonContext } from './support/synth';

describe('cdk-nag AwsSolutions', () => {
  test('every phase synthesizes with no unacknowledged finding', () => {
    expect(synthError()).toBeUndefined();
  });

  test('an unacknowledged finding fails synthesis and names the rule', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
    const app = new App({ outdir, context: cdkJsonContext() });
    const platform = buildPlatform(app, PHASES['1k']);
    new s3.Bucket(platform.regions.get('us-east-1')!.data, 'UnreviewedBucket');
    addSecurityChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('each acknowledgement carries a specific reason of its own', () => {
    const apps = (['1k', '30k', '1m'] as const).map((name) => {
      const app = new App({ context: cdkJsonContext() });
      buildPlatform(app, PHASES[name]);
      return app;
    });
    const rulesByReason = new Map<string, Set<string>>();
    for (const construct of apps.flatMap((app) => app.node.findAll())) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
        for (const [rule, reason] of Object.entries(entry.data as Record<string, string>)) {
          if (!rule.includes('AwsSolutions-')) continue;
          expect({ rule, reasonLength: reason.length > 60 }).toEqual({ rule, reasonLength: true });
          const rules = rulesByReason.get(reason) ?? new Set<string>();
          rules.add(rule.replace(/\[.*\]$/, ''));
          rulesByReason.set(reason, rules);
        }
      }
    }
    expect(rulesByReason.size).toBeGreaterThan(5);
    // One reason never stands for two different rules: each rule is argued on its own.
    for (const [reason, rules] of rulesByReason) expect({ reason, rules: rules.size }).toEqual({ reason, rules: 1 });
  });
});

describe.each(PHASE_NAMES)('phase %s is secure by default', (phase) => {
  const names = () => stackNames(phase).filter((n) => n.endsWith('-data'));

  test('every data store is encrypted at rest with a customer-managed key', () => {
    for (const name of names()) {
      const t = template(phase, name);
      const rds = t.findResources('AWS::RDS::DBInstance');
      for (const [id, r] of Object.entries(rds) as [string, any][]) {
        if (r.Properties.SourceDBInstanceIdentifier) continue;
        expect({ id, encrypted: r.Properties.StorageEncrypted, key: Boolean(r.Properties.KmsKeyId) }).toEqual({ id, encrypted: true, key: true });
      }
      if (Object.keys(t.findResources('AWS::DocDB::DBCluster')).length > 0) {
        t.allResourcesProperties('AWS::DocDB::DBCluster', { StorageEncrypted: true, KmsKeyId: Match.anyValue() });
      }
      // A Global Datastore secondary takes its encryption from the global group, whose primary member sets it.
      for (const [id, r] of Object.entries(t.findResources('AWS::ElastiCache::ReplicationGroup')) as [string, any][]) {
        const p = r.Properties;
        const own = { rest: p.AtRestEncryptionEnabled, transit: p.TransitEncryptionEnabled, key: Boolean(p.KmsKeyId) };
        expect({ id, ...(p.GlobalReplicationGroupId ? { inherited: true } : own) }).toEqual({ id, ...(p.GlobalReplicationGroupId ? { inherited: true } : { rest: true, transit: true, key: true }) });
      }
      t.allResourcesProperties('AWS::MSK::Cluster', {
        EncryptionInfo: Match.objectLike({
          EncryptionAtRest: Match.objectLike({ DataVolumeKMSKeyId: Match.anyValue() }),
          EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
        }),
        ClientAuthentication: Match.objectLike({ Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } }),
      });
      t.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    }
  });

  test('databases keep backups, deletion protection and a final snapshot, and force TLS', () => {
    const t = template(phase, regionalStackName('us-east-1', 'data'));
    for (const [id, r] of Object.entries(t.findResources('AWS::RDS::DBInstance')) as [string, any][]) {
      if (r.Properties.SourceDBInstanceIdentifier) continue;
      expect({ id, deletion: r.DeletionPolicy, protection: r.Properties.DeletionProtection, backups: r.Properties.BackupRetentionPeriod > 0 }).toEqual({
        id,
        deletion: 'Snapshot',
        protection: true,
        backups: true,
      });
    }
    t.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
    t.hasResource('AWS::DocDB::DBCluster', { DeletionPolicy: 'Snapshot', Properties: Match.objectLike({ DeletionProtection: true }) });
    t.hasResourceProperties('AWS::DocDB::DBClusterParameterGroup', { Parameters: Match.objectLike({ tls: 'enabled' }) });
    t.hasResource('AWS::MSK::Cluster', { DeletionPolicy: 'Retain' });
    t.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Retain' });
    // Per PostgreSQL instance the master's rotation and the services' user's; and DocumentDB's.
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2 * PHASES[phase].postgres.instances.length + 1);
  });

  test('only the app tier reaches a data store, and only on its port', () => {
    for (const name of names()) {
      const json = templateJson(phase, name);
      const ingress = Object.values(json.Resources ?? {}).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress');
      const groups = Object.values(json.Resources ?? {}).filter((r) => r.Type === 'AWS::EC2::SecurityGroup');
      // CIDR rules only on the primary's cache and Kafka, only for the secondary regions' private subnets.
      const remote = PHASES[phase].regions.filter((r) => r.role === 'secondary').map((r) => r.vpcCidr.replace(/\.0\.0\/16$/, '.'));
      for (const g of groups) {
        for (const rule of ((g.Properties as any).SecurityGroupIngress ?? []) as any[]) {
          if (rule.CidrIp === undefined) continue;
          expect({ cidr: rule.CidrIp, port: rule.FromPort, remote: remote.some((prefix) => String(rule.CidrIp).startsWith(prefix)) && [6379, 9098].includes(rule.FromPort) }).toEqual({
            cidr: rule.CidrIp,
            port: rule.FromPort,
            remote: true,
          });
        }
      }
      for (const r of ingress as any[]) {
        const port = JSON.stringify(r.Properties.FromPort);
        expect(r.Properties.CidrIp).toBeUndefined();
        expect(r.Properties.CidrIpv6).toBeUndefined();
        expect(JSON.stringify(r.Properties.ToPort)).toBe(port);
        // The PostgreSQL and DocumentDB rules name the instance's endpoint port (5432 / 27017).
        expect(port).toMatch(/^(5432|27017|6379|9098)$|"Endpoint\.Port"|"Port"/);
        expect(JSON.stringify(r.Properties.SourceSecurityGroupId)).toMatch(/AppTier|RotationSecurityGroup|SecurityGroup/);
      }
    }
  });

  test('data stores sit in isolated subnets', () => {
    const net = templateJson(phase, regionalStackName('us-east-1', 'network'));
    const exportsOf = JSON.stringify(net.Outputs ?? {});
    const t = template(phase, regionalStackName('us-east-1', 'data'));
    const subnetGroup = Object.values(t.findResources('AWS::RDS::DBSubnetGroup'))[0] as any;
    for (const ref of subnetGroup.Properties.SubnetIds) {
      expect(JSON.stringify(ref)).toMatch(/IsolatedSubnet/);
    }
    expect(exportsOf).toMatch(/IsolatedSubnet/);
  });
});
