import { createHash } from 'crypto';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eksl1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { EksSpec, MirrorMakerSpec, PhaseSpec, ServiceName } from '../../phases';
import { AppEnvironment } from '../compute/app-environment';
import { ServiceBundle } from '../compute/delivery';
import { Gateway } from '../compute/gateway';
import { READY_PATH, SERVICE_PORT } from '../compute/routes';
import { SERVICE_LOG_RETENTION, acknowledgeLogRetentionHandler } from '../constructs/log-retention';
import { SUBNET_GROUPS } from '../constructs/network';
import { Telemetry } from '../monitoring/telemetry';
import { constructId } from '../naming';
import { acknowledgeClusterFindings } from './cluster-findings';
import { addClusterAutoscaler } from './cluster-autoscaler';
import { KEDA, Keda } from './keda';
import { MirrorMakerBindings, MirrorMakerChart } from './mirror-maker-chart';
import { MirrorEnvironments, mirrorMakerIdentity } from './mirror-maker-identity';
import { addNodeGroups, allowImagePulls } from './node-groups';
import { placeholders, readable } from './placeholders';
import { podIdentityRole } from './pod-identity';
import { addPrometheusScraper } from './prometheus-scraper';
import { ChartBindings, JOB_ACCOUNTS, JobsChart, NAMESPACE, ServicesChart } from './services-chart';
import { ON_DEMAND_SELECTOR } from './spot';

/** The cluster's name: one cluster per region. */
export const CLUSTER_NAME = 'orders';

/**
 * metrics-server: the resource metrics API every CPU-based HorizontalPodAutoscaler reads (EKS does
 * not ship it). The Helm chart release of kubernetes-sigs/metrics-server and the image it pins.
 */
export const METRICS_SERVER = { chartVersion: '3.13.0', repository: 'https://kubernetes-sigs.github.io/metrics-server/' } as const;

/** The EKS access policy the admin roles get. */
export const EKS_CLUSTER_ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

/** The AWS Load Balancer Controller, which binds pods to the internal load balancer's target groups. */
const ALB_CONTROLLER_VERSION = eks.AlbControllerVersion.V2_17_1;

/** The controller's image repository. */
const ALB_CONTROLLER_REPOSITORY = 'public.ecr.aws/eks/aws-load-balancer-controller';

/** Props for {@link ServicesCluster}. */
export interface ServicesClusterProps {
  readonly spec: PhaseSpec;
  readonly vpc: ec2.IVpc;
  readonly vpcCidr: string;
  readonly appTier: ec2.ISecurityGroup;
  readonly bundle: ServiceBundle;
  readonly environment: AppEnvironment;
  readonly telemetry: Telemetry;
  /** API Gateway's internal load balancer: when present, pods register in per-service target groups on it. */
  readonly gateway?: Gateway;
  /**
   * In a secondary region: MirrorMaker 2 copies the primary region's topics (`source`, the primary's
   * environment) into this region's Kafka (`target`). The schema and topic Jobs then do not run
   * here: the databases are read-only replicas and the topics come with the mirror.
   */
  readonly mirror?: MirrorEnvironments;
  /** IAM roles given cluster-admin access (EKS access entries); the endpoint stays private. */
  readonly adminRoleArns?: readonly string[];
}

/**
 * Amazon EKS for the services: a private-endpoint cluster with KMS-encrypted secrets and all
 * control-plane logs, managed node groups on Graviton in the private subnets of the three AZs
 * (IMDSv2 only, encrypted gp3 volumes, in the app tier group so that the data stores admit
 * pods), the Cluster Autoscaler, EKS Pod Identity for each service's IAM role, network-policy
 * enforcement in the VPC CNI, the AWS Load Balancer Controller, an Amazon Managed Prometheus
 * scraper, and the services and jobs charts generated from the phase spec.
 */
export class ServicesCluster extends Construct {
  readonly cluster: eks.Cluster;
  /** Per-service IP target groups on the gateway's load balancer (when there is a gateway). */
  readonly targetGroups = new Map<ServiceName, elbv2.ApplicationTargetGroup>();
  readonly nodegroups: readonly eks.Nodegroup[];
  /** What the charts were built from, to render them again for review. */
  private readonly review: { spec: PhaseSpec; bindings: ChartBindings; mirror?: { spec: MirrorMakerSpec; bindings: MirrorMakerBindings } };

