import { Match } from 'aws-cdk-lib/assertions';
import { PHASES, PHASE_NAMES, PhaseName, SERVICE_NAMES } from '../../../phases';
import { renderNginxConfig } from '../../../lib/compute/nginx-config';
import { regionalStackName } from '../../../lib/naming';
import { METRICS_SERVER } from '../../../lib/k8s/services-cluster';
import { BUSINESS_NAMESPACE } from '../../../lib/monitoring/alarms';
import { loadConfig } from '../../../services/shared/config';
import { synthError, stackNames, template, templateJson } from '../support/assembly';

type Resources = Record<string, { Type: string; Properties?: any }>;

const resources = (phase: PhaseName, stack: string): Resources => templateJson(phase, stack).Resources as Resources;
const ofType = (r: Resources, type: string) => Object.entries(r).filter(([, v]) => v.Type === type);

const regions = (phase: PhaseName) => PHASES[phase].regions.map((r) => r.region);

describe('compute and monitoring stacks', () => {
  test('synthesis of every phase succeeded, cdk-nag included', () => {
    expect(synthError()).toBeUndefined();
  });

  test.each(PHASE_NAMES)('phase %s: every region has telemetry, compute and monitoring stacks', (phase) => {
    for (const region of regions(phase)) {
      for (const layer of ['telemetry', 'compute', 'monitoring']) expect(stackNames(phase)).toContain(regionalStackName(region, layer));
    }
  });
});

