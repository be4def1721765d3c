import { AttributePart, Deployment, Part, Resource, ResourceRef, decode, encode, isAttribute, sameRef } from './deployment';
import { Host, KubeObject, Setting, Workload, podLabelsOf, podSpecOf, schedulable } from './workloads';

/** What an endpoint leads to: a resource (its network interfaces), or the pods behind a Kubernetes Service. */
export interface Target {
  /** Readable: type and construct path, or the Service and its pods. */
  readonly name: string;
  readonly region: string;
  /** Where it listens: one host for a resource; each node group its pods may run on. */
  readonly hosts: readonly Host[];
  /** A load balancer's listener ports: the endpoint's port must be one of them. */
  readonly listenerPorts?: readonly number[];
}

/** A setting's reference to something it connects to. */
export interface Endpoint {
  readonly setting: string;
  readonly target: Target;
  readonly port: number;
}

/** A setting names a target the check cannot find (a Service that does not exist, say). */
export interface UnresolvedEndpoint {
  readonly setting: string;
  readonly target: string;
  readonly port: number;
  readonly reason: string;
}

/** How to read one resource type as an endpoint. */
interface EndpointType {
  /** Attributes that are a host name of this resource. */
  readonly hostAttributes: readonly string[];
  /** Port when the setting does not say. */
  readonly defaultPort: (d: Deployment, r: Resource) => number | undefined;
  readonly securityGroups: (d: Deployment, r: Resource) => AttributePart[];
  readonly subnets: (d: Deployment, r: Resource) => ResourceRef[];
}

/** The subnets of a subnet group a property names. */
function subnetGroup(property: string, groupType: string): (d: Deployment, r: Resource) => ResourceRef[] {
  return (d, r) => {
    const ref = d.attribute(r.ref.stack, r.properties[property]);
    const group = ref ? d.resource(ref.ref) : undefined;
    return group?.type === groupType ? d.attributes(group.ref.stack, group.properties.SubnetIds ?? []).map((a) => a.ref) : [];
  };
}

const groups = (property: string) => (d: Deployment, r: Resource) => d.attributes(r.ref.stack, r.properties[property] ?? []);
const port = (fallback: number) => (d: Deployment, r: Resource) => d.number(r.ref.stack, r.properties.Port) ?? fallback;

/** Resource types services connect to, by the attribute that is their address. */
const ENDPOINT_TYPES: Readonly<Record<string, EndpointType>> = {
  'AWS::RDS::DBInstance': {
    hostAttributes: ['Endpoint.Address'],
    defaultPort: port(5432),
    securityGroups: groups('VPCSecurityGroups'),
    subnets: (d, r) => {
      const own = subnetGroup('DBSubnetGroupName', 'AWS::RDS::DBSubnetGroup')(d, r);
      if (own.length > 0) return own;
      // A same-region replica without a subnet group of its own is placed in its source's.
      const source = d.attribute(r.ref.stack, r.properties.SourceDBInstanceIdentifier);
      const resource = source ? d.resource(source.ref) : undefined;
      return resource?.type === 'AWS::RDS::DBInstance' ? subnetGroup('DBSubnetGroupName', 'AWS::RDS::DBSubnetGroup')(d, resource) : [];
    },
  },
  'AWS::RDS::DBCluster': {
    hostAttributes: ['Endpoint.Address', 'ReadEndpoint.Address'],
    defaultPort: port(5432),
    securityGroups: groups('VpcSecurityGroupIds'),
    subnets: subnetGroup('DBSubnetGroupName', 'AWS::RDS::DBSubnetGroup'),
  },
  'AWS::DocDB::DBCluster': {
    hostAttributes: ['Endpoint', 'ReadEndpoint'],
    defaultPort: port(27017),
    securityGroups: groups('VpcSecurityGroupIds'),
    subnets: subnetGroup('DBSubnetGroupName', 'AWS::DocDB::DBSubnetGroup'),
  },
  'AWS::DocDBElastic::Cluster': {
    hostAttributes: ['ClusterEndpoint'],
    defaultPort: () => 27017,
    securityGroups: groups('VpcSecurityGroupIds'),
    subnets: (d, r) => d.attributes(r.ref.stack, r.properties.SubnetIds ?? []).map((a) => a.ref),
  },
  'AWS::ElastiCache::ReplicationGroup': {
    hostAttributes: ['ConfigurationEndPoint.Address', 'PrimaryEndPoint.Address', 'ReaderEndPoint.Address'],
    defaultPort: port(6379),
    securityGroups: groups('SecurityGroupIds'),
    subnets: subnetGroup('CacheSubnetGroupName', 'AWS::ElastiCache::SubnetGroup'),
  },
  'AWS::MSK::Cluster': {
    // Reached through a bootstrap-broker lookup (see kafkaCluster); the port depends on the listener.
    hostAttributes: [],
    defaultPort: () => undefined,
    securityGroups: (d, r) => d.attributes(r.ref.stack, (r.properties.BrokerNodeGroupInfo as { SecurityGroups?: unknown } | undefined)?.SecurityGroups ?? []),
    subnets: (d, r) => d.attributes(r.ref.stack, (r.properties.BrokerNodeGroupInfo as { ClientSubnets?: unknown } | undefined)?.ClientSubnets ?? []).map((a) => a.ref),
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    hostAttributes: ['DNSName'],
    defaultPort: () => undefined,
    securityGroups: groups('SecurityGroups'),
    subnets: (d, r) => [
      ...d.attributes(r.ref.stack, r.properties.Subnets ?? []).map((a) => a.ref),
      ...((r.properties.SubnetMappings ?? []) as { SubnetId: unknown }[]).flatMap((m) => d.attributes(r.ref.stack, m.SubnetId).map((a) => a.ref)),
    ],
  },
};

