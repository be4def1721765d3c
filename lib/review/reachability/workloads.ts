import { AttributePart, Deployment, Part, Resource, ResourceRef, assignment, decode, encode, sameRef, splitParts } from './deployment';

/** Where a workload's processes run: the security groups their network interfaces carry, and the subnets. */
export interface Host {
  /** Construct path of what places them (the Auto Scaling group, the EKS node group). */
  readonly name: string;
  readonly securityGroups: readonly AttributePart[];
  readonly subnets: readonly ResourceRef[];
}

/** One setting a workload is configured with: an environment variable or a config file's key. */
export interface Setting {
  readonly name: string;
  readonly value: readonly Part[];
}

/** Kubernetes objects applied to one EKS cluster. */
export interface ClusterObjects {
  readonly cluster: ResourceRef;
  readonly objects: readonly KubeObject[];
  /** The nodes pods run on. */
  readonly nodeGroups: readonly NodeGroup[];
}

/** A node group: the hosts pods are scheduled on, with its labels for node selectors. */
export interface NodeGroup extends Host {
  readonly labels: Readonly<Record<string, string>>;
}

/** A Kubernetes object from a manifest, its strings still holding deploy-time placeholders. */
export interface KubeObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
  /** The custom resource that applies it, and its placeholder table. */
  readonly source: Resource;
  readonly tokens: readonly Part[];
}

/** A process that connects to endpoints: an EC2 Auto Scaling group or an EKS pod workload. */
export interface Workload {
  /** Construct path, with the Kubernetes object for a pod workload: `…/Services[Deployment orders/order]`. */
  readonly name: string;
  readonly stack: string;
  readonly region: string;
  readonly kind: 'ec2' | 'pod';
  /** Where it may run; every one must reach every endpoint. */
  readonly hosts: readonly Host[];
  readonly settings: readonly Setting[];
  /** For pods: the cluster's objects, to find the Services that in-cluster URLs name. */
  readonly cluster?: ClusterObjects;
}

/** Environment-file lines and Kubernetes variable names: upper-case with underscores. */
const VARIABLE = /^[A-Z][A-Z0-9_]*$/;

/** Kinds whose pod template runs the services' code. */
const POD_TEMPLATE_KINDS: Readonly<Record<string, (spec: Record<string, unknown>) => unknown>> = {
  Deployment: (s) => s.template,
  StatefulSet: (s) => s.template,
  DaemonSet: (s) => s.template,
  ReplicaSet: (s) => s.template,
  Job: (s) => s.template,
  CronJob: (s) => (s.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template,
};

/** Custom resources that apply Kubernetes manifests to an EKS cluster (aws-eks and aws-eks-v2). */
const MANIFEST_TYPES = ['Custom::AWSCDK-EKS-KubernetesResource'];

/** The parts of a pod spec the check reads. */
export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { name: string; configMap?: { name: string } }[];
  nodeSelector?: Record<string, string>;
}

/** The parts of a container the check reads. */
export interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; prefix?: string }[];
  volumeMounts?: { name: string }[];
  ports?: { name?: string; containerPort: number }[];
}

/** Every workload of the deployment, with its hosts and settings. */
export function findWorkloads(deployment: Deployment): Workload[] {
  return [...autoScalingGroups(deployment), ...podWorkloads(deployment)];
}

function launchTemplateOf(deployment: Deployment, stack: string, spec: unknown): Resource | undefined {
  const s = spec as { LaunchTemplateId?: unknown; Id?: unknown } | undefined;
  const ref = s ? deployment.attribute(stack, s.LaunchTemplateId ?? s.Id) : undefined;
  const resource = ref ? deployment.resource(ref.ref) : undefined;
  return resource?.type === 'AWS::EC2::LaunchTemplate' ? resource : undefined;
}

