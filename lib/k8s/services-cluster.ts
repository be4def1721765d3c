import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Duration, Reference, RemovalPolicy, Stack, Stage, Token, Tokenization, Validations } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as eksl1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { EksSpec, MirrorMakerSpec, PhaseSpec, ServiceName } from '../../phases';
import { AppEnvironment, KAFKA_CLUSTER_NAME } from '../compute/app-environment';
import { ServiceBundle } from '../compute/delivery';
import { serviceId } from '../compute/ec2-services';
import { Gateway } from '../compute/gateway';
import { METRICS_PATH, READY_PATH, SERVICE_PORT } from '../compute/routes';
import { Telemetry } from '../monitoring/telemetry';
import { acknowledge } from '../nag';
import { SERVICE_LOG_RETENTION, acknowledgeLogRetentionHandler } from '../constructs/log-retention';
import { SUBNET_GROUPS } from '../constructs/network';
import { renderMirrorMakerProperties } from '../replication/mirror-maker';
import { KEDA, Keda } from './keda';
import { POD_SCRAPE_JOB } from './predictive-scaling';
import { MIRROR_MAKER_ACCOUNT, MIRROR_MAKER_DIR, MIRROR_MAKER_KAFKA_VERSION, MirrorMakerBindings, MirrorMakerChart } from './mirror-maker-chart';
import { CAPACITY_LABEL, ON_DEMAND_SELECTOR, SPOT_TAINT, capacityValue } from './spot';
import { ChartBindings, JOB_ACCOUNTS, JobsChart, NAMESPACE, SCRAPER_USER, ServicesChart } from './services-chart';

/** The cluster's name: one cluster per region. */
const CLUSTER_NAME = 'orders';

/** Cluster Autoscaler: the Helm chart release and the image matching Kubernetes 1.35. */
const CLUSTER_AUTOSCALER = { chartVersion: '9.54.0', imageTag: 'v1.35.0' } as const;

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

