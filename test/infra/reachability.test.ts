import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Fn, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { PHASES, PhaseName } from '../../phases';
import { regionalStackName } from '../../lib/naming';
import { DeploymentTemplates, ReachabilityReport, analyzeReachability, deploymentTemplates } from '../../lib/review/reachability';
import { TemplateJson } from '../../lib/review/upgrade-review';
import { phaseAssembly } from './support/assembly';
import { cdkJsonContext } from './support/synth';

const reports = new Map<string, ReachabilityReport>();
function report(phase: PhaseName): ReachabilityReport {
  if (!reports.has(phase)) reports.set(phase, analyzeReachability(phaseAssembly(phase)));
  return reports.get(phase)!;
}

/** A deep copy of a deployment's templates that a test may change. */
function copy(templates: DeploymentTemplates): { stacks: { name: string; region: string; template: TemplateJson; paths?: ReadonlyMap<string, string> }[] } {
  return { stacks: templates.stacks.map((s) => ({ ...s, template: structuredClone(s.template) })) };
}

type Resources = NonNullable<TemplateJson['Resources']>;

function resourcesOf(templates: DeploymentTemplates, stack: string): Resources {
  return templates.stacks.find((s) => s.name === stack)!.template.Resources!;
}

/** Deletes the one resource of a stack that matches; fails when there is not exactly one. */
function remove(templates: DeploymentTemplates, stack: string, match: (r: Resources[string]) => boolean): void {
  const resources = resourcesOf(templates, stack);
  const ids = Object.keys(resources).filter((id) => match(resources[id]));
  expect(ids).toHaveLength(1);
  delete resources[ids[0]];
}

describe('reachability of every endpoint, from the templates and manifests', () => {
  test.each(['1k', '10k', '30k', '50k'] as const)('at %s every workload reaches every endpoint it is configured with', (phase) => {
    const r = report(phase);
    expect(r.problems.map((p) => p.message)).toEqual([]);
    expect(r.paths.length).toBeGreaterThan(0);
  });

  test.each(['1k', '10k', '30k', '50k', '70k', '1m'] as const)('at %s every workload is checked against PostgreSQL, the cache and Kafka', (phase) => {
    const r = report(phase);
    // MirrorMaker talks only to Kafka; every other workload runs the services.
    const workloads = new Set(r.paths.map((p) => p.workload).filter((w) => !w.includes('/MirrorMaker[')));
    expect(workloads.size).toBeGreaterThan(0);
    for (const workload of workloads) {
      const targets = r.paths.filter((p) => p.workload === workload).map((p) => `${p.setting} ${p.target.split(' ')[0]} ${p.port}`);
      expect(targets).toEqual(
        expect.arrayContaining(['USERS_DB_URL AWS::RDS::DBInstance 5432', 'REDIS_CLUSTER_NODES AWS::ElastiCache::ReplicationGroup 6379', 'KAFKA_BROKERS AWS::MSK::Cluster 9098']),
      );
    }
  });

  test('at 50k pods reach the services they call through their Kubernetes Services', () => {
    const order = report('50k').paths.filter((p) => p.workload === 'orders-use1-compute/Kubernetes/Cluster/Services[Deployment orders/order]' && p.setting === 'SERVICE_URLS');
    expect(order.map((p) => `${p.target} port ${p.port} ${p.ok}`)).toEqual([
      'Service orders/product (Deployment product) port 3000 true',
      'Service orders/inventory (Deployment inventory) port 3000 true',
      'Service orders/payment (Deployment payment) port 3000 true',
    ]);
  });

  test.each(['70k', '1m'] as const)('at %s every workload of every region reaches every endpoint it is configured with', (phase) => {
    const r = report(phase);
    expect(r.problems.map((p) => p.message)).toEqual([]);
  });

  test.each(['70k', '1m'] as const)('at %s a secondary region reads its own replicas and reaches home only for writes, visitor counts and MirrorMaker', (phase) => {
    const r = report(phase);
    const crossRegion = r.paths.filter((p) => p.via?.kind === 'peering');
    // What crosses regions, and nothing else: the home load balancer (writes), cache (visitors) and
    // Kafka (MirrorMaker); and the load balancer of every region listed before, where writes go
    // after a failover (REGION_API_URLS).
    const earlier = (region: string) => PHASES[phase].regions.slice(0, PHASES[phase].regions.findIndex((x) => x.region === region)).map((x) => x.region);
    expect([...new Set(crossRegion.map((p) => `${p.region} ${p.setting} ${p.target} ${p.port}`))].sort()).toEqual(
      SECONDARIES[phase]
        .flatMap((region) => [
          `${region} HOME_API_URL AWS::ElasticLoadBalancingV2::LoadBalancer orders-use1-compute/Gateway/LoadBalancer 80`,
          `${region} HOME_REDIS_CLUSTER_NODES AWS::ElastiCache::ReplicationGroup orders-use1-data/Cache 6379`,
          `${region} mm2.properties: us-east-1.bootstrap.servers AWS::MSK::Cluster orders-use1-data/Streaming 9098`,
          ...earlier(region).map((e) => `${region} REGION_API_URLS AWS::ElasticLoadBalancingV2::LoadBalancer ${regionalStackName(e, 'compute')}/Gateway/LoadBalancer 80`),
        ])
        .sort(),
    );
    for (const region of SECONDARIES[phase]) {
      const local = r.paths.filter((p) => p.region === region && p.setting === 'USERS_DB_URL');
      expect(local.length).toBeGreaterThan(0);
      expect(local.every((p) => p.ok && p.via?.kind === 'same-vpc' && p.target.includes('/PostgresReplicas/Users'))).toBe(true);
    }
  });
});

