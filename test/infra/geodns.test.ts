import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseAllDocuments } from 'yaml';
import { PHASES, PHASE_NAMES, PhaseName, PhaseSpec, RegionName, RoutingPolicy, RULES, loadPhase } from '../../phases';
import { ShopDomain, shopDomain } from '../../lib/dns/names';
import { REPLICATED_FROM_TAG } from '../../lib/constructs/secret-replicas';
import { HOME_REGION_PARAMETER } from '../../lib/failover/plan';
import { MANIFEST_DIR } from '../../lib/k8s/review-manifests';
import { regionalStackName } from '../../lib/naming';
import { Platform, PlatformOptions, buildPlatform } from '../../lib/platform';
import { assemblyDir, stackNames, templateJson } from './support/assembly';
import { copy, problems } from './support/specs';
import { cdkJsonContext } from './support/synth';

const DOMAIN: ShopDomain = { domainName: 'shop.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' };
const API = 'api.shop.example.com';
const ORIGIN = 'origin.api.shop.example.com';
const HOME: RegionName = 'us-east-1';
const certificateArn = (region: RegionName, n: number) => `arn:aws:acm:${region}:123456789012:certificate/0000000${n}-1111-2222-3333-444444444444`;

/** 1m routed by continent: EU users to eu-central-1 (data residency), North America to us-east-1, everyone else to us-west-2. */
const GEOLOCATION: RoutingPolicy = { policy: 'geolocation', continents: { EU: 'eu-central-1', NA: 'us-east-1' }, defaultRegion: 'us-west-2' };
const withRouting = (spec: PhaseSpec, routing: RoutingPolicy): PhaseSpec => ({ ...spec, dns: { ...spec.dns, routing } });

type Variant = '1k' | '70k' | '1m' | '1m-geolocation';

/** The phases with geolocation routing from 70k on (the policy is fixed from phase to phase), validated as `cdk synth` would. */
function geolocationSpec(): PhaseSpec {
  const phases = {
    ...PHASES,
    '70k': withRouting(PHASES['70k'], { policy: 'geolocation', continents: { NA: 'us-east-1' }, defaultRegion: 'us-west-2' }),
    '1m': withRouting(PHASES['1m'], GEOLOCATION),
  };
  return loadPhase('1m', phases);
}

const built = new Map<Variant, Platform>();
/**
 * A phase built with the shop's domain, once per file. The geolocation variant is also given a
 * certificate per region, so that one build covers both the given-certificate path and the
 * other routing policy.
 */
function platform(variant: Variant): Platform {
  let p = built.get(variant);
  if (!p) {
    const spec = variant === '1m-geolocation' ? geolocationSpec() : loadPhase(variant);
    const options: PlatformOptions =
      variant === '1m-geolocation' ? { domain: DOMAIN, certificateArns: spec.regions.map((r, i) => certificateArn(r.region, i)) } : { domain: DOMAIN };
    p = buildPlatform(new App({ context: cdkJsonContext() }), spec, options);
    built.set(variant, p);
  }
  return p;
}

const dnsTemplate = (variant: Variant) => Template.fromStack(platform(variant).dns!);
const computeTemplate = (variant: Variant, region: RegionName) => Template.fromStack(platform(variant).regions.get(region)!.compute);
const regionsOf = (variant: Variant) => platform(variant).spec.regions.map((r) => r.region);
const regionalName = (region: RegionName) => `${region}.${API}`;

type Resource = { Type: string; Properties: Record<string, any> };
const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];

/** Each region's health check's logical ID, by the name it calls. */
function healthCheckIds(t: Template): Map<RegionName, string> {
  return new Map(resources(t, 'AWS::Route53::HealthCheck').map(([id, r]) => [r.Properties.HealthCheckConfig.FullyQualifiedDomainName.split('.')[0] as RegionName, id]));
}

/** The records of `api.<domain>`. */
const apiRecords = (t: Template) => resources(t, 'AWS::Route53::RecordSet').filter(([, r]) => r.Properties.Name === `${API}.`);