function launchTemplateGroups(deployment: Deployment, template: Resource): AttributePart[] {
  const data = (template.properties.LaunchTemplateData ?? {}) as { SecurityGroupIds?: unknown; NetworkInterfaces?: { Groups?: unknown }[] };
  const direct = deployment.attributes(template.ref.stack, data.SecurityGroupIds ?? []);
  const interfaces = (data.NetworkInterfaces ?? []).flatMap((n) => deployment.attributes(template.ref.stack, n.Groups ?? []));
  return [...direct, ...interfaces];
}

function subnetsOf(deployment: Deployment, stack: string, value: unknown): ResourceRef[] {
  return deployment.attributes(stack, value ?? []).map((a) => a.ref);
}

/** Environment assignments written anywhere in the user data (an env file, exports). */
function userDataSettings(deployment: Deployment, template: Resource): Setting[] {
  const data = (template.properties.LaunchTemplateData ?? {}) as { UserData?: unknown };
  if (data.UserData === undefined) return [];
  const lines = splitParts(deployment.parts(template.ref.stack, data.UserData), '\n');
  return lines.flatMap((line): Setting[] => {
    const a = assignment(line, VARIABLE);
    return a ? [a] : [];
  });
}

function autoScalingGroups(deployment: Deployment): Workload[] {
  return deployment.resources('AWS::AutoScaling::AutoScalingGroup').map((group) => {
    const p = group.properties as { LaunchTemplate?: unknown; MixedInstancesPolicy?: { LaunchTemplate?: { LaunchTemplateSpecification?: unknown } }; VPCZoneIdentifier?: unknown };
    const template = launchTemplateOf(deployment, group.ref.stack, p.LaunchTemplate ?? p.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification);
    return {
      name: group.path,
      stack: group.ref.stack,
      region: group.region,
      kind: 'ec2' as const,
      hosts: [{ name: group.path, securityGroups: template ? launchTemplateGroups(deployment, template) : [], subnets: subnetsOf(deployment, group.ref.stack, p.VPCZoneIdentifier) }],
      settings: template ? userDataSettings(deployment, template) : [],
    };
  });
}

/** The node groups of a cluster: their launch template's groups, or the cluster security group EKS gives nodes without one. */
function nodeGroups(deployment: Deployment, cluster: Resource): NodeGroup[] {
  return deployment
    .resources('AWS::EKS::Nodegroup')
    .filter((ng) => {
      const ref = deployment.attribute(ng.ref.stack, ng.properties.ClusterName);
      return ref !== undefined && sameRef(ref.ref, cluster.ref);
    })
    .map((ng) => {
      const template = launchTemplateOf(deployment, ng.ref.stack, ng.properties.LaunchTemplate);
      const fromTemplate = template ? launchTemplateGroups(deployment, template) : [];
      const securityGroups = fromTemplate.length > 0 ? fromTemplate : [{ ref: cluster.ref, attribute: 'ClusterSecurityGroupId' }];
      const labels = (ng.properties.Labels ?? {}) as Record<string, string>;
      return { name: ng.path, securityGroups, subnets: subnetsOf(deployment, ng.ref.stack, ng.properties.Subnets), labels };
    });
}

function manifestObjects(deployment: Deployment, source: Resource): KubeObject[] {
  const { text, tokens } = encode(deployment.parts(source.ref.stack, source.properties.Manifest));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const list = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  return list
    .flatMap((o) => (o.kind === 'List' && Array.isArray(o.items) ? (o.items as Record<string, unknown>[]) : [o]))
    .filter((o) => typeof o.kind === 'string' && typeof (o.metadata as { name?: unknown } | undefined)?.name === 'string')
    .map((o) => ({ ...(o as unknown as Omit<KubeObject, 'source' | 'tokens'>), source, tokens }));
}

/** The objects applied to each EKS cluster, by cluster. */
function clusterObjects(deployment: Deployment): ClusterObjects[] {
  const manifests = MANIFEST_TYPES.flatMap((type) => deployment.resources(type));
  return deployment.resources('AWS::EKS::Cluster').map((cluster) => ({
    cluster: cluster.ref,
    nodeGroups: nodeGroups(deployment, cluster),
    objects: manifests
      .filter((m) => {
        const ref = deployment.attribute(m.ref.stack, m.properties.ClusterName);
        return ref !== undefined && sameRef(ref.ref, cluster.ref);
      })
      .flatMap((m) => manifestObjects(deployment, m)),
  }));
}