const SECONDARIES = { '70k': ['us-west-2'], '1m': ['us-west-2', 'eu-central-1'] } as const;

describe('the reachability check fails on a multi-region phase missing one piece', () => {
  test('without one return route in us-east-1, the secondary region\'s path to the home cache fails naming the route table', () => {
    const templates = copy(deploymentTemplates(phaseAssembly('70k')));
    const resources = resourcesOf(templates, 'orders-use1-peering');
    const [route] = Object.keys(resources).filter((id) => id.startsWith('RoutesToUsw2Isolated1'));
    expect(route).toBeDefined();
    delete resources[route];
    const problems = analyzeReachability(templates).problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(new Set(problems.map((p) => `${p.setting} → ${p.target}`))).toEqual(
      new Set(['HOME_REDIS_CLUSTER_NODES → AWS::ElastiCache::ReplicationGroup orders-use1-data/Cache', 'mm2.properties: us-east-1.bootstrap.servers → AWS::MSK::Cluster orders-use1-data/Streaming']),
    );
    expect(problems.every((p) => p.message.includes('no return route') && p.message.includes('10.20.0.0/16'))).toBe(true);
  });

  test('without the rule that admits one us-west-2 subnet to the home load balancer, forwarded writes fail naming the group, port and subnets', () => {
    const templates = copy(deploymentTemplates(phaseAssembly('70k')));
    const group = Object.values(resourcesOf(templates, 'orders-use1-compute')).find(
      (r) => r.Type === 'AWS::EC2::SecurityGroup' && JSON.stringify(r.Properties?.GroupDescription).includes('Internal service load balancer'),
    )!;
    const rules = group.Properties!.SecurityGroupIngress as { CidrIp?: string }[];
    group.Properties!.SecurityGroupIngress = rules.filter((rule) => rule.CidrIp !== '10.20.64.0/19');
    expect((group.Properties!.SecurityGroupIngress as unknown[]).length).toBe(rules.length - 1);
    const messages = analyzeReachability(templates).problems.map((p) => p.message);
    expect(messages).toContain(
      'orders-usw2-compute/Kubernetes/Cluster/Services[Deployment orders/order]: HOME_API_URL → AWS::ElasticLoadBalancingV2::LoadBalancer orders-use1-compute/Gateway/LoadBalancer port 80: ' +
        'no rule on sg orders-use1-compute/Gateway/LoadBalancerSecurityGroup for port 80 from 10.20.32.0/19, 10.20.64.0/19, 10.20.96.0/19',
    );
    // The same load balancer is where writes go now (HOME_API_URL) and after a failover (REGION_API_URLS).
    expect(messages.every((m) => m.includes('HOME_API_URL') || m.includes('REGION_API_URLS'))).toBe(true);
    expect(messages.some((m) => m.includes('HOME_API_URL'))).toBe(true);
  });
});