describe.each(['1k', '70k', '1m'] as const)('GeoDNS of phase %s with the shop\'s domain', (variant) => {
  test('orders-use1-dns checks each region over HTTPS on its own name, port 443, the checkout health path, every 10 s, 3 failures, with SNI', () => {
    const stack = platform(variant).dns!;
    expect([stack.stackName, stack.region]).toEqual(['orders-use1-dns', HOME]);
    const t = dnsTemplate(variant);
    t.resourceCountIs('AWS::Route53::HealthCheck', regionsOf(variant).length);
    for (const region of regionsOf(variant)) {
      t.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: {
          Type: 'HTTPS',
          FullyQualifiedDomainName: regionalName(region),
          Port: 443,
          ResourcePath: '/health/checkout',
          RequestInterval: 10,
          FailureThreshold: 3,
          EnableSNI: true,
          Inverted: false,
          MeasureLatency: false,
        },
      });
    }
  });

  test('api.<domain> has one latency CNAME per region, each with its region, set identifier, health check and the spec\'s short TTL', () => {
    const t = dnsTemplate(variant);
    const checks = healthCheckIds(t);
    const records = apiRecords(t).map(([, r]) => r.Properties);
    expect(records.map((r) => [r.Region, r.SetIdentifier, r.HealthCheckId, r.Type, r.HostedZoneId, r.TTL])).toEqual(
      regionsOf(variant).map((region) => [region, region, { Ref: checks.get(region) }, 'CNAME', DOMAIN.hostedZoneId, String(PHASES[variant].dns.ttlSeconds)]),
    );
    expect(PHASES[variant].dns.ttlSeconds).toBe(10);
    for (const r of records) {
      // Not an alias: an alias would carry its target's 60 s TTL.
      expect(r.AliasTarget).toBeUndefined();
      expect(r.ResourceRecords).toHaveLength(1);
      expect(r.GeoLocation).toBeUndefined();
    }
  });

  test('each health check has one alarm on AWS/Route53 HealthCheckStatus that notifies the alarm topic', () => {
    const t = dnsTemplate(variant);
    const alarms = resources(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms).toHaveLength(regionsOf(variant).length);
    expect(alarms.map((a) => a.Dimensions)).toEqual([...healthCheckIds(t).values()].map((id) => [{ Name: 'HealthCheckId', Value: { Ref: id } }]));
    for (const a of alarms) {
      expect([a.Namespace, a.MetricName, a.ComparisonOperator, a.Threshold, a.TreatMissingData]).toEqual(['AWS/Route53', 'HealthCheckStatus', 'LessThanThreshold', 1, 'breaching']);
      expect(a.AlarmActions.length).toBeGreaterThan(0);
    }
  });

  test('each region\'s compute names its front door <region>.api.<domain> and has a DNS-validated certificate for its names (behind the edge, origin.api.<domain> too)', () => {
    const behindEdge = PHASES[variant].compute.gateway?.edge !== undefined;
    for (const region of regionsOf(variant)) {
      const t = computeTemplate(variant, region);
      const regional = resources(t, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties);
      expect(regional.map((r) => [r.Name, r.Type, r.HostedZoneId])).toEqual([[`${regionalName(region)}.`, 'A', DOMAIN.hostedZoneId]]);
      t.resourceCountIs('AWS::CertificateManager::Certificate', 1);
      const names = [regionalName(region), ...(behindEdge ? [ORIGIN] : [])];
      t.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: API,
        SubjectAlternativeNames: names,
        ValidationMethod: 'DNS',
        DomainValidationOptions: [API, ...names].map((DomainName) => ({ DomainName, HostedZoneId: DOMAIN.hostedZoneId })),
      });
    }
  });
});