function namespaceOf(o: KubeObject): string {
  return o.metadata.namespace ?? 'default';
}

/** A config file's settings: `key=value` lines of a properties file, or the whole file as one setting. */
function fileSettings(file: string, value: Part[]): Setting[] {
  const lines = splitParts(value, '\n');
  if (lines.length < 2) return [{ name: file, value }];
  return lines
    .filter((line) => typeof line[0] === 'string' && !/^\s*[#!]/.test(line[0]))
    .flatMap((line): Setting[] => {
      const a = assignment(line, /^[\w.-]+$/);
      return a ? [{ name: `${file}: ${a.name}`, value: a.value }] : [];
    });
}

function podSettings(spec: PodSpec, configMaps: (name: string) => KubeObject | undefined): Setting[] {
  const settings: Setting[] = [];
  const mapData = (name: string) => {
    const map = configMaps(name);
    return map ? Object.entries(map.data ?? {}).map(([key, text]) => [key, decode(String(text), map.tokens)] as const) : [];
  };
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef) for (const [key, value] of mapData(from.configMapRef.name)) settings.push({ name: `${from.prefix ?? ''}${key}`, value });
    }
    for (const env of container.env ?? []) {
      const ref = env.valueFrom?.configMapKeyRef;
      const value = ref ? mapData(ref.name).find(([key]) => key === ref.key)?.[1] : undefined;
      if (value) settings.push({ name: env.name, value });
    }
    const mounted = new Set((container.volumeMounts ?? []).map((m) => m.name));
    for (const volume of spec.volumes ?? []) {
      if (volume.configMap && mounted.has(volume.name)) {
        for (const [key, value] of mapData(volume.configMap.name)) settings.push(...fileSettings(key, value));
      }
    }
  }
  return settings;
}

/** Literal env values need the manifest's placeholder table, so they are read per object. */
function literalEnv(spec: PodSpec, tokens: readonly Part[]): Setting[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].flatMap((c) =>
    (c.env ?? []).filter((e) => typeof e.value === 'string').map((e) => ({ name: e.name, value: decode(e.value!, tokens) })),
  );
}

/** Whether a pod may be scheduled on a node group (its node selector, if any, matches the group's labels). */
export function schedulable(spec: PodSpec, group: NodeGroup): boolean {
  return Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => group.labels[k] === v);
}

/** The pod spec of an object that runs pods. */
export function podSpecOf(o: KubeObject): PodSpec | undefined {
  const template = o.spec ? POD_TEMPLATE_KINDS[o.kind]?.(o.spec) : undefined;
  return (template as { spec?: PodSpec } | undefined)?.spec;
}

/** The labels of the pods an object runs. */
export function podLabelsOf(o: KubeObject): Record<string, string> {
  const template = o.spec ? POD_TEMPLATE_KINDS[o.kind]?.(o.spec) : undefined;
  return (template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {};
}

function podWorkloads(deployment: Deployment): Workload[] {
  const workloads: Workload[] = [];
  for (const cluster of clusterObjects(deployment)) {
    const configMap = (namespace: string) => (name: string) => cluster.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name && namespaceOf(o) === namespace);
    for (const o of cluster.objects) {
      const spec = podSpecOf(o);
      if (!spec) continue;
      workloads.push({
        name: `${o.source.path}[${o.kind} ${namespaceOf(o)}/${o.metadata.name}]`,
        stack: o.source.ref.stack,
        region: o.source.region,
        kind: 'pod',
        hosts: cluster.nodeGroups.filter((g) => schedulable(spec, g)),
        settings: [...podSettings(spec, configMap(namespaceOf(o))), ...literalEnv(spec, o.tokens)],
        cluster,
      });
    }
  }
  return workloads;
}