describe('the reachability check\'s failure paths on a synthesized phase', () => {
  test('without the rule that admits the app tier to PostgreSQL, every PostgreSQL path fails naming the workload, variable, target and rule', () => {
    const templates = copy(deploymentTemplates(phaseAssembly('50k')));
    remove(templates, 'orders-use1-data', (r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties?.FromPort === 5432 && JSON.stringify(r.Properties?.SourceSecurityGroupId).includes('AppTier'));
    const messages = analyzeReachability(templates).problems.map((p) => p.message);
    expect(messages).toContain(
      'orders-use1-compute/Kubernetes/Cluster/Services[Deployment orders/order]: USERS_DB_URL → AWS::RDS::DBInstance orders-use1-data/Postgres/Users port 5432: ' +
        'no rule on sg orders-use1-data/Postgres/SecurityGroup for port 5432 from orders-use1-compute/Kubernetes/Cluster cluster security group or orders-use1-network/Network/AppTier',
    );
    expect(messages.every((m) => m.includes('port 5432'))).toBe(true);
  });

  test('without the rule that admits the app tier to Kafka, an app server at 1k cannot reach the brokers', () => {
    const templates = copy(deploymentTemplates(phaseAssembly('1k')));
    remove(templates, 'orders-use1-data', (r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties?.FromPort === 9098);
    expect(analyzeReachability(templates).problems.map((p) => p.message)).toEqual([
      'orders-use1-compute/Monolith/AppServers/Resource/ASG: KAFKA_BROKERS → AWS::MSK::Cluster orders-use1-data/Streaming port 9098: ' +
        'no rule on sg orders-use1-data/Streaming/SecurityGroup for port 9098 from orders-use1-compute/Monolith/AppServers/SecurityGroup or orders-use1-network/Network/AppTier',
    ]);
  });
});

/**
 * Two regions, each with a VPC: a database in us-east-1, app servers in us-west-2 configured
 * with its endpoint, a peering connection requested from us-west-2, routes both ways and a rule
 * admitting the app servers' VPC: the shape the multi-region phases deploy.
 */
function crossRegionFixture(): DeploymentTemplates {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'reachability-fixture-')), context: cdkJsonContext() });
  const region = (name: string, id: string, cidr: string) => {
    const stack = new Stack(app, id, { env: { region: name }, stackName: id });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      availabilityZones: [`${name}a`, `${name}b`],
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: false,
    });
    return { stack, vpc };
  };
  const home = region('us-east-1', 'home', '10.0.0.0/16');
  const away = region('us-west-2', 'away', '10.1.0.0/16');

  const dbGroup = new ec2.SecurityGroup(home.stack, 'DatabaseSecurityGroup', { vpc: home.vpc, allowAllOutbound: false });
  const subnets = new rds.CfnDBSubnetGroup(home.stack, 'DatabaseSubnets', { dbSubnetGroupDescription: 'database', subnetIds: home.vpc.isolatedSubnets.map((s) => s.subnetId) });
  const db = new rds.CfnDBInstance(home.stack, 'Database', {
    engine: 'postgres',
    dbInstanceClass: 'db.t4g.small',
    allocatedStorage: '20',
    storageEncrypted: true,
    port: '5432',
    dbSubnetGroupName: subnets.ref,
    vpcSecurityGroups: [dbGroup.securityGroupId],
  });

  const appGroup = new ec2.SecurityGroup(away.stack, 'AppServersSecurityGroup', { vpc: away.vpc, allowAllOutbound: true });
  const template = new ec2.CfnLaunchTemplate(away.stack, 'AppServersTemplate', {
    launchTemplateData: {
      securityGroupIds: [appGroup.securityGroupId],
      userData: Fn.base64(`#!/bin/bash\ncat > /etc/app.env <<'ENV'\nDB_URL="postgresql://app@${db.attrEndpointAddress}:5432/orders"\nENV\n`),
    },
  });
  new autoscaling.CfnAutoScalingGroup(away.stack, 'AppServers', {
    minSize: '1',
    maxSize: '2',
    launchTemplate: { launchTemplateId: template.ref, version: template.attrLatestVersionNumber },
    vpcZoneIdentifier: away.vpc.isolatedSubnets.map((s) => s.subnetId),
  });

  const awayPeering = new Stack(app, 'away-peering', { env: { region: 'us-west-2' }, stackName: 'away-peering' });
  const peering = new ec2.CfnVPCPeeringConnection(awayPeering, 'Peering', { vpcId: away.vpc.vpcId, peerVpcId: home.vpc.vpcId, peerRegion: 'us-east-1' });
  away.vpc.isolatedSubnets.forEach((s, i) => {
    new ec2.CfnRoute(awayPeering, `ToHome${i}`, { routeTableId: s.routeTable.routeTableId, destinationCidrBlock: home.vpc.vpcCidrBlock, vpcPeeringConnectionId: peering.ref });
  });
  const homePeering = new Stack(app, 'home-peering', { env: { region: 'us-east-1' }, stackName: 'home-peering' });
  home.vpc.isolatedSubnets.forEach((s, i) => {
    new ec2.CfnRoute(homePeering, `ToAway${i}`, { routeTableId: s.routeTable.routeTableId, destinationCidrBlock: away.vpc.vpcCidrBlock, vpcPeeringConnectionId: peering.ref });
  });
  new ec2.CfnSecurityGroupIngress(homePeering, 'AwayToDatabase', { groupId: dbGroup.securityGroupId, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIp: away.vpc.vpcCidrBlock });
  return deploymentTemplates(app.synth());
}