describe('the front doors with the shop\'s domain', () => {
  test('1k: the regional name is an alias of the public load balancer, which serves HTTPS with the region\'s certificate', () => {
    const t = computeTemplate('1k', HOME);
    const [[lb]] = resources(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer').filter(([, r]) => r.Properties.Scheme === 'internet-facing');
    const [[, record]] = resources(t, 'AWS::Route53::RecordSet');
    expect(JSON.stringify(record.Properties.AliasTarget)).toContain(`"Fn::GetAtt":["${lb}","DNSName"]`);
    expect(record.Properties.AliasTarget.HostedZoneId).toEqual({ 'Fn::GetAtt': [lb, 'CanonicalHostedZoneID'] });
    const [[certificate]] = resources(t, 'AWS::CertificateManager::Certificate');
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { LoadBalancerArn: { Ref: lb }, Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: { Ref: certificate } }] });
    t.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });

  test.each(['70k', '1m'] as const)('%s: every region has API Gateway custom domains for api.<domain>, <region>.api.<domain> and (behind the edge) origin.api.<domain>, all mapped to its API', (variant) => {
    for (const region of regionsOf(variant)) {
      const t = computeTemplate(variant, region);
      const [[api]] = resources(t, 'AWS::ApiGatewayV2::Api');
      const [[certificate]] = resources(t, 'AWS::CertificateManager::Certificate');
      const domains = resources(t, 'AWS::ApiGatewayV2::DomainName');
      expect(domains.map(([, d]) => d.Properties.DomainName)).toEqual([API, regionalName(region), ORIGIN]);
      for (const [, d] of domains) {
        expect(d.Properties.DomainNameConfigurations).toEqual([{ CertificateArn: { Ref: certificate }, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }]);
      }
      const mappings = resources(t, 'AWS::ApiGatewayV2::ApiMapping').map(([, m]) => m.Properties);
      expect(mappings.map((m) => [m.ApiId, m.DomainName])).toEqual(domains.map(([id]) => [{ Ref: api }, { Ref: id }]));
      const regionalDomain = domains[1][0];
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: `${regionalName(region)}.`,
        AliasTarget: { DNSName: { 'Fn::GetAtt': [regionalDomain, 'RegionalDomainName'] }, HostedZoneId: { 'Fn::GetAtt': [regionalDomain, 'RegionalHostedZoneId'] } },
      });
    }
  });

  test('behind the edge (70k), api.<domain> names the distribution and origin.api.<domain> each region\'s origin custom domain, through that region\'s compute stack', () => {
    const t = dnsTemplate('70k');
    for (const [, record] of apiRecords(t)) {
      const target = JSON.stringify(record.Properties.ResourceRecords);
      expect(target).toContain('"StackName":"orders-use1-compute"');
      expect(target).toMatch(/Edge[0-9A-F]*.*DomainName/);
    }
    const origins = resources(t, 'AWS::Route53::RecordSet').filter(([, r]) => r.Properties.Name === `${ORIGIN}.`);
    expect(origins.map(([, r]) => r.Properties.Region)).toEqual(regionsOf('70k'));
    for (const [, record] of origins) {
      const target = JSON.stringify(record.Properties.ResourceRecords);
      expect(target).toContain(`"StackName":"${regionalStackName(record.Properties.Region, 'compute')}"`);
      expect(target).toContain('PublicNamesOriginDomain');
      expect(target).not.toContain('PublicNamesRegionalDomain');
    }
  });

  test('with a certificate given per region, no certificate is created and each front door uses its region\'s ARN', () => {
    regionsOf('1m-geolocation').forEach((region, i) => {
      const t = computeTemplate('1m-geolocation', region);
      t.resourceCountIs('AWS::CertificateManager::Certificate', 0);
      const domains = resources(t, 'AWS::ApiGatewayV2::DomainName');
      expect(domains).toHaveLength(3);
      for (const [, d] of domains) expect(d.Properties.DomainNameConfigurations[0].CertificateArn).toBe(certificateArn(region, i));
    });
  });
});

describe('geolocation routing (1m: EU to eu-central-1, North America to us-east-1, every other location to us-west-2)', () => {
  test('api.<domain> has a record per continent and a default record, each with its region\'s health check and none with a Region', () => {
    const t = dnsTemplate('1m-geolocation');
    const checks = healthCheckIds(t);
    const records = apiRecords(t).map(([, r]) => r.Properties);
    expect(records.map((r) => [r.GeoLocation, r.SetIdentifier, r.HealthCheckId])).toEqual([
      [{ ContinentCode: 'NA' }, 'us-east-1-NA', { Ref: checks.get('us-east-1') }],
      [{ CountryCode: '*' }, 'us-west-2-default', { Ref: checks.get('us-west-2') }],
      [{ ContinentCode: 'EU' }, 'eu-central-1-EU', { Ref: checks.get('eu-central-1') }],
    ]);
    expect(records.map((r) => r.Region)).toEqual([undefined, undefined, undefined]);
    t.resourceCountIs('AWS::Route53::HealthCheck', 3);
  });

  test('the routing policy cannot change from one phase to the next: 1m by continent after a 70k by latency fails, naming field and value', () => {
    expect(() => loadPhase('1m', { ...PHASES, '1m': withRouting(PHASES['1m'], GEOLOCATION) })).toThrow(
      'Phase spec "1m" is invalid (1 problem):\n' +
        '  - dns.routing.policy = "geolocation": phase 70k had "latency"; it must stay the same: Route 53 cannot hold latency and geolocation records for one name: ' +
        'a change would take api.<domain> out of DNS between the deletes and the creates',
    );
  });
});

