import { TemplateJson } from '../review/upgrade-review';
import {
  DOCDB_ELASTIC_VCPU_HOURLY,
  DOCDB_HOURLY,
  EBS_GP3_GIB_MONTH,
  EC2_HOURLY,
  ELASTICACHE_VALKEY_HOURLY,
  HOURLY,
  HOURS_PER_MONTH,
  MONTHLY,
  MSK_BROKER_HOURLY,
  MSK_STORAGE_GIB_MONTH,
  RDS_GP3_GIB_MONTH,
  RDS_POSTGRES_HOURLY,
  REDIS_OSS_FACTOR,
  REGION_FACTOR,
  SPOT_FACTOR,
} from './prices';

/** What a stack is, for pricing: its name, region and template. */
export interface PricedStack {
  readonly stackName: string;
  readonly region: string;
  readonly template: TemplateJson;
}

/** The grouping of cost lines in a summary. */
export type CostCategory = 'databases' | 'documentdb' | 'cache' | 'kafka' | 'compute' | 'network' | 'transfer' | 'security';

/** Every category, in the order summaries print them. */
export const COST_CATEGORIES: readonly CostCategory[] = ['databases', 'documentdb', 'cache', 'kafka', 'compute', 'network', 'transfer', 'security'];

/** One priced resource. */
export interface CostLine {
  readonly stack: string;
  readonly logicalId: string;
  readonly category: CostCategory;
  /** What was priced, e.g. "3 × cache.m7g.large". */
  readonly what: string;
  readonly monthlyUsd: number;
}

/** What a spot node group saves against the same nodes on demand (already in the total at the spot price). */
export interface SpotSaving {
  readonly stack: string;
  readonly logicalId: string;
  /** The nodes priced, e.g. "3 × m7g.xlarge". */
  readonly what: string;
  /** The nodes' instance hours at the on-demand price, per month. */
  readonly onDemandUsd: number;
  /** The same at the spot price ({@link SPOT_FACTOR} of on-demand), per month. */
  readonly spotUsd: number;
  /** On-demand minus spot, per month. */
  readonly savingUsd: number;
}