/** MSK's bootstrap-broker strings and the port of each listener. */
const BROKER_PORTS: Readonly<Record<string, number>> = {
  BootstrapBrokerString: 9092,
  BootstrapBrokerStringTls: 9094,
  BootstrapBrokerStringSaslScram: 9096,
  BootstrapBrokerStringSaslIam: 9098,
  BootstrapBrokerStringPublicTls: 9194,
  BootstrapBrokerStringPublicSaslScram: 9196,
  BootstrapBrokerStringPublicSaslIam: 9198,
  BootstrapBrokerStringVpcConnectivityTls: 14001,
  BootstrapBrokerStringVpcConnectivitySaslScram: 14002,
  BootstrapBrokerStringVpcConnectivitySaslIam: 14003,
};

const SCHEME_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, postgres: 5432, postgresql: 5432, mongodb: 27017, redis: 6379, rediss: 6379 };

/** An in-cluster Service host name. */
const SERVICE_HOST = /\b(?:([a-z][a-z0-9+.-]*):\/\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?(?::(\d+))?/g;

function resourceTarget(d: Deployment, resource: Resource, type: EndpointType): Target {
  return {
    name: `${resource.type} ${resource.path}`,
    region: resource.region,
    hosts: [{ name: resource.path, securityGroups: type.securityGroups(d, resource), subnets: type.subnets(d, resource) }],
    listenerPorts:
      resource.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer'
        ? d
            .resources('AWS::ElasticLoadBalancingV2::Listener')
            .filter((l) => {
              const lb = d.attribute(l.ref.stack, l.properties.LoadBalancerArn);
              return lb !== undefined && sameRef(lb.ref, resource.ref);
            })
            .map((l) => d.number(l.ref.stack, l.properties.Port))
            .filter((p): p is number => p !== undefined)
        : undefined,
  };
}

/** The MSK cluster a custom resource looks the bootstrap brokers up for (`Kafka.getBootstrapBrokers`). */
function kafkaCluster(d: Deployment, lookup: Resource): Resource | undefined {
  for (const key of ['Create', 'Update']) {
    const { text, tokens } = encode(d.parts(lookup.ref.stack, lookup.properties[key]));
    let call: { service?: string; action?: string; parameters?: { ClusterArn?: string } };
    try {
      call = JSON.parse(text) as typeof call;
    } catch {
      continue;
    }
    if (call.service?.toLowerCase() !== 'kafka' || !/^getBootstrapBrokers$/i.test(call.action ?? '') || !call.parameters?.ClusterArn) continue;
    const arn = decode(call.parameters.ClusterArn, tokens).find(isAttribute);
    const cluster = arn ? d.resource(arn.ref) : undefined;
    if (cluster?.type === 'AWS::MSK::Cluster') return cluster;
  }
  return undefined;
}

/** The port written after a host (`host:5432`, or `host:` and a port attribute), if any. */
function portAfter(d: Deployment, parts: readonly Part[], index: number): number | undefined {
  const next = parts[index + 1];
  if (typeof next !== 'string') return undefined;
  const literal = /^:(\d+)/.exec(next);
  if (literal) return Number(literal[1]);
  if (next === ':' || next.endsWith(':')) {
    const after = parts[index + 2];
    if (after !== undefined && isAttribute(after)) return d.number(after.ref.stack, { 'Fn::GetAtt': [after.ref.id, after.attribute] });
  }
  return undefined;
}

/** The URL scheme written just before a host (`http://host`), if any. */
function schemeBefore(parts: readonly Part[], index: number): string | undefined {
  const previous = parts[index - 1];
  return typeof previous === 'string' ? /([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?$/.exec(previous)?.[1] : undefined;
}

/** The pods behind an in-cluster Service, and the port they listen on; or why there are none. */
function serviceTarget(workload: Workload, namespace: string, name: string, port: number): { target: Target; port: number } | string {
  const cluster = workload.cluster;
  if (!cluster) return `an in-cluster address, but ${workload.name} does not run in a cluster`;
  const service = cluster.objects.find((o) => o.kind === 'Service' && o.metadata.name === name && (o.metadata.namespace ?? 'default') === namespace);
  if (!service) return `no Service ${namespace}/${name} in cluster ${clusterName(workload)}`;
  const spec = (service.spec ?? {}) as { selector?: Record<string, string>; ports?: { port: number; targetPort?: number | string }[] };
  const servicePort = (spec.ports ?? []).find((p) => p.port === port);
  if (!servicePort) return `Service ${namespace}/${name} has no port ${port}`;
  const pods = cluster.objects.filter((o) => {
    const labels = podLabelsOf(o);
    return podSpecOf(o) !== undefined && (o.metadata.namespace ?? 'default') === namespace && Object.entries(spec.selector ?? {}).every(([k, v]) => labels[k] === v);
  });
  if (pods.length === 0 || !spec.selector) return `Service ${namespace}/${name} selects no pods`;
  const hosts = new Map<string, Host>();
  for (const pod of pods) for (const group of cluster.nodeGroups.filter((g) => schedulable(podSpecOf(pod)!, g))) hosts.set(group.name, group);
  return {
    target: { name: `Service ${namespace}/${name} (${pods.map((p) => `${p.kind} ${p.metadata.name}`).join(', ')})`, region: workload.region, hosts: [...hosts.values()] },
    // Traffic reaches the pods on the target port: that is the port security groups must admit.
    port: targetPortOf(servicePort.targetPort ?? port, pods),
  };
}

function targetPortOf(targetPort: number | string, pods: readonly KubeObject[]): number {
  if (typeof targetPort === 'number') return targetPort;
  for (const pod of pods) {
    for (const c of podSpecOf(pod)?.containers ?? []) {
      const named = (c.ports ?? []).find((p) => p.name === targetPort);
      if (named) return named.containerPort;
    }
  }
  return Number(targetPort);
}

function clusterName(workload: Workload): string {
  return workload.name.replace(/\[.*\]$/, '');
}

/** Every endpoint a workload's settings name, and those the check cannot find. */
export function endpointsOf(d: Deployment, workload: Workload): { endpoints: Endpoint[]; unresolved: UnresolvedEndpoint[] } {
  const endpoints: Endpoint[] = [];
  const unresolved: UnresolvedEndpoint[] = [];
  for (const setting of workload.settings) {
    settingEndpoints(d, workload, setting, endpoints, unresolved);
  }
  // A list may name one target several times (every service URL through one load balancer).
  const seen = new Set<string>();
  const unique = endpoints.filter((e) => {
    const key = `${e.setting}\n${e.target.name}\n${e.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { endpoints: unique, unresolved };
}

function settingEndpoints(d: Deployment, workload: Workload, setting: Setting, endpoints: Endpoint[], unresolved: UnresolvedEndpoint[]): void {
  const parts = setting.value;
  parts.forEach((part, i) => {
    if (typeof part === 'string') {
      for (const m of part.matchAll(SERVICE_HOST)) {
        const [, scheme, name, , namespace, , explicit] = m;
        const port = explicit ? Number(explicit) : (SCHEME_PORTS[scheme ?? 'http'] ?? 80);
        const target = serviceTarget(workload, namespace, name, port);
        if (typeof target === 'string') unresolved.push({ setting: setting.name, target: `${name}.${namespace}.svc`, port, reason: target });
        else endpoints.push({ setting: setting.name, ...target });
      }
      return;
    }
    if (!isAttribute(part) || part.attribute === undefined) return;
    const resource = d.resource(part.ref);
    if (!resource) return;
    if (part.attribute in BROKER_PORTS && resource.type.startsWith('Custom::')) {
      const cluster = kafkaCluster(d, resource);
      if (cluster) endpoints.push({ setting: setting.name, target: resourceTarget(d, cluster, ENDPOINT_TYPES['AWS::MSK::Cluster']), port: BROKER_PORTS[part.attribute] });
      return;
    }
    const type = ENDPOINT_TYPES[resource.type];
    if (!type?.hostAttributes.includes(part.attribute)) return;
    const scheme = schemeBefore(parts, i);
    const port = portAfter(d, parts, i) ?? (resource.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && scheme ? SCHEME_PORTS[scheme] : undefined) ?? type.defaultPort(d, resource) ?? 80;
    endpoints.push({ setting: setting.name, target: resourceTarget(d, resource, type), port });
  });
}
