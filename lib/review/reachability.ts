import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { TemplateJson } from './upgrade-review';
import { Deployment, DeploymentTemplates, StackTemplate } from './reachability/deployment';
import { endpointsOf } from './reachability/endpoints';
import { MissingPiece, NetworkModel, Via, describeMissing } from './reachability/network';
import { findWorkloads } from './reachability/workloads';

export type { DeploymentTemplates } from './reachability/deployment';
export type { MissingPiece, Via } from './reachability/network';

/** One workload's path to one endpoint a setting names. */
export interface CheckedPath {
  /** Construct path of the workload (with the Kubernetes object for pods). */
  readonly workload: string;
  readonly region: string;
  /** Environment variable or config key. */
  readonly setting: string;
  /** Type and construct path of what it connects to. */
  readonly target: string;
  readonly port: number;
  /** How the path crosses the network; absent when it does not. */
  readonly via?: Via;
  readonly ok: boolean;
}

/** A path that does not exist, and what it lacks. */
export interface ReachabilityProblem {
  readonly workload: string;
  readonly region: string;
  readonly setting: string;
  readonly target: string;
  readonly port: number;
  readonly missing: MissingPiece;
  /** `workload: SETTING → target port P: missing piece`. */
  readonly message: string;
}

/** Every path checked, and every problem found. */
export interface ReachabilityReport {
  readonly paths: readonly CheckedPath[];
  readonly problems: readonly ReachabilityProblem[];
}

/** The templates of an assembly, with each stack's region and construct paths. */
export function deploymentTemplates(assembly: CloudAssembly): DeploymentTemplates {
  const stacks: StackTemplate[] = assembly.stacks.map((stack) => ({
    name: stack.stackName,
    region: stack.environment.region,
    template: stack.template as TemplateJson,
    paths: new Map(stack.findMetadataByType('aws:cdk:logicalId').flatMap((m) => (typeof m.data === 'string' ? [[m.data, m.path] as const] : []))),
  }));
  return { stacks };
}

/** The one-line message of a problem. */
function message(workload: string, setting: string, target: string, port: number, missing: MissingPiece): string {
  return `${workload}: ${setting} → ${target} port ${port}: ${describeMissing(missing)}`;
}

/**
 * Proves, from the templates alone, that every workload (EC2 Auto Scaling group, EKS pod
 * workload) can open a connection to every endpoint its settings name (databases, replicas,
 * shards, DocumentDB, cache, Kafka, load balancers, in-cluster Services): security-group rules
 * on both ends, and across VPCs a peering connection with routes both ways.
 */
export function analyzeReachability(input: CloudAssembly | DeploymentTemplates): ReachabilityReport {
  const templates = input instanceof CloudAssembly ? deploymentTemplates(input) : input;
  const deployment = new Deployment(templates);
  const network = new NetworkModel(deployment);
  const paths: CheckedPath[] = [];
  const problems: ReachabilityProblem[] = [];
  for (const workload of findWorkloads(deployment)) {
    const { endpoints, unresolved } = endpointsOf(deployment, workload);
    const base = { workload: workload.name, region: workload.region };
    for (const u of unresolved) {
      const missing: MissingPiece = { kind: 'target', reason: u.reason };
      paths.push({ ...base, setting: u.setting, target: u.target, port: u.port, ok: false });
      problems.push({ ...base, setting: u.setting, target: u.target, port: u.port, missing, message: message(workload.name, u.setting, u.target, u.port, missing) });
    }
    for (const endpoint of endpoints) {
      const { setting, target, port } = endpoint;
      const found: MissingPiece[] = [];
      let via: Via | undefined;
      if (target.listenerPorts && !target.listenerPorts.includes(port)) found.push({ kind: 'listener', loadBalancer: target.name, port });
      if (workload.hosts.length === 0) found.push({ kind: 'placement', reason: `no node group or subnets run ${workload.name}` });
      if (target.hosts.length === 0) found.push({ kind: 'placement', reason: `nothing runs ${target.name}` });
      for (const host of workload.hosts) {
        for (const targetHost of target.hosts) {
          const result = network.check(host, targetHost, port);
          via ??= result.via;
          found.push(...result.missing);
        }
      }
      const messages = new Set<string>();
      for (const missing of found) {
        const text = message(workload.name, setting, target.name, port, missing);
        if (messages.has(text)) continue;
        messages.add(text);
        problems.push({ ...base, setting, target: target.name, port, missing, message: text });
      }
      paths.push({ ...base, setting, target: target.name, port, via: messages.size === 0 ? via : undefined, ok: messages.size === 0 });
    }
  }
  return { paths, problems };
}

function viaText(path: CheckedPath): string {
  if (!path.ok || !path.via) return 'missing';
  return path.via.kind === 'same-vpc' ? 'OK (same VPC)' : `OK (peering ${path.via.peering})`;
}

/** A table of workloads × endpoints with OK or missing, then every problem. */
export function formatReachability(report: ReachabilityReport): string {
  const lines: string[] = [];
  let workload: string | undefined;
  for (const path of report.paths) {
    if (path.workload !== workload) {
      workload = path.workload;
      lines.push(`${workload} (${path.region})`);
    }
    lines.push(`  ${viaText(path).padEnd(16)} ${path.setting} → ${path.target} port ${path.port}`);
  }
  const ok = report.paths.filter((p) => p.ok).length;
  lines.push('', `${ok} of ${report.paths.length} paths exist; ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}.`);
  for (const problem of report.problems) lines.push(`UNREACHABLE ${problem.message}`);
  return lines.join('\n');
}
