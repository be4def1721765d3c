import { DocDBClient, DescribeOrderableDBInstanceOptionsCommand as DocdbOrderable } from '@aws-sdk/client-docdb';
import {
  DescribeAccountAttributesCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeSpotPriceHistoryCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeOrderableDBInstanceOptionsCommand as RdsOrderable, RDSClient } from '@aws-sdk/client-rds';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'stream';
import { PHASES } from '../../phases';
import { sdkClients } from '../../lib/preflight/clients';
import { formatPreflight } from '../../lib/preflight/format';
import { runPreflight } from '../../lib/preflight/preflight';
import { checkZones } from '../../lib/preflight/zones';
import { regionRequirements } from '../../lib/preflight/requirements';

// Recorded-shape answers for us-east-1: what a healthy account returns.
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const ZONE_IDS = ['use1-az6', 'use1-az1', 'use1-az2'];
const VCPUS: Record<string, number> = { 'm7g.xlarge': 4, 'm6g.xlarge': 4, 'c7g.xlarge': 4, 'c6g.xlarge': 4 };
const NOW = new Date('2026-12-01T12:00:00Z');

const ec2 = mockClient(EC2Client);
const quotas = mockClient(ServiceQuotasClient);
const rds = mockClient(RDSClient);
const docdb = mockClient(DocDBClient);

/** A healthy account: every 1m type offered in every AZ (over two pages), quotas with room. */
function healthyAccount(): void {
  ec2.reset();
  quotas.reset();
  rds.reset();
  docdb.reset();
  ec2.on(DescribeAvailabilityZonesCommand).resolves({
    AvailabilityZones: AZS.map((ZoneName, i) => ({ ZoneName, ZoneId: ZONE_IDS[i], State: 'available', OptInStatus: 'opt-in-not-required', GroupName: 'us-east-1' })),
  });
  const offerings = Object.keys(VCPUS).flatMap((InstanceType) => AZS.map((Location) => ({ InstanceType, Location, LocationType: 'availability-zone' as const })));
  ec2
    .on(DescribeInstanceTypeOfferingsCommand)
    .callsFake((input: { NextToken?: string }) =>
      input.NextToken === 'page2' ? { InstanceTypeOfferings: offerings.slice(6) } : { InstanceTypeOfferings: offerings.slice(0, 6), NextToken: 'page2' },
    );
  ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: Object.entries(VCPUS).map(([InstanceType, DefaultVCpus]) => ({ InstanceType: InstanceType as never, VCpuInfo: { DefaultVCpus } })) });
  ec2.on(DescribeSpotPriceHistoryCommand).resolves({
    SpotPriceHistory: Object.keys(VCPUS).flatMap((InstanceType) =>
      AZS.flatMap((AvailabilityZone) => [
        { InstanceType: InstanceType as never, AvailabilityZone, SpotPrice: '0.0500', Timestamp: new Date('2026-12-01T11:00:00Z') },
        { InstanceType: InstanceType as never, AvailabilityZone, SpotPrice: '0.0400', Timestamp: new Date('2026-12-01T11:30:00Z') },
      ]),
    ),
  });
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceType: 'm7g.large', CpuOptions: { CoreCount: 2, ThreadsPerCore: 1 } }, { InstanceType: 'c7g.xlarge', InstanceLifecycle: 'spot', CpuOptions: { CoreCount: 4, ThreadsPerCore: 1 } }] }],
  });
  ec2.on(DescribeAccountAttributesCommand).resolves({ AccountAttributes: [{ AttributeName: 'vpc-max-elastic-ips', AttributeValues: [{ AttributeValue: '5' }] }] });
  ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ PublicIp: '192.0.2.1' }] });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1' }] });
  quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-1216C47A' }).resolves({ Quota: { Value: 512 } });
  quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-34B43A08' }).resolves({ Quota: { Value: 512 } });
  quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-F678F1CE' }).resolves({ Quota: { Value: 5 } });
  rds.on(RdsOrderable).resolves({
    OrderableDBInstanceOptions: [{ DBInstanceClass: 'db.r7g.xlarge', MultiAZCapable: true, AvailabilityZones: AZS.map((Name) => ({ Name })) }],
  });
  docdb.on(DocdbOrderable).resolves({ OrderableDBInstanceOptions: [{ DBInstanceClass: 'db.r6g.xlarge', AvailabilityZones: AZS.map((Name) => ({ Name })) }] });
}

const preflight = (spec = PHASES['1m']) => runPreflight(spec, { regions: ['us-east-1'], now: NOW });