describe('without the shop\'s domain', () => {
  test.each(PHASE_NAMES)('phase %s builds no Route 53 resource and no DNS stack', (phase) => {
    expect(stackNames(phase)).not.toContain('orders-use1-dns');
    for (const name of stackNames(phase)) {
      const types = Object.values(templateJson(phase, name).Resources ?? {}).map((r) => r.Type);
      expect([name, types.filter((type) => type.startsWith('AWS::Route53::') || type === 'AWS::ApiGatewayV2::DomainName')]).toEqual([name, []]);
    }
  });
});

describe('shopDomain (-c domainName= -c hostedZoneId=)', () => {
  test('both values give the domain; neither gives none', () => {
    expect(shopDomain('shop.example.com', 'Z0123456789ABCDEFGHIJ')).toEqual(DOMAIN);
    expect(shopDomain(undefined, undefined)).toBeUndefined();
  });

  test.each([
    ['shop.example.com', undefined, 'domainName = shop.example.com: give -c hostedZoneId= too (the public hosted zone that holds it)'],
    [undefined, 'Z0123', 'hostedZoneId = Z0123: give -c domainName= too (the domain the zone holds)'],
    ['Shop.Example.com', 'Z0123', 'domainName = Shop.Example.com: must be a lower-case DNS name such as shop.example.com, without a trailing dot'],
    ['shop.example.com.', 'Z0123', 'domainName = shop.example.com.: must be a lower-case DNS name'],
    ['localhost', 'Z0123', 'domainName = localhost: must be a lower-case DNS name'],
    ['-shop.example.com', 'Z0123', 'domainName = -shop.example.com: must be a lower-case DNS name'],
    ['shop_1.example.com', 'Z0123', 'domainName = shop_1.example.com: must be a lower-case DNS name'],
    ['https://shop.example.com', 'Z0123', 'domainName = https://shop.example.com: must be a lower-case DNS name'],
    ['shop.example.com', 'z0123', 'hostedZoneId = z0123: must be a Route 53 hosted zone ID (Z followed by upper-case letters and digits)'],
    ['shop.example.com', '0123ABC', 'hostedZoneId = 0123ABC: must be a Route 53 hosted zone ID'],
    ['shop.example.com', '/hostedzone/Z0123', 'hostedZoneId = /hostedzone/Z0123: must be a Route 53 hosted zone ID'],
  ])('domainName %s with hostedZoneId %s fails: %s', (domainName, hostedZoneId, message) => {
    expect(() => shopDomain(domainName, hostedZoneId)).toThrow(message);
  });
});

