import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { analyzeReachability } from '../review/reachability';
import { TemplateJson } from '../review/upgrade-review';

/** What a box of the diagram stands for: a kind of resource in one region, with how many there are. */
type Kind = 'route53' | 'publicAlb' | 'api' | 'internalAlb' | 'appServers' | 'eks' | 'postgres' | 'postgresReplicas' | 'documentdb' | 'elastic' | 'cache' | 'kafka';

/** One box. */
export interface DiagramNode {
  readonly id: string;
  readonly region: string;
  readonly stack: string;
  readonly kind: Kind;
  readonly label: string;
}

/** One arrow: requests (traffic) or copies of data (replication). */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'traffic' | 'replication';
  readonly label?: string;
}

/** A phase's picture: regions, their stacks, what each holds, and what flows between them. */
export interface Diagram {
  readonly phase: string;
  readonly regions: readonly string[];
  readonly stacks: readonly { readonly name: string; readonly region: string }[];
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

type Resource = NonNullable<TemplateJson['Resources']>[string];

/** How a resource is drawn, as a table: its kind, or undefined for what the picture leaves out. */
const KIND_OF: Readonly<Record<string, (r: Resource) => Kind | undefined>> = {
  'AWS::Route53::HealthCheck': () => 'route53',
  'AWS::ApiGatewayV2::Api': () => 'api',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': (r) => (r.Properties?.Scheme === 'internal' ? 'internalAlb' : 'publicAlb'),
  'AWS::AutoScaling::AutoScalingGroup': () => 'appServers',
  'AWS::EKS::Nodegroup': () => 'eks',
  'AWS::RDS::DBInstance': (r) => (r.Properties?.SourceDBInstanceIdentifier !== undefined ? 'postgresReplicas' : 'postgres'),
  'AWS::DocDB::DBInstance': () => 'documentdb',
  'AWS::DocDBElastic::Cluster': () => 'elastic',
  'AWS::ElastiCache::ReplicationGroup': () => 'cache',
  'AWS::MSK::Cluster': () => 'kafka',
};

const NAMES: Readonly<Record<Kind, (n: number) => string>> = {
  route53: (n) => `Route 53\\n${n} health checks`,
  publicAlb: () => 'public load balancer\\n(Nginx on app servers)',
  api: () => 'API Gateway',
  internalAlb: () => 'internal load balancer',
  appServers: (n) => `EC2 app servers\\n${n} Auto Scaling group${n === 1 ? '' : 's'}`,
  eks: (n) => `EKS\\n${n} node group${n === 1 ? '' : 's'}, 8 services`,
  postgres: (n) => `PostgreSQL\\n${n} instances`,
  postgresReplicas: (n) => `PostgreSQL\\n${n} read replicas`,
  documentdb: (n) => `DocumentDB\\n${n} instance${n === 1 ? '' : 's'}`,
  elastic: (n) => `DocumentDB elastic\\n${n} cluster`,
  cache: (n) => `ElastiCache (Valkey)\\n${n} replication group${n === 1 ? '' : 's'}`,
  kafka: () => 'MSK (Kafka)',
};

const TARGET_KIND: readonly [RegExp, Kind][] = [
  [/^AWS::RDS::DBInstance .*Replica/, 'postgresReplicas'],
  [/^AWS::RDS::DBInstance /, 'postgres'],
  [/^AWS::DocDB::/, 'documentdb'],
  [/^AWS::DocDBElastic::/, 'elastic'],
  [/^AWS::ElastiCache::/, 'cache'],
  [/^AWS::MSK::/, 'kafka'],
  [/^AWS::ElasticLoadBalancingV2::LoadBalancer .*Gateway/, 'internalAlb'],
];

/** Reads the picture of a phase from its synthesized assembly: templates for the boxes, the reachability paths for the arrows. */
export function diagramOf(phase: string, assembly: CloudAssembly): Diagram {
  const counts = new Map<string, { region: string; stack: string; kind: Kind; n: number; global: boolean }>();
  for (const stack of assembly.stacks) {
    const region = stack.environment.region;
    for (const resource of Object.values((stack.template as TemplateJson).Resources ?? {})) {
      const kind = KIND_OF[resource.Type]?.(resource);
      if (!kind) continue;
      const id = `${region}:${kind}`;
      const seen = counts.get(id) ?? { region, stack: stack.stackName, kind, n: 0, global: false };
      counts.set(id, { ...seen, n: seen.n + 1, global: seen.global || resource.Properties?.GlobalReplicationGroupId !== undefined || resource.Properties?.GlobalClusterIdentifier !== undefined });
    }
  }
  const regions = [...new Set(assembly.stacks.map((s) => s.environment.region))];
  // A secondary region holds only replicas of the primary's databases.
  const secondaries = new Set(regions.filter((r) => counts.has(`${r}:postgresReplicas`) && !counts.has(`${r}:postgres`)));
  const nodeId = (region: string, kind: Kind) => `${region.replace(/-/g, '_')}_${kind}`;
  const nodes: DiagramNode[] = [...counts.values()].map((c) => ({ id: nodeId(c.region, c.kind), region: c.region, stack: c.stack, kind: c.kind, label: NAMES[c.kind](c.n) }));
  const has = (region: string, kind: Kind) => counts.has(`${region}:${kind}`);
  const edges: DiagramEdge[] = [];
  const add = (e: DiagramEdge) => {
    if (!edges.some((x) => x.from === e.from && x.to === e.to)) edges.push(e);
  };
  for (const region of regions) {
    const n = (k: Kind) => nodeId(region, k);
    if (has(region, 'route53') && has(region, 'api')) add({ from: n('route53'), to: n('api'), kind: 'traffic', label: 'latency' });
    if (has(region, 'api') && has(region, 'internalAlb')) add({ from: n('api'), to: n('internalAlb'), kind: 'traffic' });
    for (const compute of ['appServers', 'eks'] as const) {
      if (!has(region, compute)) continue;
      if (has(region, 'publicAlb')) add({ from: n('publicAlb'), to: n(compute), kind: 'traffic' });
      if (has(region, 'internalAlb')) add({ from: n('internalAlb'), to: n(compute), kind: 'traffic' });
    }
  }
  const workloadRegion = new Map(assembly.stacks.map((s) => [s.stackName, s.environment.region]));
  for (const path of analyzeReachability(assembly).paths) {
    const targetKind = TARGET_KIND.find(([re]) => re.test(path.target))?.[1];
    const workloadKind: Kind = path.workload.includes('/Kubernetes/') ? 'eks' : 'appServers';
    const targetStack = path.target.split(' ')[1]?.split('/')[0];
    const targetRegion = workloadRegion.get(targetStack ?? '') ?? path.region;
    if (!targetKind || !has(path.region, workloadKind) || !has(targetRegion, targetKind)) continue;
    if (targetKind === 'internalAlb' && targetRegion === path.region) continue;
    add({ from: nodeId(path.region, workloadKind), to: nodeId(targetRegion, targetKind), kind: 'traffic', label: targetRegion === path.region ? undefined : 'over peering' });
  }
  const primary = regions.find((r) => !secondaries.has(r));
  if (primary) {
    for (const region of secondaries) {
      add({ from: nodeId(primary, 'postgres'), to: nodeId(region, 'postgresReplicas'), kind: 'replication', label: 'cross-region replicas' });
      if (has(region, 'documentdb')) add({ from: nodeId(primary, 'documentdb'), to: nodeId(region, 'documentdb'), kind: 'replication', label: 'global cluster' });
      if (has(region, 'cache')) add({ from: nodeId(primary, 'cache'), to: nodeId(region, 'cache'), kind: 'replication', label: 'Global Datastore' });
      if (has(region, 'kafka')) add({ from: nodeId(primary, 'kafka'), to: nodeId(region, 'kafka'), kind: 'replication', label: 'MirrorMaker 2' });
    }
  }
  // Sorted, so that the picture does not depend on the order the stacks and paths were read in.
  const kinds = Object.keys(NAMES);
  const byKind = (a: DiagramNode, b: DiagramNode) => a.region.localeCompare(b.region) || kinds.indexOf(a.kind) - kinds.indexOf(b.kind);
  const byEnds = (a: DiagramEdge, b: DiagramEdge) => a.kind.localeCompare(b.kind) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to);
  return {
    phase,
    regions,
    stacks: assembly.stacks.map((s) => ({ name: s.stackName, region: s.environment.region })),
    nodes: nodes.sort(byKind),
    edges: edges.sort(byEnds),
  };
}