describe('npm run preflight, against recorded responses', () => {
  beforeEach(healthyAccount);

  test('a healthy account holds 1m in us-east-1: exit 0, the AZ mapping reported, every offering page read', async () => {
    const report = await preflight();
    expect(report.exitCode).toBe(0);
    expect(report.regions[0].zones.map((z) => `${z.name}=${z.zoneId}`)).toEqual(['us-east-1a=use1-az6', 'us-east-1b=use1-az1', 'us-east-1c=use1-az2']);
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)).toHaveLength(2);
    const offerings = report.regions[0].checks.filter((c) => c.area === 'offerings');
    expect(offerings.map((c) => [c.subject, c.status])).toEqual(Object.keys(VCPUS).sort().map((t) => [t, 'pass']));
    expect(formatPreflight(report)).toContain('PASS: the account can hold 1m in us-east-1');
  });

  test('when the second page is not read, types listed only there fail (the pagination is what passes them)', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).callsFake(() => ({ InstanceTypeOfferings: Object.keys(VCPUS).slice(0, 2).flatMap((InstanceType) => AZS.map((Location) => ({ InstanceType, Location }))) }));
    const report = await preflight();
    expect(report.exitCode).toBe(1);
    expect(report.regions[0].checks.filter((c) => c.status === 'fail').map((c) => c.subject)).toEqual(['c6g.xlarge', 'c7g.xlarge']);
  });

  test('a type missing in one AZ fails with the AZs it has, the group that needs it and the command that lists alternatives', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({
      InstanceTypeOfferings: Object.keys(VCPUS).flatMap((InstanceType) =>
        AZS.filter((az) => InstanceType !== 'c6g.xlarge' || az !== 'us-east-1c').map((Location) => ({ InstanceType: InstanceType as never, Location })),
      ),
    });
    const report = await preflight();
    expect(report.exitCode).toBe(1);
    const failed = report.regions[0].checks.find((c) => c.status === 'fail')!;
    expect(failed.detail).toBe('c6g.xlarge is not offered in us-east-1c (only in us-east-1a, us-east-1b); needed by EKS node group Spot');
    expect(failed.fix).toContain('aws ec2 describe-instance-type-offerings --region us-east-1 --location-type availability-zone --filters Name=location,Values=us-east-1c');
    expect(formatPreflight(report)).toContain('FAIL: the account cannot hold 1m: us-east-1 c6g.xlarge.');
  });

  test('spot prices: the latest per type and AZ, and the monthly saving of the spot group at its desired and maximum size', async () => {
    const report = await preflight();
    const saving = report.regions[0].spotSavings[0];
    expect(report.regions[0].spotPrices).toHaveLength(12);
    expect(report.regions[0].spotPrices.every((p) => p.spotUsdPerHour === 0.04)).toBe(true);
    // On-demand mean of m7g, m6g, c7g, c6g .xlarge (0.1632, 0.154, 0.145, 0.136) = 0.14955 $/h.
    expect(saving).toMatchObject({ group: 'EKS node group Spot', desiredNodes: 3, maxNodes: 9 });
    expect(saving.savingUsdPerMonth).toBeCloseTo((0.14955 - 0.04) * 3 * 730, 6);
    expect(saving.savingAtMaxUsdPerMonth).toBeCloseTo((0.14955 - 0.04) * 9 * 730, 6);
  });

  test('quotas: vCPUs at every group\'s maximum against what is free, with the increase command when short', async () => {
    quotas.on(GetServiceQuotaCommand, { QuotaCode: 'L-1216C47A' }).resolves({ Quota: { Value: 100 } });
    const report = await preflight();
    const onDemand = report.regions[0].checks.find((c) => c.subject === 'on-demand vCPUs')!;
    // 75 General nodes × 4 vCPUs; 2 vCPUs already run on demand.
    expect(onDemand).toMatchObject({ status: 'fail', detail: '300 vCPUs needed, 2 in use of 100 (98 free)' });
    expect(onDemand.fix).toBe('aws service-quotas request-service-quota-increase --region us-east-1 --service-code ec2 --quota-code L-1216C47A --desired-value 302');
    // 9 Spot nodes × 4 vCPUs.
    expect(report.regions[0].checks.find((c) => c.subject === 'spot vCPUs')).toMatchObject({ status: 'pass', detail: '36 vCPUs needed, 4 in use of 512 (508 free)' });
    expect(report.regions[0].checks.find((c) => c.subject === 'Elastic IPs (NAT gateways)')).toMatchObject({ status: 'pass', source: expect.stringContaining('EC2 DescribeAccountAttributes') });
  });

  test('a data-store class that is not orderable fails; ElastiCache and MSK are reported as not checked', async () => {
    rds.on(RdsOrderable).resolves({ OrderableDBInstanceOptions: [] });
    const report = await preflight();
    expect(report.exitCode).toBe(1);
    const data = report.regions[0].checks.filter((c) => c.area === 'data');
    expect(data.map((c) => [c.subject, c.status])).toEqual([
      ['PostgreSQL 15.17 db.r7g.xlarge', 'fail'],
      ['DocumentDB db.r6g.xlarge', 'pass'],
      ['ElastiCache cache.r7g.xlarge', 'unchecked'],
      ['MSK kafka.m7g.xlarge', 'unchecked'],
    ]);
  });

  test('throttled after the SDK\'s retries: the check could not run, exit 2, saying so', async () => {
    ec2.on(DescribeInstanceTypeOfferingsCommand).rejects(Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded', $metadata: { attempts: 5 } }));
    const report = await preflight();
    expect(report.exitCode).toBe(2);
    expect(report.regions[0].checks.find((c) => c.status === 'error')!.detail).toBe(
      'could not run: throttled by AWS (RequestLimitExceeded) after 5 attempts: run again later, or with fewer regions at once',
    );
  });

  test('without credentials nothing can run: exit 2 with what to set', async () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    ec2.onAnyCommand().rejects(missing);
    quotas.onAnyCommand().rejects(missing);
    rds.onAnyCommand().rejects(missing);
    docdb.onAnyCommand().rejects(missing);
    const report = await preflight();
    expect(report.exitCode).toBe(2);
    expect(report.regions[0].checks.every((c) => c.status === 'error')).toBe(true);
    expect(formatPreflight(report)).toContain('ERROR: the preflight could not run: us-east-1 could not run: no AWS credentials: Could not load credentials from any providers (set AWS_PROFILE');
  });

  test('a region the phase does not run in is refused, naming its regions', async () => {
    await expect(runPreflight(PHASES['50k'], { regions: ['eu-central-1'] })).rejects.toThrow('phase 50k does not run in eu-central-1; its regions: us-east-1');
  });
});