describe('validation rules of the DNS spec', () => {
  const one = (phase: string, line: string) => `Phase spec "${phase}" is invalid (1 problem):\n  - ${line}`;

  test('the rules tested here are in the table', () => {
    expect(RULES.map((r) => r.id)).toEqual(expect.arrayContaining(['dns-health-check', 'dns-geolocation-regions']));
  });

  test('a TTL out of 1-300 s fails, naming field and value', () => {
    const spec = copy('70k');
    spec.dns = { ...spec.dns, ttlSeconds: 0 };
    expect(problems(spec)).toBe(one('70k', 'dns.ttlSeconds = 0: must be a whole number of seconds from 1 to 300: it bounds how long users keep reaching a failed region'));
    spec.dns = { ...spec.dns, ttlSeconds: 300 };
    expect(problems(spec)).toBeUndefined();
  });

  test('\'dns-health-check\': an interval Route 53 does not offer and a threshold out of 1-10 fail, each naming field and value', () => {
    const spec = copy('70k');
    spec.dns = { ...spec.dns, healthCheck: { intervalSeconds: 20, failureThreshold: 0 } };
    expect(problems(spec)).toBe(
      'Phase spec "70k" is invalid (2 problems):\n' +
        '  - dns.healthCheck.intervalSeconds = 20: must be 10 or 30: the intervals Route 53 health checks offer\n' +
        '  - dns.healthCheck.failureThreshold = 0: must be a whole number from 1 to 10 (Route 53)',
    );
    spec.dns = { ...spec.dns, healthCheck: { intervalSeconds: 30, failureThreshold: 2.5 } };
    expect(problems(spec)).toBe(one('70k', 'dns.healthCheck.failureThreshold = 2.5: must be a whole number from 1 to 10 (Route 53)'));
    spec.dns = { ...spec.dns, healthCheck: { intervalSeconds: 30, failureThreshold: 10 } };
    expect(problems(spec)).toBeUndefined();
  });

  test('\'dns-geolocation-regions\': a continent or default sent to a region the phase does not have fails, naming each', () => {
    const spec = copy('70k');
    spec.dns = { ...spec.dns, routing: { policy: 'geolocation', continents: { NA: 'us-east-1', EU: 'eu-central-1' }, defaultRegion: 'eu-central-1' } };
    const rule = "must be one of the phase's regions (us-east-1, us-west-2)";
    expect(problems(spec)).toBe(
      'Phase spec "70k" is invalid (2 problems):\n' + `  - dns.routing.continents.EU = "eu-central-1": ${rule}\n` + `  - dns.routing.defaultRegion = "eu-central-1": ${rule}`,
    );
    expect(problems(withRouting(PHASES['1m'], GEOLOCATION))).toBeUndefined();
  });
});