describe.each(PHASE_NAMES)('phase %s compute', (phase) => {
  const spec = PHASES[phase];
  const compute = (region = spec.regions[0].region) => resources(phase, regionalStackName(region, 'compute'));

  test('EKS exists exactly when the spec has it (never before 50k)', () => {
    for (const region of regions(phase)) {
      expect(ofType(compute(region), 'AWS::EKS::Cluster').length).toBe(spec.compute.eks ? 1 : 0);
      expect(ofType(compute(region), 'AWS::EKS::Nodegroup').length).toBe(spec.compute.eks?.nodeGroups.length ?? 0);
    }
    if (PHASE_NAMES.indexOf(phase) < PHASE_NAMES.indexOf('50k')) expect(spec.compute.eks).toBeUndefined();
  });

  test('EC2 app servers exist exactly while the monolith or per-service groups do (none once the move to EKS is complete)', () => {
    const groups = ofType(compute(), 'AWS::AutoScaling::AutoScalingGroup').map(([, v]) => v.Properties);
    const expected = [
      ...(spec.compute.monolith ? [spec.compute.monolith.fleet] : []),
      ...(spec.compute.ec2Services?.services.map((s) => s.fleet) ?? []),
    ];
    expect(groups.length).toBe(expected.length);
    expect(groups.map((g) => [Number(g.MinSize), Number(g.MaxSize)]).sort()).toEqual(expected.map((f) => [f.minInstances, f.maxInstances]).sort());
    if (spec.compute.eks && !spec.compute.ec2Services && !spec.compute.monolith) expect(groups).toEqual([]);
  });

  test('each EC2 group scales on its own CPU target and rolls one server at a time, waiting for its signal', () => {
    const t = compute();
    const groups = ofType(t, 'AWS::AutoScaling::AutoScalingGroup');
    for (const [id] of groups) {
      expect(ofType(t, 'AWS::AutoScaling::ScalingPolicy').some(([, p]) => p.Properties?.AutoScalingGroupName?.Ref === id && p.Properties.PolicyType === 'TargetTrackingScaling')).toBe(true);
      const raw = (templateJson(phase, regionalStackName(spec.regions[0].region, 'compute')).Resources as Record<string, any>)[id];
      expect(raw.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 1, WaitOnResourceSignals: true });
      expect(raw.Properties.HealthCheckType).toBe('ELB');
      expect(raw.Properties.VPCZoneIdentifier.length).toBe(3);
    }
  });

  test('the app servers boot with the nginx.conf rendered from the spec (the one nginx -t checks)', () => {
    if (!spec.compute.monolith) return;
    const [[, lt]] = ofType(compute(), 'AWS::EC2::LaunchTemplate').filter(([id]) => id.startsWith('MonolithAppServers')) as [string, any][];
    const parts = lt.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1] as unknown[];
    const text = parts.map((p) => (typeof p === 'string' ? p : '<token>')).join('');
    const expected = renderNginxConfig(spec.compute.monolith.nginx, { trustedProxyCidr: spec.regions[0].vpcCidr }).trimEnd();
    expect(text).toContain(`cat > /etc/nginx/nginx.conf <<'NGINX_CONF'\n${expected}\nNGINX_CONF\nnginx -t`);
  });

  test('every app server\'s environment file is one the services\' config schema accepts, with the cache token and the metrics namespace', () => {
    // App servers' launch templates (EKS node groups have their own, without the services' environment).
    const templates = (regions(phase).flatMap((region) => ofType(compute(region), 'AWS::EC2::LaunchTemplate')) as [string, any][]).filter(([, lt]) =>
      JSON.stringify(lt).includes('ORDERS_ENV'),
    );
    expect(templates.length > 0).toBe(spec.compute.monolith !== undefined || spec.compute.ec2Services !== undefined);
    for (const [id, lt] of templates) {
      const parts = lt.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1] as unknown[];
      // Deploy-time values stand in as plausible literals; secrets stay placeholders, as the launcher sees them.
      const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p).includes('Port') ? '6379' : JSON.stringify(p).includes('BootstrapBrokers') ? 'b-1.example:9098' : 'host.example')).join('');
      const file = /cat > \/etc\/orders\/app.env <<'ORDERS_ENV'\n([\s\S]*?)\nORDERS_ENV/.exec(text);
      expect([id, file !== null]).toEqual([id, true]);
      const env = Object.fromEntries(file![1].split('\n').map((line) => /^([A-Z0-9_]+)="(.*)"$/.exec(line)!.slice(1, 3)).map(([k, v]) => [k, v.replace(/\{\{secret:[^}]+\}\}/g, 'secret')]));
      const config = loadConfig(env);
      expect([id, config.REDIS_PASSWORD, config.CLOUDWATCH_NAMESPACE, config.CACHE, config.DAILY_USERS, config.PROCESSES]).toEqual([id, 'secret', BUSINESS_NAMESPACE, true, true, 'auto']);
    }
  });

  test('launch templates require IMDSv2 and encrypt every volume', () => {
    for (const region of regions(phase)) {
      for (const [, lt] of ofType(compute(region), 'AWS::EC2::LaunchTemplate')) {
        const data = lt.Properties.LaunchTemplateData;
        expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
        expect(data.BlockDeviceMappings.length).toBeGreaterThan(0);
        for (const bdm of data.BlockDeviceMappings) expect(bdm.Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
      }
    }
  });

  test('no data store is reachable from the internet or from anything but the app tier (and its rotation functions)', () => {
    // The one exception: the primary's cache and Kafka admit the secondary regions' private subnets
    // (visitor counts, MirrorMaker 2), on those ports only; groups cannot be named across regions.
    const remote = PHASES[phase].regions.filter((r) => r.role === 'secondary').map((r) => r.vpcCidr.replace(/\.0\.0\/16$/, '.'));
    for (const region of regions(phase)) {
      const data = resources(phase, regionalStackName(region, 'data'));
      for (const [, db] of ofType(data, 'AWS::RDS::DBInstance')) expect(db.Properties.PubliclyAccessible).not.toBe(true);
      for (const [, msk] of ofType(data, 'AWS::MSK::Cluster')) {
        expect(msk.Properties.BrokerNodeGroupInfo.ConnectivityInfo.PublicAccess.Type).toBe('DISABLED');
      }
      const ingress = [
        ...ofType(data, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties),
        ...ofType(data, 'AWS::EC2::SecurityGroup').flatMap(([, g]) => g.Properties.SecurityGroupIngress ?? []),
      ];
      expect(ingress.length).toBeGreaterThan(0);
      for (const rule of ingress) {
        if (rule.CidrIp !== undefined) {
          expect(remote.some((prefix) => String(rule.CidrIp).startsWith(prefix)) && [6379, 9098].includes(rule.FromPort) && rule.FromPort === rule.ToPort).toBe(true);
          continue;
        }
        expect(rule.CidrIpv6).toBeUndefined();
        // The app tier, or a secret-rotation function that changes the master's or the services' password.
        expect(JSON.stringify(rule.SourceSecurityGroupId)).toMatch(/AppTier|RotationSingleUserSecurityGroup|AppRotationSecurityGroup/);
      }
    }
  });

  test('app servers and EKS nodes are in the app tier group, the only group the data stores admit', () => {
    for (const region of regions(phase)) {
      for (const [, lt] of ofType(compute(region), 'AWS::EC2::LaunchTemplate')) {
        const groups = JSON.stringify(lt.Properties.LaunchTemplateData.SecurityGroupIds);
        expect(groups).toMatch(/NetworkAppTier/);
      }
    }
  });

  test('the front door: a public load balancer with the monolith, API Gateway routing every service path from 30k on', () => {
    const t = compute();
    const balancers = ofType(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer').map(([, v]) => v.Properties.Scheme);
    expect(balancers.filter((s) => s === 'internet-facing').length).toBe(spec.compute.monolith ? 1 : 0);
    expect(balancers.filter((s) => s === 'internal').length).toBe(spec.compute.gateway ? 1 : 0);
    expect(ofType(t, 'AWS::ApiGatewayV2::Api').length).toBe(spec.compute.gateway ? 1 : 0);
    if (spec.compute.gateway) {
      // The VPC link has its own group (the VPC's default group has no rules).
      const links = ofType(t, 'AWS::ApiGatewayV2::VpcLink');
      expect(links.length).toBe(1);
      expect(JSON.stringify(links[0][1].Properties.SecurityGroupIds)).toMatch(/GatewayVpcLinkSecurityGroup/);
      const rules = ofType(t, 'AWS::ElasticLoadBalancingV2::ListenerRule');
      expect(rules.length).toBe(SERVICE_NAMES.length);
      const routes = ofType(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
      expect(routes).toEqual(expect.arrayContaining(['ANY /orders', 'ANY /orders/{proxy+}', 'ANY /products/{proxy+}', 'ANY /customers/{customerId}/orders']));
      template(phase, regionalStackName(spec.regions[0].region, 'compute')).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: spec.compute.gateway.throttleRatePerSecond, ThrottlingBurstLimit: spec.compute.gateway.throttleBurst },
      });
    }
  });

  test('the EKS cluster runs Kubernetes 1.35 with a private endpoint, encrypted secrets and node groups from the spec', () => {
    if (!spec.compute.eks) return;
    for (const region of regions(phase)) {
      const t = template(phase, regionalStackName(region, 'compute'));
      t.hasResourceProperties('AWS::EKS::Cluster', {
        Version: '1.35',
        ResourcesVpcConfig: Match.objectLike({ EndpointPublicAccess: false, EndpointPrivateAccess: true }),
        EncryptionConfig: Match.anyValue(),
      });
      for (const group of spec.compute.eks.nodeGroups) {
        t.hasResourceProperties('AWS::EKS::Nodegroup', {
          ScalingConfig: { MinSize: group.minNodes, DesiredSize: group.desiredNodes, MaxSize: group.maxNodes },
          CapacityType: group.capacityType,
        });
      }
      for (const [, group] of ofType(compute(region), 'AWS::EKS::Nodegroup')) expect(group.Properties.Subnets.length).toBe(3);
      // The services, the topics and migrations jobs (or MirrorMaker 2 in a secondary region, where no job runs), the cluster autoscaler; KEDA where the phase scales predictively.
      t.resourceCountIs('AWS::EKS::PodIdentityAssociation', SERVICE_NAMES.length + 3 + (PHASES[phase].regions.find((r) => r.region === region)?.role === 'secondary' ? 1 : 0) + (PHASES[phase].compute.eks?.predictiveScaling ? 1 : 0));
      t.resourceCountIs('AWS::APS::Scraper', 1);
      // The HPAs' resource metrics, and node updates that respect the PodDisruptionBudgets.
      t.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', { Chart: 'metrics-server', Version: METRICS_SERVER.chartVersion, Namespace: 'kube-system' });
      t.allResourcesProperties('AWS::EKS::Nodegroup', { ForceUpdateEnabled: false });
      expect(JSON.stringify(templateJson(phase, regionalStackName(region, 'compute')))).toContain('cluster-autoscaler');
    }
  });
});