/** Directory (inside the cloud assembly) the Kubernetes manifests are written to for review. */
export const MANIFEST_DIR = 'k8s';

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
  readonly mirror?: { readonly source: AppEnvironment; readonly target: AppEnvironment };
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
  readonly nodegroups: eks.Nodegroup[] = [];
  /** The review manifests, as written to the cloud assembly. */
  readonly reviewYaml: string;

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

    for (const group of spec.nodeGroups) {
      const template = new ec2.LaunchTemplate(this, `${group.id}LaunchTemplate`, {
        requireImdsv2: true,
        httpPutResponseHopLimit: 1,
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            volume: ec2.BlockDeviceVolume.ebs(group.diskGiB, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true, deleteOnTermination: true }),
          },
        ],
      });
      // Giving security groups in a launch template replaces the cluster group EKS would add,
      // so both go in: the cluster group (control plane, nodes) and the app tier (data stores).
      (template.node.defaultChild as ec2.CfnLaunchTemplate).addPropertyOverride('LaunchTemplateData.SecurityGroupIds', [
        cluster.clusterSecurityGroupId,
        props.appTier.securityGroupId,
      ]);
      const nodegroup = cluster.addNodegroupCapacity(group.id, {
        amiType: eks.NodegroupAmiType.AL2023_ARM_64_STANDARD,
        instanceTypes: group.instanceTypes.map((t) => new ec2.InstanceType(t)),
        capacityType: group.capacityType === 'SPOT' ? eks.CapacityType.SPOT : eks.CapacityType.ON_DEMAND,
        minSize: group.minNodes,
        desiredSize: group.desiredNodes,
        maxSize: group.maxNodes,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        launchTemplateSpec: { id: template.launchTemplateId!, version: template.latestVersionNumber },
        labels: { [CAPACITY_LABEL]: capacityValue(group.capacityType) },
        // Only the work the spec places on spot tolerates this (lib/k8s/spot.ts).
        taints: group.capacityType === 'SPOT' ? [{ key: SPOT_TAINT.key, value: SPOT_TAINT.value, effect: eks.TaintEffect.NO_SCHEDULE }] : undefined,
        enableNodeAutoRepair: true,
        // Node updates drain nodes within the PodDisruptionBudgets; a budget that cannot be met fails
        // the update instead of evicting the last ready pods of a service.
        forceUpdate: false,
      });
      for (const policy of ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly']) {
        acknowledge(
          nodegroup,
          `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
          'EKS managed nodes need these AWS-managed policies (kubelet, VPC CNI, image pulls); workloads get their own roles through Pod Identity.',
        );
      }
      this.nodegroups.push(nodegroup);
    }

    this.clusterAutoscaler();
    // The control-plane log group is EKS's own: its retention is set by name.
    new logs.LogRetention(this, 'ControlPlaneLogRetention', { logGroupName: `/aws/eks/${CLUSTER_NAME}/cluster`, retention: SERVICE_LOG_RETENTION });
    acknowledgeLogRetentionHandler(this);
    for (const arn of props.adminRoleArns ?? []) {
      // The ID comes from the role, so that adding or removing another role never replaces this entry.
      new eksl1.CfnAccessEntry(this, `Admin${createHash('sha256').update(arn).digest('hex').slice(0, 12)}`, {
        clusterName: this.cluster.clusterName,
        principalArn: arn,
        type: 'STANDARD',
        accessPolicies: [{ policyArn: EKS_CLUSTER_ADMIN_POLICY, accessScope: { type: 'cluster' } }],
      });
    }
    // Without resource metrics every CPU-based HPA stays at <unknown> and never scales.
    this.cluster.addHelmChart('MetricsServer', {
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

    const roles = new Map<string, iam.Role>();
    for (const pod of spec.services) roles.set(pod.name, this.podRole(serviceId(pod.name), NAMESPACE, pod.name, props.environment, {}));
    roles.set(JOB_ACCOUNTS.topics, this.podRole('KafkaAdmin', NAMESPACE, JOB_ACCOUNTS.topics, props.environment, { admin: true }));
    roles.set(JOB_ACCOUNTS.migrations, this.podRole('Migrations', NAMESPACE, JOB_ACCOUNTS.migrations, props.environment, {}));

    if (props.gateway) {
      for (const pod of spec.services) {
        this.targetGroups.set(
          pod.name,
          new elbv2.ApplicationTargetGroup(this, `${serviceId(pod.name)}Targets`, {
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

    const scraperSecurityGroup = this.scraper(props.telemetry, props.vpc, spec.predictiveScaling ? [NAMESPACE, KEDA.namespace] : [NAMESPACE]);
    const keda = spec.predictiveScaling
      ? new Keda(this, 'Keda', {
          cluster,
          workspace: props.telemetry.workspace,
          scraperSecurityGroup,
          nodeSelector: ON_DEMAND_SELECTOR,
        })
      : undefined;

    const image = props.bundle.image;
    for (const nodegroup of this.nodegroups) {
      image.repository.grantPull(nodegroup.role);
      acknowledge(
        nodegroup.role,
        'IAM5[Resource::*]',
        'ecr:GetAuthorizationToken has no resource ARN; image pulls themselves are limited to the CDK assets repository.',
      );
    }
    // The internal load balancer (lib/compute/gateway.ts) and the scraper (below) have the ingress
    // subnets to themselves; the pods are in the private subnets, so admitting these admits no pod.
    const ingressCidrs = props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.ingress }).subnets.map((subnet) => subnet.ipv4CidrBlock);
    const bindings: ChartBindings = {
      image: image.imageUri,
      environment: props.environment.variables(),
      secretArns: props.environment.secretArns,
      vpcCidr: props.vpcCidr,
      trafficSources: { loadBalancer: ingressCidrs, scraper: ingressCidrs },
      describe: (value) => placeholders(Stack.of(this), value),
      prometheus: keda
        ? {
            serverAddress: `https://aps-workspaces.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/workspaces/${props.telemetry.workspace.attrWorkspaceId}`,
            region: Stack.of(this).region,
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
    const mirror = props.mirror ? this.mirrorMaker(props.spec, props.mirror) : undefined;
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

    this.reviewYaml = this.writeReviewManifests(props.spec, bindings, mirror);
  }

  /**
   * MirrorMaker 2's image, configuration and IAM role: it reads the primary region's cluster
   * (connect, describe, read topics, describe groups) and writes this region's (create, alter and
   * write the mirrored and internal topics, commit translated group offsets).
   */
  private mirrorMaker(spec: PhaseSpec, mirror: NonNullable<ServicesClusterProps['mirror']>): { spec: MirrorMakerSpec; bindings: MirrorMakerBindings } {
    const mm = spec.streaming.mirrorMaker;
    if (!mm) throw new Error('ServicesCluster: a secondary region needs streaming.mirrorMaker in the phase spec');
    const stack = Stack.of(this);
    const sourceRegion = Stack.of(mirror.source).region;
    const image = new ecrAssets.DockerImageAsset(this, 'MirrorMakerImage', {
      directory: MIRROR_MAKER_DIR,
      platform: ecrAssets.Platform.LINUX_ARM64,
      buildArgs: { KAFKA_VERSION: MIRROR_MAKER_KAFKA_VERSION },
    });
    const properties = renderMirrorMakerProperties({
      source: { alias: sourceRegion, bootstrapServers: mirror.source.kafkaBootstrapBrokers, security: { kind: 'msk-iam', region: sourceRegion } },
      target: { alias: stack.region, bootstrapServers: mirror.target.kafkaBootstrapBrokers, security: { kind: 'msk-iam', region: stack.region } },
      topics: spec.streaming.topics.map((t) => t.name),
      groups: ['/.*/'],
      replicationFactor: Math.max(...spec.streaming.topics.map((t) => t.replicationFactor)),
      tasksMax: mm.tasksMax,
    });

    const role = new iam.Role(this, 'MirrorMakerRole', {
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com').withSessionTags(),
      description: `Pod Identity role of ${NAMESPACE}/${MIRROR_MAKER_ACCOUNT}`,
    });
    const kafkaArns = (clusterArn: string, region: string) => {
      const arn = (kind: string) => `arn:${stack.partition}:kafka:${region}:${stack.account}:${kind}/${KAFKA_CLUSTER_NAME}/*`;
      return { cluster: clusterArn, topics: arn('topic'), groups: arn('group') };
    };
    const source = kafkaArns(mirror.source.kafkaClusterArn, sourceRegion);
    const target = kafkaArns(mirror.target.kafkaClusterArn, stack.region);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'], resources: [source.cluster] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:DescribeTopicDynamicConfiguration', 'kafka-cluster:ReadData'], resources: [source.topics] }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kafka-cluster:DescribeGroup'], resources: [source.groups] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
        resources: [target.cluster],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'kafka-cluster:CreateTopic',
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:AlterTopic',
          'kafka-cluster:DescribeTopicDynamicConfiguration',
          'kafka-cluster:AlterTopicDynamicConfiguration',
          'kafka-cluster:ReadData',
          'kafka-cluster:WriteData',
        ],
        resources: [target.topics],
      }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'], resources: [target.groups] }));
    for (const arns of [source, target]) {
      for (const resource of [arns.topics, arns.groups]) {
        acknowledge(
          role,
          `IAM5[Resource::${resource.replace(stack.account, '<AWS::AccountId>')}]`,
          'MirrorMaker copies every domain topic and translates every consumer group of the orders-events clusters; topics are created at run time, so their ARNs carry the cluster UUID only then.',
        );
      }
    }
    new eksl1.CfnPodIdentityAssociation(this, 'MirrorMakerIdentity', {
      clusterName: this.cluster.clusterName,
      namespace: NAMESPACE,
      serviceAccount: MIRROR_MAKER_ACCOUNT,
      roleArn: role.roleArn,
    });
    for (const nodegroup of this.nodegroups) image.repository.grantPull(nodegroup.role);
    const configHash = createHash('sha256').update(placeholders(stack, properties)).digest('hex').slice(0, 16);
    return { spec: mm, bindings: { image: image.imageUri, properties, configHash } };
  }

  /** An IAM role a Kubernetes service account assumes through EKS Pod Identity. */
  private podRole(id: string, namespace: string, serviceAccount: string, environment: AppEnvironment, options: { admin?: boolean }): iam.Role {
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com').withSessionTags(),
      description: `Pod Identity role of ${namespace}/${serviceAccount}`,
    });
    environment.grantRuntime(role, options);
    AppEnvironment.acknowledgeRuntimeGrants(role);
    new eksl1.CfnPodIdentityAssociation(this, `${id}Identity`, {
      clusterName: this.cluster.clusterName,
      namespace,
      serviceAccount,
      roleArn: role.roleArn,
    });
    return role;
  }

  /** The Cluster Autoscaler, discovering the managed node groups by their EKS-applied tags. */
  private clusterAutoscaler(): void {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'ClusterAutoscalerRole', {
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com').withSessionTags(),
      description: 'Pod Identity role of kube-system/cluster-autoscaler',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
          'eks:DescribeNodegroup',
        ],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        resources: ['*'],
        conditions: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${CLUSTER_NAME}`]: 'owned' } },
      }),
    );
    acknowledge(
      role,
      'IAM5[Resource::*]',
      'Describe calls do not support resource scoping; resizing is limited by condition to Auto Scaling groups tagged as owned by this cluster (the tag EKS puts on its managed node groups).',
    );
    new eksl1.CfnPodIdentityAssociation(this, 'ClusterAutoscalerIdentity', {
      clusterName: this.cluster.clusterName,
      namespace: 'kube-system',
      serviceAccount: 'cluster-autoscaler',
      roleArn: role.roleArn,
    });
    this.cluster.addHelmChart('ClusterAutoscaler', {
      chart: 'cluster-autoscaler',
      repository: 'https://kubernetes.github.io/autoscaler',
      release: 'cluster-autoscaler',
      version: CLUSTER_AUTOSCALER.chartVersion,
      namespace: 'kube-system',
      values: {
        cloudProvider: 'aws',
        awsRegion: stack.region,
        autoDiscovery: { clusterName: CLUSTER_NAME },
        image: { tag: CLUSTER_AUTOSCALER.imageTag },
        rbac: { serviceAccount: { create: true, name: 'cluster-autoscaler' } },
        extraArgs: { 'balance-similar-node-groups': true, expander: 'least-waste', 'skip-nodes-with-system-pods': false },
        containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      },
    });
  }

  /** An Amazon Managed Prometheus scraper that reads every annotated pod's /metrics in `namespaces`; returns its security group. */
  private scraper(telemetry: Telemetry, vpc: ec2.IVpc, namespaces: readonly string[]): ec2.SecurityGroup {
    const securityGroup = new ec2.SecurityGroup(this, 'ScraperSecurityGroup', {
      vpc,
      description: 'Amazon Managed Prometheus scraper: to the cluster API and pods',
      allowAllOutbound: true,
    });
    this.cluster.clusterSecurityGroup.addIngressRule(securityGroup, ec2.Port.tcp(SERVICE_PORT), 'Prometheus scraper to pods');
    this.cluster.clusterSecurityGroup.addIngressRule(securityGroup, ec2.Port.tcp(443), 'Prometheus scraper to the API server');
    const scraper = new aps.CfnScraper(this, 'Scraper', {
      alias: 'orders-eks',
      source: {
        eksConfiguration: {
          clusterArn: this.cluster.clusterArn,
          // Not the pods' subnets: the pods' NetworkPolicies admit the scraper by these subnets' CIDRs.
          subnetIds: vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.ingress }).subnetIds,
          securityGroupIds: [securityGroup.securityGroupId],
        },
      },
      destination: { ampConfiguration: { workspaceArn: telemetry.workspace.attrArn } },
      scrapeConfiguration: { configurationBlob: scrapeConfig(namespaces) },
    });
    new eksl1.CfnAccessEntry(this, 'ScraperAccess', {
      clusterName: this.cluster.clusterName,
      principalArn: scraper.attrRoleArn,
      username: SCRAPER_USER,
      type: 'STANDARD',
    });
    return securityGroup;
  }

  /**
   * Writes both charts as YAML into the cloud assembly (`k8s/<stack>.yaml`) for review, with
   * deploy-time values shown as `<Resource.Attribute>` placeholders. Deterministic.
   */
  private writeReviewManifests(spec: PhaseSpec, bindings: ChartBindings, mirror?: { spec: MirrorMakerSpec; bindings: MirrorMakerBindings }): string {
    const stack = Stack.of(this);
    const readableOf = <T>(value: T): T => JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === 'string' ? placeholders(stack, v) : v)) as T;
    const readable = readableOf(bindings);
    const app = new cdk8s.App();
    new ServicesChart(app, 'Services', spec, readable);
    if (mirror) new MirrorMakerChart(app, 'MirrorMaker', mirror.spec, readableOf(mirror.bindings));
    else new JobsChart(app, 'Jobs', spec, readable);
    const yaml = app.synthYaml();
    const outdir = Stage.of(this)?.outdir;
    if (outdir) {
      const dir = path.join(outdir, MANIFEST_DIR);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${stack.stackName}.yaml`), yaml);
    }
    return yaml;
  }
}