describe('failover orchestration and what it needs', () => {
  const failoverStack = (phase: PhaseName, region: RegionName) => Template.fromJSON(templateJson(phase, regionalStackName(region, 'failover')));
  /** The state machine's definition as one string (its Fn::Join parts, tokens as JSON). */
  function definition(t: Template): string {
    const [[, machine]] = resources(t, 'AWS::StepFunctions::StateMachine');
    const def = machine.Properties.DefinitionString;
    return typeof def === 'string' ? def : (def['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
  }
  const statements = (t: Template) => resources(t, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
  const actions = (s: { Action: string | string[] }) => [s.Action].flat();

  test('only the failover region (the first secondary) has a failover stack', () => {
    expect(stackNames('1m').filter((n) => n.endsWith('-failover'))).toEqual(['orders-usw2-failover']);
    expect(stackNames('70k').filter((n) => n.endsWith('-failover'))).toEqual(['orders-usw2-failover']);
    expect(stackNames('50k').filter((n) => n.endsWith('-failover'))).toEqual([]);
  });

  test.each(['70k', '1m'] as const)('%s: orders-usw2-failover promotes the replicas, fails DocumentDB and the cache over and points the services home', (phase) => {
    const t = failoverStack(phase, 'us-west-2');
    const def = definition(t);
    for (const call of ['aws-sdk:rds:promoteReadReplica', 'aws-sdk:docdb:failoverGlobalCluster', 'aws-sdk:elasticache:failoverGlobalReplicationGroup', 'aws-sdk:ssm:putParameter']) {
      expect([call, def.includes(call)]).toEqual([call, true]);
    }
    expect(def).toContain('"AllowDataLoss":true');
    expect(def).toContain(`"Name":"${HOME_REGION_PARAMETER}"`);
    // Promotion is allowed on the region's replicas, each by ARN, never on every instance.
    const promote = statements(t).filter((s) => actions(s).includes('rds:promoteReadReplica'));
    expect(promote).toHaveLength(1);
    const arns = [promote[0].Resource].flat();
    expect(arns).toHaveLength(PHASES[phase].postgres.instances.length);
    for (const arn of arns) {
      const text = JSON.stringify(arn);
      expect(text).toContain('arn:aws:rds:us-west-2:');
      expect(text).toContain(':db:');
      expect(text).toContain('PostgresReplicas');
      expect(text).not.toContain('*');
    }
  });

  test.each(['70k', '1m'] as const)('%s: the home pointer lives in orders-usw2-failover, set to the primary, and the machine\'s failures and time-outs alarm there', (phase) => {
    const t = failoverStack(phase, 'us-west-2');
    t.hasResourceProperties('AWS::SSM::Parameter', { Name: HOME_REGION_PARAMETER, Type: 'String', Value: HOME });
    const alarms = resources(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms.map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const a of alarms) expect(a.AlarmActions).toHaveLength(1);
    expect(definition(t)).not.toContain('IsThisTheNewHome');
    expect(definition(t)).toContain('"StartAt":"PromoteStores"');
  });

  test.each(['70k', '1m'] as const)('%s: orders-usw2-data publishes its FailoverTargets output; the primary\'s data stack has none', (phase) => {
    const outputs = (stackName: string) => (templateJson(phase, stackName).Outputs ?? {}) as Record<string, { Value: unknown }>;
    const value = JSON.stringify(outputs('orders-usw2-data').FailoverTargets?.Value);
    for (const key of ['postgres', 'documentDb', 'globalClusterIdentifier', 'clusterArn', 'cache', 'globalReplicationGroupId', 'replicationGroupId']) {
      expect([key, value.includes(`\\"${key}\\"`)]).toEqual([key, true]);
    }
    expect(outputs('orders-use1-data').FailoverTargets).toBeUndefined();
  });

  test.each(['70k', '1m'] as const)('%s: the primary replicates every PostgreSQL, DocumentDB and cache secret to each secondary region, tagged with its stack', (phase) => {
    const secondaries = PHASES[phase].regions.filter((r) => r.role === 'secondary').map((r) => ({ Region: r.region }));
    const secrets = Object.entries(templateJson(phase, 'orders-use1-data').Resources ?? {}).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret') as [string, Resource][];
    // Master and app secrets of each instance, the catalogue's, the cache's auth token; the elastic cluster lives in the primary region only.
    const replicated = secrets.filter(([id]) => !id.startsWith('DocumentDbElastic'));
    expect(replicated).toHaveLength(PHASES[phase].postgres.instances.length * 2 + 2);
    expect(replicated.some(([id]) => id.startsWith('CacheAuthToken'))).toBe(true);
    expect(replicated.some(([id]) => id.startsWith('DocumentDbSecret'))).toBe(true);
    for (const [id, secret] of replicated) {
      expect([id, secret.Properties.ReplicaRegions]).toEqual([id, secondaries]);
      expect([id, secret.Properties.Tags]).toEqual([id, expect.arrayContaining([{ Key: REPLICATED_FROM_TAG, Value: 'orders-use1-data' }])]);
    }
    expect(REPLICATED_FROM_TAG).toBe('orders-platform:replicated-from');
  });

  /** Every service's ConfigMap (`<service>-config`) of a region's manifests. */
  function serviceConfigs(phase: PhaseName, region: RegionName): Record<string, string>[] {
    const file = path.join(assemblyDir(), phase, MANIFEST_DIR, `${regionalStackName(region, 'compute')}.yaml`);
    return parseAllDocuments(fs.readFileSync(file, 'utf8'))
      .map((d) => d.toJS())
      .filter((d) => d?.kind === 'ConfigMap' && d.metadata.name.endsWith('-config') && d.data?.REGION_ROLE !== undefined)
      .map((d) => d.data);
  }

  test.each([
    ['70k', 'us-west-2'],
    ['1m', 'us-west-2'],
    ['1m', 'eu-central-1'],
  ] as const)('%s: the services in %s read their secrets there and the home region from the one pointer in us-west-2', (phase, region) => {
    const configs = serviceConfigs(phase, region);
    expect(configs.length).toBeGreaterThan(1);
    const pointer = `ssm:us-west-2:${HOME_REGION_PARAMETER}`;
    for (const env of configs) {
      expect([env.SECRETS_REGION, env.HOME_REGION_SOURCE, env.HOME_REGION_POLL_MS, env.RELAY, env.CONSUMERS]).toEqual([region, pointer, '10000', undefined, undefined]);
    }
    // The primary reads its own secrets, where they live, and polls the same pointer (a lost primary that returns stops by itself).
    for (const env of serviceConfigs(phase, HOME)) expect([env.SECRETS_REGION, env.HOME_REGION_SOURCE]).toEqual([undefined, pointer]);
  });
});