/** A phase's estimated monthly cost. */
export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly byCategory: Readonly<Record<CostCategory, number>>;
  readonly totalUsd: number;
  /** One line per spot node group: what running its nodes on spot saves. */
  readonly spotSavings: readonly SpotSaving[];
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** The value at a path inside a template's JSON, or undefined. */
function at(root: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

function num(value: unknown, fallback = 0): number {
  const n = Number(value);
  return value !== undefined && value !== null && Number.isFinite(n) ? n : fallback;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function price(table: Readonly<Record<string, number>>, key: unknown, where: string): number {
  const value = table[str(key)];
  if (value === undefined) throw new Error(`cost: no price for ${JSON.stringify(key)} (${where}); add it to lib/cost/prices.ts`);
  return value;
}

/** The logical ID a Ref or Fn::GetAtt points at. */
function refId(value: unknown): string | undefined {
  const ref = at(value, 'Ref');
  if (typeof ref === 'string') return ref;
  const target = at(value, 'Fn::GetAtt', 0);
  return typeof target === 'string' ? target : undefined;
}

/** Finds the resource a value refers to, following Ref, Fn::GetAtt, Fn::Join and other stacks' outputs. */
type Resolver = (value: unknown, stack: string) => { readonly resource: Resource; readonly stack: string } | undefined;

function resolverOf(stacks: readonly PricedStack[]): Resolver {
  const byName = new Map(stacks.map((s) => [s.stackName, s.template]));
  const resolve: Resolver = (value, stack) => {
    const template = byName.get(stack);
    const id = refId(value);
    const found = id === undefined ? undefined : (template?.Resources)?.[id];
    if (found) return { resource: found, stack };
    const output = at(value, 'Fn::GetStackOutput') as { StackName?: string; OutputName?: string } | undefined;
    if (output?.StackName && output.OutputName) {
      const producer = byName.get(output.StackName);
      return resolve(at(producer, 'Outputs', output.OutputName, 'Value'), output.StackName);
    }
    const parts = at(value, 'Fn::Join', 1);
    if (Array.isArray(parts)) {
      for (const part of parts) {
        const found = typeof part === 'object' ? resolve(part, stack) : undefined;
        if (found) return found;
      }
    }
    return undefined;
  };
  return resolve;
}

/**
 * The node type, shard count and engine a replication group really runs with: a Global
 * Datastore's members follow their global group (a secondary sets none of them itself).
 */
function cacheShape(r: Resource, stack: string, resources: Record<string, Resource>, resolve: Resolver): { type: unknown; shards: number; engine: unknown } {
  const p = r.Properties ?? {};
  const local = Object.values(resources).find(
    (g) => g.Type === 'AWS::ElastiCache::GlobalReplicationGroup' && JSON.stringify(at(g, 'Properties', 'Members')).includes(`"${idOf(r, resources)}"`),
  );
  const global = p.GlobalReplicationGroupId !== undefined ? resolve(p.GlobalReplicationGroupId, stack) : local ? { resource: local, stack } : undefined;
  if (!global) return { type: p.CacheNodeType, shards: num(p.NumNodeGroups, 1), engine: p.Engine };
  const g = global.resource;
  const primary = resolve(at(g, 'Properties', 'Members', 0, 'ReplicationGroupId'), global.stack)?.resource;
  return { type: at(g, 'Properties', 'CacheNodeType'), shards: num(at(g, 'Properties', 'GlobalNodeGroupCount'), 1), engine: at(primary, 'Properties', 'Engine') ?? p.Engine };
}

function idOf(r: Resource, resources: Record<string, Resource>): string | undefined {
  return Object.entries(resources).find(([, candidate]) => candidate === r)?.[0];
}

/** Prices one resource, or returns undefined for types with no fixed monthly cost here. */
function priceResource(r: Resource, resources: Record<string, Resource>, where: string, stack: string, resolve: Resolver): Omit<CostLine, 'stack' | 'logicalId'> | undefined {
  const p = r.Properties ?? {};
  const hourly = (h: number) => h * HOURS_PER_MONTH;
  switch (r.Type) {
    case 'AWS::RDS::DBInstance': {
      const copies = p.MultiAZ === true ? 2 : 1;
      const source = p.SourceDBInstanceIdentifier === undefined ? undefined : resolve(p.SourceDBInstanceIdentifier, stack);
      const storage = num(p.AllocatedStorage ?? at(source?.resource, 'Properties', 'AllocatedStorage'));
      return {
        category: 'databases',
        what: `${str(p.DBInstanceClass)}${copies === 2 ? ' Multi-AZ' : ''}${source ? ' replica' : ''}, ${storage} GiB`,
        monthlyUsd: copies * (hourly(price(RDS_POSTGRES_HOURLY, p.DBInstanceClass, where)) + storage * RDS_GP3_GIB_MONTH),
      };
    }
    case 'AWS::DocDB::DBInstance':
      return { category: 'documentdb', what: str(p.DBInstanceClass), monthlyUsd: hourly(price(DOCDB_HOURLY, p.DBInstanceClass, where)) };
    case 'AWS::DocDBElastic::Cluster': {
      const vcpus = num(p.ShardCapacity) * num(p.ShardCount) * num(p.ShardInstanceCount, 2);
      return { category: 'documentdb', what: `elastic, ${vcpus} vCPUs`, monthlyUsd: hourly(vcpus * DOCDB_ELASTIC_VCPU_HOURLY) };
    }
    case 'AWS::ElastiCache::ReplicationGroup': {
      const shape = cacheShape(r, stack, resources, resolve);
      const nodes = shape.shards * (num(p.ReplicasPerNodeGroup) + 1);
      const factor = shape.engine === 'valkey' ? 1 : REDIS_OSS_FACTOR;
      return {
        category: 'cache',
        what: `${nodes} × ${str(shape.type)}${p.GlobalReplicationGroupId !== undefined ? ' (Global Datastore secondary)' : ''}`,
        monthlyUsd: nodes * factor * hourly(price(ELASTICACHE_VALKEY_HOURLY, shape.type, where)),
      };
    }
    case 'AWS::MSK::Cluster': {
      const brokers = num(p.NumberOfBrokerNodes);
      const type = at(p, 'BrokerNodeGroupInfo', 'InstanceType');
      const storage = num(at(p, 'BrokerNodeGroupInfo', 'StorageInfo', 'EBSStorageInfo', 'VolumeSize'));
      return {
        category: 'kafka',
        what: `${brokers} × ${str(type)}, ${storage} GiB each`,
        monthlyUsd: brokers * (hourly(price(MSK_BROKER_HOURLY, type, where)) + storage * MSK_STORAGE_GIB_MONTH),
      };
    }
    case 'AWS::AutoScaling::AutoScalingGroup': {
      const count = num(p.DesiredCapacity ?? p.MinSize);
      const mixed = at(p, 'MixedInstancesPolicy', 'LaunchTemplate');
      const templateRef = at(p, 'LaunchTemplate', 'LaunchTemplateId') ?? at(mixed, 'LaunchTemplateSpecification', 'LaunchTemplateId');
      const data = at(resources[refId(templateRef) ?? ''], 'Properties', 'LaunchTemplateData');
      const type = at(mixed, 'Overrides', 0, 'InstanceType') ?? at(data, 'InstanceType');
      const mappings = at(data, 'BlockDeviceMappings');
      const disk = Array.isArray(mappings) ? mappings.reduce((sum: number, m: unknown) => sum + num(at(m, 'Ebs', 'VolumeSize')), 0) : 0;
      return {
        category: 'compute',
        what: `${count} × ${str(type)}`,
        monthlyUsd: count * (hourly(price(EC2_HOURLY, type, where)) + disk * EBS_GP3_GIB_MONTH),
      };
    }
    case 'AWS::EC2::Instance':
      return { category: 'compute', what: str(p.InstanceType), monthlyUsd: hourly(price(EC2_HOURLY, p.InstanceType, where)) };
    case 'AWS::EKS::Cluster':
      return { category: 'compute', what: 'EKS control plane', monthlyUsd: hourly(HOURLY.eksCluster) };
    case 'AWS::EKS::Nodegroup': {
      const count = num(at(p, 'ScalingConfig', 'DesiredSize') ?? at(p, 'ScalingConfig', 'MinSize'));
      const type = at(p, 'InstanceTypes', 0);
      const factor = p.CapacityType === 'SPOT' ? SPOT_FACTOR : 1;
      return {
        category: 'compute',
        what: `${count} × ${str(type)}${factor < 1 ? ' spot' : ''}`,
        monthlyUsd: count * (factor * hourly(price(EC2_HOURLY, type, where)) + num(p.DiskSize, 20) * EBS_GP3_GIB_MONTH),
      };
    }
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return { category: 'network', what: `${str(p.Type ?? 'application')} load balancer`, monthlyUsd: hourly(HOURLY.loadBalancer) };
    case 'AWS::EC2::NatGateway':
      return { category: 'network', what: 'NAT gateway', monthlyUsd: hourly(HOURLY.natGateway) };
    case 'AWS::EC2::VPCEndpoint': {
      if (p.VpcEndpointType !== 'Interface') return undefined;
      const azs = Array.isArray(p.SubnetIds) ? p.SubnetIds.length : 0;
      return { category: 'network', what: `interface endpoint in ${azs} AZs`, monthlyUsd: azs * hourly(HOURLY.interfaceEndpointPerAz) };
    }
    case 'AWS::Route53::HealthCheck': {
      // An endpoint in AWS; HTTPS and the 10 s interval are optional features, each billed on top.
      const c = (p.HealthCheckConfig ?? {}) as { Type?: string; RequestInterval?: number };
      const features = (String(c.Type ?? '').startsWith('HTTPS') ? 1 : 0) + (c.RequestInterval === 10 ? 1 : 0);
      return { category: 'network', what: `health check${features > 0 ? ` (+${features} optional features)` : ''}`, monthlyUsd: MONTHLY.route53HealthCheck + features * MONTHLY.route53HealthCheckFeature };
    }
    case 'AWS::Route53::HostedZone':
      return { category: 'network', what: 'hosted zone', monthlyUsd: MONTHLY.route53HostedZone };
    case 'AWS::KMS::Key':
      return { category: 'security', what: 'KMS key', monthlyUsd: MONTHLY.kmsKey };
    case 'AWS::SecretsManager::Secret': {
      // A replica in another region is billed as a secret of its own.
      const replicas = Array.isArray(p.ReplicaRegions) ? p.ReplicaRegions.length : 0;
      return { category: 'security', what: replicas > 0 ? `secret and ${replicas} replicas` : 'secret', monthlyUsd: (1 + replicas) * MONTHLY.secret };
    }
    default:
      return undefined;
  }
}

/** The saving of a spot node group's nodes against on-demand, before the region's price level; undefined for on-demand groups. */
function spotSaving(r: Resource, where: string): Omit<SpotSaving, 'stack' | 'logicalId'> | undefined {
  const p = r.Properties ?? {};
  if (r.Type !== 'AWS::EKS::Nodegroup' || p.CapacityType !== 'SPOT') return undefined;
  const count = num(at(p, 'ScalingConfig', 'DesiredSize') ?? at(p, 'ScalingConfig', 'MinSize'));
  const type = at(p, 'InstanceTypes', 0);
  const onDemandUsd = count * price(EC2_HOURLY, type, where) * HOURS_PER_MONTH;
  const spotUsd = onDemandUsd * SPOT_FACTOR;
  return { what: `${count} × ${str(type)}`, onDemandUsd, spotUsd, savingUsd: onDemandUsd - spotUsd };
}

/**
 * Estimates the fixed monthly cost of a phase from its synthesized templates: instances, nodes,
 * brokers, storage as allocated, gateways, keys and secrets, at on-demand list prices adjusted by
 * region. Usage-based charges (requests, I/O, logs) are not included; `usage` adds modelled ones
 * (the inter-region transfer of lib/cost/inter-region.ts).
 */
export function estimateCost(stacks: readonly PricedStack[], usage: readonly CostLine[] = []): CostEstimate {
  const lines: CostLine[] = [];
  const spotSavings: SpotSaving[] = [];
  const resolve = resolverOf(stacks);
  for (const stack of stacks) {
    const resources = (stack.template.Resources ?? {}) as Record<string, Resource>;
    const factor = REGION_FACTOR[stack.region];
    if (factor === undefined) throw new Error(`cost: no price level for region ${stack.region}; add it to REGION_FACTOR in lib/cost/prices.ts`);
    for (const [logicalId, resource] of Object.entries(resources)) {
      const priced = priceResource(resource, resources, `${stack.stackName}/${logicalId}`, stack.stackName, resolve);
      if (priced) lines.push({ stack: stack.stackName, logicalId, ...priced, monthlyUsd: priced.monthlyUsd * factor });
      const saving = spotSaving(resource, `${stack.stackName}/${logicalId}`);
      if (saving) {
        spotSavings.push({ stack: stack.stackName, logicalId, what: saving.what, onDemandUsd: saving.onDemandUsd * factor, spotUsd: saving.spotUsd * factor, savingUsd: saving.savingUsd * factor });
      }
    }
  }
  lines.push(...usage);
  const byCategory = Object.fromEntries(COST_CATEGORIES.map((c) => [c, 0])) as Record<CostCategory, number>;
  for (const line of lines) byCategory[line.category] += line.monthlyUsd;
  return { lines, byCategory, totalUsd: lines.reduce((sum, l) => sum + l.monthlyUsd, 0), spotSavings };
}
