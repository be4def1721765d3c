import {
  _InstanceType,
  DescribeAccountAttributesCommand,
  DescribeAddressesCommand,
  paginateDescribeInstanceTypes,
  paginateDescribeInstances,
  paginateDescribeVpcs,
} from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { PreflightClients } from './clients';
import { PreflightCheck } from './report-types';
import { RegionRequirements, instanceTypesOf } from './requirements';
import { allPages } from './zones';

/** The Service Quotas the preflight reads: EC2 has no API for vCPU limits or VPCs per region. */
const QUOTAS = {
  onDemandVcpus: { service: 'ec2', code: 'L-1216C47A', name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances' },
  spotVcpus: { service: 'ec2', code: 'L-34B43A08', name: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests' },
  vpcs: { service: 'vpc', code: 'L-F678F1CE', name: 'VPCs per Region' },
  elasticIps: { service: 'ec2', code: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs' },
} as const;

/** Instance families the standard vCPU quotas cover. */
const STANDARD_FAMILY = /^[acdhimrtz]/;

type Quota = (typeof QUOTAS)[keyof typeof QUOTAS];

/** A quota's applied value, or undefined when Service Quotas has none for this account and region. */
async function quotaValue(clients: PreflightClients, quota: Quota): Promise<number | undefined> {
  try {
    const answer = await clients.quotas.send(new GetServiceQuotaCommand({ ServiceCode: quota.service, QuotaCode: quota.code }));
    return answer.Quota?.Value;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchResourceException') return undefined;
    throw error;
  }
}

function compare(
  subject: string,
  source: string,
  quota: Quota,
  region: string,
  limit: number | undefined,
  used: number,
  needed: number,
  unit: string,
): PreflightCheck {
  if (limit === undefined) {
    return { area: 'quotas', subject, status: 'unchecked', detail: `Service Quotas has no value for ${quota.service}/${quota.code} here; ${needed} ${unit} needed, ${used} in use`, source };
  }
  const free = limit - used;
  const detail = `${needed} ${unit} needed, ${used} in use of ${limit} (${free} free)`;
  if (needed <= free) return { area: 'quotas', subject, status: 'pass', detail, source };
  return {
    area: 'quotas',
    subject,
    status: 'fail',
    detail,
    fix: `aws service-quotas request-service-quota-increase --region ${region} --service-code ${quota.service} --quota-code ${quota.code} --desired-value ${used + needed}`,
    source,
  };
}

/**
 * Room under the quotas for the phase at its maxima: on-demand and spot vCPUs (every group at
 * its maximum, on its largest type), Elastic IPs for the NAT gateways, and a VPC. Resources the
 * account already runs count as used, the phase's own included: a move to a larger phase is
 * checked as if the old one stayed.
 */
export async function checkQuotas(clients: PreflightClients, req: RegionRequirements): Promise<{ checks: PreflightCheck[] }> {
  const types = instanceTypesOf(req);
  const described = types.length
    ? await allPages(paginateDescribeInstanceTypes({ client: clients.ec2 }, { InstanceTypes: types as _InstanceType[] }), (page) => page.InstanceTypes)
    : [];
  const vcpus = new Map(described.map((t) => [t.InstanceType as string, t.VCpuInfo?.DefaultVCpus ?? 0]));
  const need = (capacity: 'ON_DEMAND' | 'SPOT') =>
    req.instances.filter((i) => i.capacityType === capacity).reduce((sum, i) => sum + i.maxInstances * Math.max(...i.instanceTypes.map((t) => vcpus.get(t) ?? 0)), 0);
  const running = await allPages(
    paginateDescribeInstances({ client: clients.ec2 }, { Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }),
    (page) => page.Reservations?.flatMap((r) => r.Instances ?? []),
  );
  const used = (spot: boolean) =>
    running
      .filter((i) => (i.InstanceLifecycle === 'spot') === spot && STANDARD_FAMILY.test(i.InstanceType ?? ''))
      .reduce((sum, i) => sum + (i.CpuOptions?.CoreCount ?? 1) * (i.CpuOptions?.ThreadsPerCore ?? 1), 0);
  const checks: PreflightCheck[] = [];
  const vcpuSource = (q: Quota) => `Service Quotas ${q.service}/${q.code}, EC2 DescribeInstances`;
  const nonStandard = types.filter((t) => !STANDARD_FAMILY.test(t));
  if (nonStandard.length) {
    checks.push({ area: 'quotas', subject: 'vCPUs', status: 'unchecked', detail: `${nonStandard.join(', ')} fall under other vCPU quotas, which are not checked` });
  }
  checks.push(compare('on-demand vCPUs', vcpuSource(QUOTAS.onDemandVcpus), QUOTAS.onDemandVcpus, req.region, await quotaValue(clients, QUOTAS.onDemandVcpus), used(false), need('ON_DEMAND'), 'vCPUs'));
  const spotNeed = need('SPOT');
  if (spotNeed > 0) {
    checks.push(compare('spot vCPUs', vcpuSource(QUOTAS.spotVcpus), QUOTAS.spotVcpus, req.region, await quotaValue(clients, QUOTAS.spotVcpus), used(true), spotNeed, 'vCPUs'));
  }

  // EC2 answers the Elastic IP limit itself (`vpc-max-elastic-ips`, one of the attributes it lists).
  const attributes = await clients.ec2.send(new DescribeAccountAttributesCommand({}));
  const eipValue = attributes.AccountAttributes?.find((a) => a.AttributeName === 'vpc-max-elastic-ips')?.AttributeValues?.[0]?.AttributeValue;
  const addresses = await clients.ec2.send(new DescribeAddressesCommand({}));
  checks.push(
    compare(
      'Elastic IPs (NAT gateways)',
      'EC2 DescribeAccountAttributes vpc-max-elastic-ips, DescribeAddresses',
      QUOTAS.elasticIps,
      req.region,
      eipValue === undefined ? undefined : Number(eipValue),
      addresses.Addresses?.length ?? 0,
      req.elasticIps,
      'addresses',
    ),
  );

  const vpcs = await allPages(paginateDescribeVpcs({ client: clients.ec2 }, {}), (page) => page.Vpcs);
  checks.push(compare('VPCs', `Service Quotas ${QUOTAS.vpcs.service}/${QUOTAS.vpcs.code}, EC2 DescribeVpcs`, QUOTAS.vpcs, req.region, await quotaValue(clients, QUOTAS.vpcs), vpcs.length, req.vpcs, 'VPCs'));
  return { checks };
}