describe('the reachability check across regions (a two-region fixture)', () => {
  const fixture = crossRegionFixture();
  const PATH = 'away/AppServers: DB_URL → AWS::RDS::DBInstance home/Database port 5432';

  test('a workload reaches a database in another region through a peering connection, routes both ways and a CIDR rule', () => {
    const r = analyzeReachability(fixture);
    expect(r.problems).toEqual([]);
    expect(r.paths).toEqual([{ workload: 'away/AppServers', region: 'us-west-2', setting: 'DB_URL', target: 'AWS::RDS::DBInstance home/Database', port: 5432, via: { kind: 'peering', peering: 'away-peering/Peering' }, ok: true }]);
  });

  test('without a route in one of the workload\'s route tables, the path fails naming the route table and the remote VPC\'s CIDR', () => {
    const templates = copy(fixture);
    remove(templates, 'away-peering', (r) => r.Type === 'AWS::EC2::Route' && JSON.stringify(r.Properties?.RouteTableId).includes('IsolatedSubnet1'));
    expect(analyzeReachability(templates).problems.map((p) => p.message)).toEqual([`${PATH}: no route to 10.0.0.0/16 in route table away/Vpc/IsolatedSubnet1/RouteTable`]);
  });

  test('without the return route on the database\'s side, the path fails naming that route table', () => {
    const templates = copy(fixture);
    remove(templates, 'home-peering', (r) => r.Type === 'AWS::EC2::Route' && JSON.stringify(r.Properties?.RouteTableId).includes('IsolatedSubnet2'));
    expect(analyzeReachability(templates).problems.map((p) => p.message)).toEqual([`${PATH}: no return route to 10.1.0.0/16 in route table home/Vpc/IsolatedSubnet2/RouteTable`]);
  });

  test('without the peering connection, the path fails naming both VPCs', () => {
    const templates = copy(fixture);
    remove(templates, 'away-peering', (r) => r.Type === 'AWS::EC2::VPCPeeringConnection');
    expect(analyzeReachability(templates).problems.map((p) => p.message)).toEqual([`${PATH}: no peering between VPC away/Vpc and home/Vpc`]);
  });

  test('a peering connection whose PeerRegion is not where the peer VPC is connects nothing', () => {
    const templates = copy(fixture);
    resourcesOf(templates, 'away-peering').Peering.Properties!.PeerRegion = 'eu-central-1';
    expect(analyzeReachability(templates).problems.map((p) => p.message)).toEqual([`${PATH}: no peering between VPC away/Vpc and home/Vpc`]);
  });

  test('without the rule on the database\'s group, the path fails naming the group, the port and the workload\'s subnets', () => {
    const templates = copy(fixture);
    remove(templates, 'home-peering', (r) => r.Type === 'AWS::EC2::SecurityGroupIngress');
    expect(analyzeReachability(templates).problems.map((p) => p.message)).toEqual([`${PATH}: no rule on sg home/DatabaseSecurityGroup for port 5432 from 10.1.0.0/24, 10.1.1.0/24`]);
  });

  test('a rule naming the workload\'s security group does not count across regions', () => {
    const templates = copy(fixture);
    const rule = resourcesOf(templates, 'home-peering').AwayToDatabase.Properties!;
    delete rule.CidrIp;
    rule.SourceSecurityGroupId = { 'Fn::GetStackOutput': { StackName: 'away', Region: 'us-west-2', OutputName: 'AppGroup' } };
    const away = templates.stacks.find((s) => s.name === 'away')!.template;
    away.Outputs = { ...(away.Outputs as object), AppGroup: { Value: { 'Fn::GetAtt': [Object.keys(away.Resources!).find((id) => id.startsWith('AppServersSecurityGroup'))!, 'GroupId'] } } };
    expect(analyzeReachability(templates).problems.map((p) => p.message)).toEqual([`${PATH}: no rule on sg home/DatabaseSecurityGroup for port 5432 from 10.1.0.0/24, 10.1.1.0/24`]);
  });
});