  constructor(scope: Construct, id: string, props: ServicesClusterProps) {
    super(scope, id);
    const spec = props.spec.compute.eks as EksSpec;

    const secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'Order platform: Kubernetes secrets envelope encryption',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: CLUSTER_NAME,
      version: eks.KubernetesVersion.of(spec.kubernetesVersion),
      vpc: props.vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      endpointAccess: eks.EndpointAccess.PRIVATE,
      secretsEncryptionKey: secretsKey,
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer') },
      // From ECR Public, so that the template names no AWS account.
      albController: props.gateway ? { version: ALB_CONTROLLER_VERSION, repository: ALB_CONTROLLER_REPOSITORY } : undefined,
    });
    const cluster = this.cluster;
    acknowledgeClusterFindings(cluster);
    // Created on first access: the agent that hands pods their IAM role credentials.
    void cluster.eksPodIdentityAgent;
    new eksl1.CfnAddon(this, 'VpcCni', {
      clusterName: cluster.clusterName,
      addonName: 'vpc-cni',
      resolveConflicts: 'OVERWRITE',
      configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }),
    });

    this.nodegroups = addNodeGroups(this, cluster, spec.nodeGroups, props.appTier);
    addClusterAutoscaler(this, cluster, CLUSTER_NAME);
    // The control-plane log group is EKS's own: its retention is set by name.
    new logs.LogRetention(this, 'ControlPlaneLogRetention', { logGroupName: `/aws/eks/${CLUSTER_NAME}/cluster`, retention: SERVICE_LOG_RETENTION });
    acknowledgeLogRetentionHandler(this);
    for (const arn of props.adminRoleArns ?? []) {
      // The ID comes from the role, so that adding or removing another role never replaces this entry.
      new eksl1.CfnAccessEntry(this, `Admin${createHash('sha256').update(arn).digest('hex').slice(0, 12)}`, {
        clusterName: cluster.clusterName,
        principalArn: arn,
        type: 'STANDARD',
        accessPolicies: [{ policyArn: EKS_CLUSTER_ADMIN_POLICY, accessScope: { type: 'cluster' } }],
      });
    }
    // Without resource metrics every CPU-based HPA stays at <unknown> and never scales.
    cluster.addHelmChart('MetricsServer', {
      chart: 'metrics-server',
      repository: METRICS_SERVER.repository,
      release: 'metrics-server',
      version: METRICS_SERVER.chartVersion,
      namespace: 'kube-system',
      values: {
        replicas: 2,
        podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
        resources: { requests: { cpu: '100m', memory: '200Mi' } },
        containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
      },
    });

    const runtimeRole = (id: string, serviceAccount: string, options: { admin?: boolean }) => {
      const role = podIdentityRole(this, id, { cluster, namespace: NAMESPACE, serviceAccount });
      props.environment.grantRuntime(role, options);
      AppEnvironment.acknowledgeRuntimeGrants(role);
    };
    for (const pod of spec.services) runtimeRole(constructId(pod.name), pod.name, {});
    runtimeRole('KafkaAdmin', JOB_ACCOUNTS.topics, { admin: true });
    runtimeRole('Migrations', JOB_ACCOUNTS.migrations, {});

    if (props.gateway) {
      for (const pod of spec.services) {
        this.targetGroups.set(
          pod.name,
          new elbv2.ApplicationTargetGroup(this, `${constructId(pod.name)}Targets`, {
            vpc: props.vpc,
            port: SERVICE_PORT,
            protocol: elbv2.ApplicationProtocol.HTTP,
            targetType: elbv2.TargetType.IP,
            deregistrationDelay: Duration.seconds(30),
            healthCheck: { path: READY_PATH, interval: Duration.seconds(10), timeout: Duration.seconds(5), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
          }),
        );
      }
      cluster.clusterSecurityGroup.addIngressRule(
        ec2.Peer.securityGroupId(props.gateway.securityGroup.securityGroupId),
        ec2.Port.tcp(SERVICE_PORT),
        'Internal load balancer to pods',
      );
      props.gateway.securityGroup.addEgressRule(ec2.Peer.securityGroupId(cluster.clusterSecurityGroupId), ec2.Port.tcp(SERVICE_PORT), 'To pods');
    }

    const scraperSecurityGroup = addPrometheusScraper(this, {
      cluster,
      clusterName: CLUSTER_NAME,
      vpc: props.vpc,
      workspace: props.telemetry.workspace,
      namespaces: spec.predictiveScaling ? [NAMESPACE, KEDA.namespace] : [NAMESPACE],
    });
    const keda = spec.predictiveScaling
      ? new Keda(this, 'Keda', {
          cluster,
          workspace: props.telemetry.workspace,
          scraperSecurityGroup,
          nodeSelector: ON_DEMAND_SELECTOR,
        })
      : undefined;

    const image = props.bundle.image;
    allowImagePulls(this.nodegroups, image.repository);
    const stack = Stack.of(this);
    // The internal load balancer (lib/compute/gateway.ts) and the scraper have the ingress subnets
    // to themselves; the pods are in the private subnets, so admitting these admits no pod.
    const ingressCidrs = props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.ingress }).subnets.map((subnet) => subnet.ipv4CidrBlock);
    const bindings: ChartBindings = {
      image: image.imageUri,
      environment: props.environment.variables(),
      secretArns: props.environment.secretArns,
      vpcCidr: props.vpcCidr,
      trafficSources: { loadBalancer: ingressCidrs, scraper: ingressCidrs },
      describe: (value) => placeholders(stack, value),
      prometheus: keda
        ? {
            serverAddress: `https://aps-workspaces.${stack.region}.${stack.urlSuffix}/workspaces/${props.telemetry.workspace.attrWorkspaceId}`,
            region: stack.region,
          }
        : undefined,
      loadBalancer: props.gateway
        ? {
            securityGroupId: props.gateway.securityGroup.securityGroupId,
            targetGroupArns: Object.fromEntries([...this.targetGroups].map(([name, tg]) => [name, tg.targetGroupArn])),
          }
        : undefined,
    };
    const servicesManifest = cluster.addCdk8sChart('Services', new ServicesChart(new cdk8s.App(), 'Services', props.spec, bindings), { prune: true });
    const mirror = props.mirror ? mirrorMakerIdentity(this, cluster, this.nodegroups, props.spec, props.mirror) : undefined;
    if (mirror) {
      cluster.addCdk8sChart('MirrorMaker', new MirrorMakerChart(new cdk8s.App(), 'MirrorMaker', mirror.spec, mirror.bindings), { prune: true }).node.addDependency(servicesManifest);
    } else {
      const jobsManifest = cluster.addCdk8sChart('Jobs', new JobsChart(new cdk8s.App(), 'Jobs', props.spec, bindings), { prune: true });
      jobsManifest.node.addDependency(servicesManifest);
    }
    if (cluster.albController) servicesManifest.node.addDependency(cluster.albController);
    // The ScaledObjects need KEDA's CRDs and its admission webhook.
    if (keda) servicesManifest.node.addDependency(keda.chart);
    for (const association of this.node.findAll().filter((c) => c instanceof eksl1.CfnPodIdentityAssociation)) {
      servicesManifest.node.addDependency(association);
    }

    this.review = { spec: props.spec, bindings, mirror };
  }

  /**
   * The charts this cluster applies, as YAML for review: deploy-time values written as
   * `<Resource.Attribute>` placeholders. Deterministic; written into the cloud assembly by the
   * app (lib/k8s/review-manifests.ts), never by the construct.
   */
  reviewManifests(): string {
    const stack = Stack.of(this);
    const { spec, bindings, mirror } = this.review;
    const shown = readable(stack, bindings);
    const app = new cdk8s.App();
    new ServicesChart(app, 'Services', spec, shown);
    if (mirror) new MirrorMakerChart(app, 'MirrorMaker', mirror.spec, readable(stack, mirror.bindings));
    else new JobsChart(app, 'Jobs', spec, shown);
    return app.synthYaml();
  }
}