const quote = (s: string) => `"${s.replace(/"/g, '\\"')}"`;

/** The diagram in graphviz's DOT language: a cluster per region, and per stack inside it. */
export function toDot(d: Diagram): string {
  const lines = [
    `digraph ${quote(`phase ${d.phase}`)} {`,
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, compound=true, nodesep=0.3, ranksep=0.6, label=' + quote(`Phase ${d.phase}`) + ', labelloc=t];',
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
  ];
  for (const region of d.regions) {
    lines.push(`  subgraph ${quote(`cluster_${region}`)} {`, `    label=${quote(region)}; style="rounded"; color="#888888";`);
    for (const stack of d.stacks.filter((s) => s.region === region)) {
      const inside = d.nodes.filter((n) => n.stack === stack.name);
      if (inside.length === 0) continue;
      lines.push(`    subgraph ${quote(`cluster_${stack.name}`)} {`, `      label=${quote(stack.name)}; style="filled"; fillcolor="#f3f6fa"; color="#c8d3e0";`);
      for (const n of inside) lines.push(`      ${n.id} [label=${quote(n.label)}];`);
      lines.push('    }');
    }
    lines.push('  }');
  }
  for (const e of d.edges) {
    const style = e.kind === 'replication' ? 'style=dashed, color="#c0392b", fontcolor="#c0392b"' : '';
    const attrs = [e.label ? `label=${quote(e.label)}` : '', style].filter(Boolean).join(', ');
    lines.push(`  ${e.from} -> ${e.to}${attrs ? ` [${attrs}]` : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
