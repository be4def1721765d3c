import { createHash } from 'crypto';
import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { EksSpec, PhaseSpec, PodServiceSpec, ServiceName, SpotJob } from '../../phases';
import { calledBy, HEALTH_PATH, METRICS_PATH, READY_PATH, SERVICE_PORT, SERVICE_ROUTES } from '../compute/routes';
import { PRE_STOP_SECONDS, shutdownEnvironment, TERMINATION_GRACE_SECONDS } from '../compute/shutdown';
import { constructId } from '../naming';
import { PrometheusSource, prometheusAuthentication, scaledObject } from './predictive-scaling';
import { placeOnSpot } from './spot';
import type { ServiceEnvironment } from '../compute/app-environment';

/** The namespace every service, job and config lives in. */
export const NAMESPACE = 'orders';

/** The port each Kubernetes Service exposes (to the pods' {@link SERVICE_PORT}). */
const CLUSTER_SERVICE_PORT = 80;

/** The numeric user and group the containers run as (the image's USER). */
export const RUN_AS = 10001;

/** Where the init container writes secrets and the launcher reads them. */
const SECRETS_DIR = '/run/secrets/orders';

/**
 * checkov findings these manifests accept, each with its reason, as annotations on the objects
 * they concern (checkov reads `checkov.io/skipN`).
 */
export const CHECKOV_SKIPS: Readonly<Record<string, string>> = {
  CKV_K8S_43:
    'The image is referenced by the CDK asset hash of its own content, pushed once to the immutable CDK assets repository; the digest is known only after the deploy-time build.',
};

function checkovAnnotations(): Record<string, string> {
  return Object.fromEntries(Object.entries(CHECKOV_SKIPS).map(([id, reason], i) => [`checkov.io/skip${i + 1}`, `${id}=${reason}`]));
}

/** Service accounts of the jobs, each with its own IAM role. */
export const JOB_ACCOUNTS = { topics: 'kafka-admin', migrations: 'migrations' } as const;

/** Pod annotation holding a hash of the pod's configuration: a change of configuration changes the pod template, which rolls the pods. */
export const CONFIG_HASH_ANNOTATION = 'orders.platform/config-hash';

/**
 * The namespace label with which the AWS Load Balancer Controller gives every pod behind a
 * TargetGroupBinding a readiness gate: a new pod counts as ready only once its target is healthy
 * in the target group, so a rolling update never retires an old pod before the new one serves.
 */
export const READINESS_GATE_LABEL = { 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' } as const;

/** The user name the Amazon Managed Prometheus scraper is mapped to in the cluster. */
export const SCRAPER_USER = 'aps-collector-user';

/** Values the charts take from the CDK app: tokens when deployed, readable placeholders for review. */
export interface ChartBindings {
  /** The services' image (bundles and launcher). */
  readonly image: string;
  /** The shared environment (services/shared/config.ts names; secrets as placeholders). */
  readonly environment: Readonly<ServiceEnvironment>;
  /** `name=arn ...` of the secrets the init container fetches. */
  readonly secretArns: string;
  /** The VPC's CIDR. */
  readonly vpcCidr: string;
  /**
   * Where the load balancer's and the Prometheus scraper's connections to pods come from: the
   * CIDRs of the subnets their network interfaces are placed in. The only addresses, besides the
   * calling services' pods, a service's NetworkPolicy admits.
   */
  readonly trafficSources: { readonly loadBalancer: readonly string[]; readonly scraper: readonly string[] };
  /**
   * Writes a value that may hold deploy-time tokens the same way on every synthesis (the review
   * manifests' `<Resource.Attribute>` form), for the hashes that name Jobs and roll pods.
   * @default values are taken as they are
   */
  readonly describe?: (value: string) => string;
  /**
   * Target groups of the internal load balancer the pods register in, with its security group:
   * present when API Gateway routes to EKS.
   */
  readonly loadBalancer?: {
    readonly securityGroupId: string;
    readonly targetGroupArns: Readonly<Partial<Record<ServiceName, string>>>;
  };
  /**
   * The region's Prometheus workspace, where the spec scales pods ahead of demand
   * (`compute.eks.predictiveScaling`): KEDA reads the request rates there.
   */
  readonly prometheus?: PrometheusSource;
}

/**
 * A short hash of `value`'s JSON (object keys sorted, every string written by `describe`): the same
 * on every synthesis of the same configuration, different when any value differs.
 */
export function stableHash(value: unknown, describe: (v: string) => string = (v) => v, length = 16): string {
  const canonical = (v: unknown): unknown => {
    if (typeof v === 'string') return describe(v);
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex').slice(0, length);
}

const labelsOf = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'order-platform' });