/** Acknowledges the findings on the parts aws-eks-v2 builds for the cluster, each for its reason. */
function acknowledgeClusterFindings(cluster: eks.Cluster): void {
  const roleOf = (scope: Construct, childPath: string) => scope.node.findChild(childPath);
  acknowledge(
    roleOf(cluster, 'Role'),
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]',
    'The EKS control plane\'s service role requires this AWS-managed policy; it is assumed only by eks.amazonaws.com.',
  );
  Validations.of(cluster).acknowledge({
    id: 'CloudFormation-Validate::W9009',
    reason: 'aws-eks-v2 still renders EncryptionConfig.Resources (["secrets"]), which EKS accepts; the property is set by the library, not here.',
  });
  const kubectl = cluster.node.findChild('KubectlProvider');
  for (const policy of [
    'service-role/AWSLambdaBasicExecutionRole',
    'service-role/AWSLambdaVPCAccessExecutionRole',
    'AmazonEC2ContainerRegistryReadOnly',
  ]) {
    acknowledge(
      kubectl,
      `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
      'The kubectl provider that applies the manifests at deploy time runs in the VPC (the cluster endpoint is private) with the AWS-managed policies aws-eks-v2 gives it: logs, VPC network interfaces, image pulls.',
    );
  }
  acknowledge(
    kubectl,
    'IAM4[Policy::{"Fn::If":["KubernetesClusterKubectlProviderHandlerHasEcrPublicB617B491",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]',
    'In partitions with ECR Public, the kubectl provider pulls public Helm chart images with this AWS-managed read-only policy.',
  );
  acknowledge(
    kubectl,
    'IAM5[Resource::<KubernetesClusterKubectlProviderHandlerF916491E.Arn>:*]',
    'The custom resource framework invokes every version of its own kubectl handler function, and nothing else.',
  );
  acknowledge(kubectl, 'L1', 'The kubectl handler\'s runtime is fixed by aws-eks-v2 to match the kubectl layer; it is updated with aws-cdk-lib.');
  if (cluster.albController) {
    for (const resource of [
      '*',
      'arn:<AWS::Partition>:ec2:*:*:security-group/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/app/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/net/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:targetgroup/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/app/*/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/net/*/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/app/*/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/net/*/*/*',
    ]) {
      acknowledge(
        cluster.albController,
        `IAM5[Resource::${resource}]`,
        'The AWS Load Balancer Controller\'s published IAM policy: it registers pod IPs in target groups and manages the rules it owns, which are created at run time; mutating statements carry the controller\'s tag conditions.',
      );
    }
  }
}

/** Replaces each token in a string by a readable `<...>` name of what it resolves to. */
function placeholders(stack: Stack, value: string): string {
  if (!Token.isUnresolved(value)) return value;
  const joined: unknown = Tokenization.reverseString(value)
    .mapTokens({ mapToken: (token) => describe(stack.resolve(token), producerOf(stack, token)) })
    .join(new Concatenate());
  return String(joined);
}

/** Joins string fragments in order. */
class Concatenate {
  join(left: unknown, right: unknown): unknown {
    return `${String(left)}${String(right)}`;
  }
}

/** The stack a reference token points into, when it is another stack than `stack`. */
function producerOf(stack: Stack, token: unknown): string | undefined {
  if (!Reference.isReference(token)) return undefined;
  const producer = Stack.of(token.target);
  return producer === stack ? undefined : producer.stackName;
}

function describe(resolved: unknown, producer?: string): string {
  if (typeof resolved === 'string' || typeof resolved === 'number') return String(resolved);
  const r = resolved as Record<string, unknown>;
  const inStack = producer ? `${producer}:` : '';
  if ('Ref' in r) return `<${inStack}${String(r.Ref)}>`;
  if ('Fn::GetAtt' in r) return `<${inStack}${(r['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::GetStackOutput' in r) {
    const o = r['Fn::GetStackOutput'] as { StackName: string; OutputName: string };
    return `<${o.StackName}:${o.OutputName}>`;
  }
  if ('Fn::Join' in r) {
    const [sep, parts] = r['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => describe(part)).join(sep);
  }
  if ('Fn::Sub' in r) return String(r['Fn::Sub']).replace(/\$\{([^}]+)\}/g, '<$1>');
  return '<deploy-time value>';
}

/** Prometheus scrape configuration of the managed scraper: pods in `namespaces` that opt in by annotation. */
export function scrapeConfig(namespaces: readonly string[] = [NAMESPACE]): string {
  return `global:
  scrape_interval: 30s
  external_labels:
    cluster: ${CLUSTER_NAME}
scrape_configs:
  - job_name: ${POD_SCRAPE_JOB}
    kubernetes_sd_configs:
      - role: pod
        namespaces:
          names: [${namespaces.join(', ')}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: "true"
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        action: replace
        target_label: __metrics_path__
        regex: (.+)
        replacement: $1
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        action: replace
        regex: ([^:]+)(?::\\d+)?;(\\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
        target_label: service
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
    metrics_path: ${METRICS_PATH}
`;
}