describe('the SDK clients retry throttling themselves', () => {
  const throttled = `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>1</RequestID></Response>`;
  const zones = `<DescribeAvailabilityZonesResponse><availabilityZoneInfo>${AZS.map(
    (az, i) => `<item><zoneName>${az}</zoneName><zoneId>${ZONE_IDS[i]}</zoneId><zoneState>available</zoneState><optInStatus>opt-in-not-required</optInStatus></item>`,
  ).join('')}</availabilityZoneInfo></DescribeAvailabilityZonesResponse>`;

  /** EC2 clients as the preflight builds them, over an HTTP handler that throttles the first `throttles` requests. */
  function throttlingClients(throttles: number, maxAttempts: number) {
    ec2.restore();
    const clients = sdkClients('us-east-1', { maxAttempts });
    let requests = 0;
    clients.ec2.config.requestHandler = {
      handle: () => {
        requests += 1;
        const body = requests <= throttles ? throttled : zones;
        return Promise.resolve({ response: { statusCode: requests <= throttles ? 503 : 200, headers: {}, body: Readable.from([Buffer.from(body)]) } });
      },
    } as never;
    return { clients, requests: () => requests };
  }

  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'example';
  });

  test('the preflight\'s clients use the standard retry mode with 5 attempts by default', async () => {
    const clients = sdkClients('us-east-1');
    expect(await clients.ec2.config.maxAttempts()).toBe(5);
    expect(clients.ec2.config.retryMode).toBe('standard');
  });

  test('throttled twice, answered on the third attempt', async () => {
    const { clients, requests } = throttlingClients(2, 3);
    const result = await checkZones(clients, regionRequirements(PHASES['1k'])[0]);
    expect(requests()).toBe(3);
    expect(result.checks.every((c) => c.status === 'pass')).toBe(true);
  });

  test('throttled on every attempt: the error names the attempts made', async () => {
    const { clients, requests } = throttlingClients(99, 2);
    await expect(checkZones(clients, regionRequirements(PHASES['1k'])[0])).rejects.toMatchObject({ name: 'RequestLimitExceeded', $metadata: { attempts: 2 } });
    expect(requests()).toBe(2);
  });
});