/** In-cluster URL of a service. */
function serviceUrl(name: ServiceName): string {
  return `http://${name}.${NAMESPACE}.svc.cluster.local:${CLUSTER_SERVICE_PORT}`;
}

/** Hardening kplus cannot express: no Linux capabilities, the runtime's seccomp profile. */
function harden(workload: Construct, podSpecPath: string, containers: number): void {
  const api = ApiObject.of(workload);
  api.addJsonPatch(JsonPatch.add(`${podSpecPath}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
  for (const kind of ['containers', 'initContainers']) {
    const count = kind === 'containers' ? containers : 1;
    for (let i = 0; i < count; i++) {
      api.addJsonPatch(JsonPatch.add(`${podSpecPath}/${kind}/${i}/securityContext/capabilities`, { drop: ['ALL'] }));
    }
  }
}

/** Every container's security context: non-root, read-only root filesystem, no privilege escalation. */
export const containerSecurity: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  readOnlyRootFilesystem: true,
  privileged: false,
  allowPrivilegeEscalation: false,
  user: RUN_AS,
  group: RUN_AS,
};

/** The init container that writes the secrets a process reads at start, and the volumes both share. */
function secretsInit(scope: Construct, id: string, bindings: ChartBindings): { init: kplus.ContainerProps; secrets: kplus.Volume; tmp: kplus.Volume } {
  const secrets = kplus.Volume.fromEmptyDir(scope, `${id}SecretsVolume`, 'secrets', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
  const tmp = kplus.Volume.fromEmptyDir(scope, `${id}TmpVolume`, 'tmp', { sizeLimit: Size.mebibytes(64) });
  return {
    secrets,
    tmp,
    init: {
      name: 'secrets',
      image: bindings.image,
      imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
      command: ['/bin/sh', '/app/fetch-secrets.sh'],
      envVariables: {
        SECRET_ARNS: kplus.EnvValue.fromValue(bindings.secretArns),
        SECRETS_DIR: kplus.EnvValue.fromValue(SECRETS_DIR),
        // A secondary region reads its own replicas of the primary region's secrets.
        ...(bindings.environment.SECRETS_REGION ? { SECRETS_REGION: kplus.EnvValue.fromValue(bindings.environment.SECRETS_REGION) } : {}),
        HOME: kplus.EnvValue.fromValue('/tmp'),
      },
      securityContext: containerSecurity,
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(200) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
      },
      volumeMounts: [
        { path: SECRETS_DIR, volume: secrets },
        { path: '/tmp', volume: tmp },
      ],
    },
  };
}

/**
 * The services on Kubernetes, from the same phase spec as the CDK stacks: per service a
 * ConfigMap, a ServiceAccount (its IAM role comes through EKS Pod Identity), a Deployment
 * (requests and limits, liveness, readiness and startup probes, non-root, read-only root
 * filesystem, no capabilities, spread over zones), a Service, a HorizontalPodAutoscaler with
 * the spec's bounds (or, where the spec scales ahead of demand, a KEDA ScaledObject that owns
 * it), a PodDisruptionBudget, a NetworkPolicy that admits only its callers,
 * the load balancer and the scraper, and, when API Gateway routes to EKS, a TargetGroupBinding.
 */
export class ServicesChart extends Chart {
  constructor(scope: Construct, id: string, spec: PhaseSpec, bindings: ChartBindings) {
    super(scope, id, { labels: { 'app.kubernetes.io/part-of': 'order-platform' } });
    const eks = spec.compute.eks as EksSpec;

    const namespace = new kplus.Namespace(this, 'Namespace', { metadata: { name: NAMESPACE, labels: bindings.loadBalancer ? { ...READINESS_GATE_LABEL } : {} } });
    this.defaultDenyPolicy(namespace);

    if (eks.predictiveScaling && !bindings.prometheus) {
      throw new Error('ServicesChart: compute.eks.predictiveScaling needs the Prometheus workspace in the bindings');
    }
    if (eks.predictiveScaling) prometheusAuthentication(this, 'PrometheusAuthentication', NAMESPACE).node.addDependency(namespace);
    for (const pod of eks.services) this.service(pod, eks, bindings);
    this.scraperAccess();
  }

  private defaultDenyPolicy(namespace: kplus.Namespace): void {
    const policy = new kplus.k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny-ingress', namespace: NAMESPACE },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    policy.node.addDependency(namespace);
  }

  private service(pod: PodServiceSpec, eks: EksSpec, bindings: ChartBindings): void {
    const name = pod.name;
    const Id = constructId(name);
    const labels = labelsOf(name);
    const serviceUrls = calledBy(name)
      .map((target) => `${target}=${serviceUrl(target)}`)
      .join(',');

    const environment = { ...bindings.environment, ...shutdownEnvironment(), ...(serviceUrls ? { SERVICE_URLS: serviceUrls } : {}), SECRETS_DIR };
    const config = new kplus.ConfigMap(this, `${Id}Config`, {
      metadata: { name: `${name}-config`, labels, namespace: NAMESPACE },
      data: environment,
    });
    const account = new kplus.ServiceAccount(this, `${Id}Account`, {
      metadata: { name, labels, namespace: NAMESPACE },
      automountToken: false,
    });

    const { init, secrets, tmp } = secretsInit(this, Id, bindings);
    const deployment = new kplus.Deployment(this, `${Id}Deployment`, {
      metadata: { name, labels, namespace: NAMESPACE, annotations: checkovAnnotations() },
      podMetadata: {
        labels,
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(SERVICE_PORT),
          'prometheus.io/path': METRICS_PATH,
          // The pods read the ConfigMap only at start: a new hash is a new pod template, so a
          // configuration change rolls them like a new image does.
          [CONFIG_HASH_ANNOTATION]: stableHash(environment, bindings.describe),
        },
      },
      serviceAccount: account,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: RUN_AS, group: RUN_AS, fsGroup: RUN_AS },
      // The preStop sleep, then the process's own bounded stop (lib/compute/shutdown.ts).
      terminationGracePeriod: Duration.seconds(TERMINATION_GRACE_SECONDS),
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      minReady: Duration.seconds(10),
      progressDeadline: Duration.minutes(10),
      initContainers: [init],
      volumes: [secrets, tmp],
      containers: [
        {
          name,
          image: bindings.image,
          imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
          args: [`services/${name}.mjs`],
          portNumber: SERVICE_PORT,
          envFrom: [kplus.Env.fromConfigMap(config)],
          securityContext: containerSecurity,
          resources: {
            cpu: { request: kplus.Cpu.millis(pod.cpuMillis), limit: kplus.Cpu.millis(pod.cpuMillis * 2) },
            memory: { request: Size.mebibytes(pod.memoryMiB), limit: Size.mebibytes(pod.memoryMiB) },
          },
          startup: kplus.Probe.fromHttpGet(HEALTH_PATH, { port: SERVICE_PORT, periodSeconds: Duration.seconds(2), failureThreshold: 30 }),
          liveness: kplus.Probe.fromHttpGet(HEALTH_PATH, { port: SERVICE_PORT, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
          readiness: kplus.Probe.fromHttpGet(READY_PATH, { port: SERVICE_PORT, periodSeconds: Duration.seconds(5), failureThreshold: 2 }),
          volumeMounts: [
            { path: SECRETS_DIR, volume: secrets, readOnly: true },
            { path: '/tmp', volume: tmp },
          ],
        },
      ],
    });
    harden(deployment, '/spec/template/spec', 1);
    if (eks.spot?.services.includes(name)) placeOnSpot(deployment);
    // Keep serving until the load balancer and kube-proxy have let the pod go; only then SIGTERM.
    // The kubelet's own sleep: no shell or binary needed in the image.
    ApiObject.of(deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/lifecycle', { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } }));
    // Spread evenly over zones and nodes without capping replicas at the zone count (which
    // kplus's spread, a required anti-affinity, would do).
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels } },
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels } },
      ]),
    );

    new kplus.Service(this, `${Id}Service`, {
      metadata: { name, labels, namespace: NAMESPACE },
      selector: deployment,
      ports: [{ name: 'http', port: CLUSTER_SERVICE_PORT, targetPort: SERVICE_PORT }],
    });

    // A ScaledObject creates (and owns) the service's HPA, with CPU as one of its triggers: a
    // second HPA on the same Deployment would fight it.
    if (eks.predictiveScaling && bindings.prometheus) {
      scaledObject(this, `${Id}ScaledObject`, { pod, spec: eks.predictiveScaling, prometheus: bindings.prometheus, namespace: NAMESPACE, labels }).node.addDependency(deployment);
      // kplus leaves replicas out only for its own HPA: a fixed count would reset the scale on every apply.
      ApiObject.of(deployment).addJsonPatch(JsonPatch.remove('/spec/replicas'));
    } else {
      new kplus.HorizontalPodAutoscaler(this, `${Id}Autoscaler`, {
        metadata: { name, labels, namespace: NAMESPACE },
        target: deployment,
        minReplicas: pod.minReplicas,
        maxReplicas: pod.maxReplicas,
        metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(pod.targetCpuPercent))],
      });
    }

    new kplus.k8s.KubePodDisruptionBudget(this, `${Id}Budget`, {
      metadata: { name, labels, namespace: NAMESPACE },
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
    });

    const callers = SERVICE_ROUTES[name].callers;
    const servicePort = [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(SERVICE_PORT) }];
    // The load balancer (when pods are its targets) and the scraper, by the subnets their network
    // interfaces are in; never the whole VPC, whose CIDR holds every pod.
    const sources = [...new Set([...(bindings.loadBalancer ? bindings.trafficSources.loadBalancer : []), ...bindings.trafficSources.scraper])];
    new kplus.k8s.KubeNetworkPolicy(this, `${Id}Ingress`, {
      metadata: { name, labels, namespace: NAMESPACE },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress'],
        ingress: [
          ...(callers.length ? [{ from: callers.map((caller) => ({ podSelector: { matchLabels: labelsOf(caller) } })), ports: servicePort }] : []),
          ...(sources.length ? [{ from: sources.map((cidr) => ({ ipBlock: { cidr } })), ports: servicePort }] : []),
        ],
      },
    });

    const targetGroupArn = bindings.loadBalancer?.targetGroupArns[name];
    if (bindings.loadBalancer && targetGroupArn) {
      new ApiObject(this, `${Id}TargetGroupBinding`, {
        apiVersion: 'elbv2.k8s.aws/v1beta1',
        kind: 'TargetGroupBinding',
        metadata: { name, labels, namespace: NAMESPACE },
        spec: {
          serviceRef: { name, port: CLUSTER_SERVICE_PORT },
          targetGroupARN: targetGroupArn,
          targetType: 'ip',
          networking: {
            ingress: [
              {
                from: [{ securityGroup: { groupID: bindings.loadBalancer.securityGroupId } }],
                ports: [{ protocol: 'TCP', port: SERVICE_PORT }],
              },
            ],
          },
        },
      });
    }
  }

  /** Read access for the Amazon Managed Prometheus scraper (mapped to {@link SCRAPER_USER}). */
  private scraperAccess(): void {
    new kplus.k8s.KubeClusterRole(this, 'ScraperRole', {
      metadata: { name: 'aps-collector-role' },
      rules: [
        { apiGroups: [''], resources: ['nodes', 'nodes/proxy', 'nodes/metrics', 'services', 'endpoints', 'pods', 'configmaps'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { nonResourceUrLs: ['/metrics'], verbs: ['get'] },
      ],
    });
    new kplus.k8s.KubeClusterRoleBinding(this, 'ScraperBinding', {
      metadata: { name: 'aps-collector-user-role-binding' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'aps-collector-role' },
      subjects: [{ kind: 'User', name: SCRAPER_USER, apiGroup: 'rbac.authorization.k8s.io' }],
    });
  }
}

/** Hex digits of a Job's spec hash in its name. */
const JOB_HASH_LENGTH = 10;

/** A Job's name: its role and the hash of its spec. */
function jobName(base: string, hash: string): string {
  return `${base}-${hash}`;
}

/** Order shards of a phase (1: orders are not sharded). */
function orderShards(spec: PhaseSpec): number {
  return spec.postgres.instances.filter((i) => i.role === 'orders').length;
}

/**
 * Migration targets, one Job each: each database role the schema tool knows, and the
 * order-activity collection where the phase has a DocumentDB elastic cluster to hold it.
 */
function migrationRoles(spec: PhaseSpec): string[] {
  return ['orders', 'inventory', 'users', ...(orderShards(spec) > 1 ? ['order-shard'] : []), ...(spec.documentDb.elasticCluster ? ['order-activity'] : [])];
}

/**
 * How long the re-shard Job may run: moving every bucket of a grown phase takes far longer than a
 * schema migration, and a Job stopped at its deadline is not started again until the next deploy.
 */
export const RESHARD_DEADLINE = Duration.hours(12);

/**
 * One-off work, apart from the services so that a Job's immutable spec never blocks a service
 * update: a Job that creates or grows every Kafka topic to the phase's partition count, a schema
 * Job per database role (users, inventory, orders, and every order shard when sharded) and for the
 * order-activity collection (with an elastic cluster), and, when orders are sharded, a Job that
 * moves buckets to the phase's shard count (services/tools/reshard.ts, idempotent by target).
 *
 * A Job's pod template cannot be changed, so a Job's name carries a hash of its whole spec (image,
 * arguments, configuration): a deploy that changes anything creates a new Job, which runs the
 * (idempotent) tool again, and the chart's prune (`kubectl apply --prune`) deletes the old one;
 * a deploy that changes nothing re-applies the same Job, a no-op. Finished Jobs are deleted after
 * ten minutes; re-applying one after that runs it once more, harmlessly.
 */
export class JobsChart extends Chart {
  constructor(scope: Construct, id: string, spec: PhaseSpec, bindings: ChartBindings) {
    super(scope, id, { labels: { 'app.kubernetes.io/part-of': 'order-platform' } });
    const partitions = Math.max(...spec.streaming.topics.map((t) => t.partitions));

    const environment = { ...bindings.environment, SECRETS_DIR, KAFKA_TOPIC_PARTITIONS: String(partitions) };
    const config = new kplus.ConfigMap(this, 'JobsConfig', {
      metadata: { name: 'jobs-config', namespace: NAMESPACE },
      data: environment,
    });
    const configHash = stableHash(environment, bindings.describe);
    const topicsAccount = new kplus.ServiceAccount(this, 'TopicsAccount', { metadata: { name: JOB_ACCOUNTS.topics, namespace: NAMESPACE }, automountToken: false });
    const migrationsAccount = new kplus.ServiceAccount(this, 'MigrationsAccount', { metadata: { name: JOB_ACCOUNTS.migrations, namespace: NAMESPACE }, automountToken: false });

    this.job('ProvisionTopics', 'provision-topics', ['services/provision-topics.mjs'], topicsAccount, config, configHash, bindings, { 'orders.platform/partitions': String(partitions) });
    for (const role of migrationRoles(spec)) {
      this.job(`Migrate${constructId(role)}`, `migrate-${role}`, ['services/migrate.mjs', role], migrationsAccount, config, configHash, bindings, {});
    }
    // Buckets move to the shards the phase has (b mod N): nothing to do when they are already
    // there, the new shards filled online when the phase added some. Started with the schema
    // Jobs, it waits for the new shards' schema; a run that fails is retried by the Job.
    const shards = orderShards(spec);
    const spotJobs: readonly SpotJob[] = spec.compute.eks?.spot?.jobs ?? [];
    if (shards > 1) {
      this.job('Reshard', 'reshard', ['services/reshard.mjs', '--to', String(shards), '--wait-seconds', '900'], migrationsAccount, config, configHash, bindings, { 'orders.platform/order-shards': String(shards) }, RESHARD_DEADLINE, spotJobs.includes('reshard'));
    }
  }

  private job(
    id: string,
    name: string,
    args: string[],
    account: kplus.ServiceAccount,
    config: kplus.ConfigMap,
    configHash: string,
    bindings: ChartBindings,
    annotations: Record<string, string>,
    deadline: Duration = Duration.minutes(30),
    spot = false,
  ): void {
    const { init, secrets, tmp } = secretsInit(this, id, bindings);
    const job = new kplus.Job(this, id, {
      metadata: { name, labels: labelsOf(name), annotations: { ...annotations, ...checkovAnnotations() }, namespace: NAMESPACE },
      podMetadata: { labels: labelsOf(name), annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
      serviceAccount: account,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: RUN_AS, group: RUN_AS, fsGroup: RUN_AS },
      backoffLimit: 6,
      activeDeadline: deadline,
      ttlAfterFinished: Duration.minutes(10),
      initContainers: [init],
      volumes: [secrets, tmp],
      containers: [
        {
          name,
          image: bindings.image,
          imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
          args,
          envFrom: [kplus.Env.fromConfigMap(config)],
          securityContext: containerSecurity,
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
          },
          volumeMounts: [
            { path: SECRETS_DIR, volume: secrets, readOnly: true },
            { path: '/tmp', volume: tmp },
          ],
        },
      ],
    });
    harden(job, '/spec/template/spec', 1);
    if (spot) placeOnSpot(job);
    // Named by the hash of everything else in it (labels and selectors keep the plain name).
    const api = ApiObject.of(job);
    const manifest = api.toJson() as { metadata: Record<string, unknown> };
    const hash = stableHash({ ...manifest, metadata: { ...manifest.metadata, name: undefined } }, bindings.describe, JOB_HASH_LENGTH);
    api.addJsonPatch(JsonPatch.replace('/metadata/name', jobName(name, hash)));
    new kplus.k8s.KubeNetworkPolicy(this, `${id}Ingress`, {
      metadata: { name, labels: labelsOf(name), namespace: NAMESPACE },
      spec: { podSelector: { matchLabels: labelsOf(name) }, policyTypes: ['Ingress'], ingress: [] },
    });
  }
}