describe.each(PHASE_NAMES)('phase %s monitoring', (phase) => {
  const spec = PHASES[phase];
  const primary = spec.regions[0].region;
  const alarms = (region = primary) =>
    ofType(resources(phase, regionalStackName(region, 'monitoring')), 'AWS::CloudWatch::Alarm').map(([id, a]) => ({ id, ...a.Properties }));

  test('every alarm notifies the SNS topic on alarm and on recovery', () => {
    for (const region of regions(phase)) {
      const all = alarms(region);
      expect(all.length).toBeGreaterThan(0);
      for (const a of all) {
        expect(JSON.stringify(a.AlarmActions)).toMatch(/TelemetryAlarms/);
        expect(JSON.stringify(a.OKActions)).toMatch(/TelemetryAlarms/);
      }
    }
  });

  test('rollback thresholds: error rate above 1%, response time above 2x baseline, lag above 5 s, unavailable over 1 minute', () => {
    const all = alarms();
    const m = spec.monitoring;
    const errorRate = all.filter((a) => /ErrorRate/.test(a.id));
    expect(errorRate.length).toBeGreaterThan(0);
    for (const a of errorRate) expect(a.Threshold).toBe(m.errorRatePercent);
    const latency = all.filter((a) => /ResponseTime/.test(a.id));
    expect(latency.length).toBeGreaterThan(0);
    for (const a of latency) {
      const ms = /FrontDoor/.test(a.id) ? a.Threshold * 1000 : a.Threshold;
      expect(ms).toBe(m.baselineResponseMs * m.responseTimeFactor);
    }
    const lag = all.filter((a) => /Lag/.test(a.id));
    const replicas = spec.postgres.instances.reduce((n, i) => n + i.readReplicas, 0);
    expect(lag.length).toBe(replicas);
    for (const a of lag) expect(a.Threshold).toBe(m.replicationLagSeconds);
    const unavailable = all.filter((a) => /Unavailable/.test(a.id));
    expect(unavailable.length).toBeGreaterThan(0);
    for (const a of unavailable) {
      expect([a.Threshold, a.ComparisonOperator, a.Period * a.EvaluationPeriods]).toEqual([1, 'LessThanThreshold', m.unavailableSeconds]);
    }
  });

  test('next-phase triggers: database CPU above 70% at peak, users at 80% of the phase\'s capacity', () => {
    const all = alarms();
    const cpu = all.filter((a) => /Cpu/.test(a.id));
    expect(cpu.length).toBe(spec.postgres.instances.length);
    for (const a of cpu) expect(a.Threshold).toBe(spec.monitoring.databaseCpuPercent);
    const users = all.filter((a) => /CapacityTrigger/.test(a.id));
    expect(users.map((a) => [a.Namespace, a.MetricName, a.Threshold])).toEqual([
      ['OrderPlatform/Business', 'DailyActiveUsers', (spec.slo.dailyUsers * spec.monitoring.capacityTriggerPercent) / 100],
    ]);
  });

  test('telemetry: an encrypted, TLS-only alarm topic and a Prometheus workspace in every region; Grafana in the primary', () => {
    for (const region of regions(phase)) {
      const t = template(phase, regionalStackName(region, 'telemetry'));
      t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      t.hasResourceProperties('AWS::APS::Workspace', { WorkspaceConfiguration: { RetentionPeriodInDays: spec.monitoring.metricsRetentionDays } });
      t.resourceCountIs('AWS::Grafana::Workspace', region === primary ? 1 : 0);
    }
  });

  test('a dashboard with application, database, infrastructure and business sections', () => {
    const body = JSON.stringify(templateJson(phase, regionalStackName(primary, 'monitoring')));
    for (const section of ['## Application', '## Database', '## Infrastructure', '## Business']) expect(body).toContain(section);
  });
});
