import { Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { FleetSpec } from '../../phases';
import { acknowledge } from '../nag';
import { AppEnvironment } from './app-environment';
import { ServiceBundle } from './delivery';
import { FleetPredictiveScaling } from './predictive-scaling';
import { Telemetry } from '../monitoring/telemetry';
import { READY_PATH, SERVICE_PORT } from './routes';
import { SHUTDOWN } from './shutdown';
import { BEFORE_START, renderAppServerScript } from './user-data';

/** Props for {@link AppFleet}. */
export interface AppFleetProps {
  readonly vpc: ec2.IVpc;
  readonly fleet: FleetSpec;
  /** The bundle entry point this fleet runs (`monolith` or a service name). */
  readonly entry: string;
  readonly bundle: ServiceBundle;
  readonly environment: AppEnvironment;
  /** Process-specific environment (SERVICE_URLS, HOST, ...), added to the shared one. */
  readonly variables: Readonly<Record<string, string>>;
  /** The app tier group: the only group the data stores admit. */
  readonly appTier: ec2.ISecurityGroup;
  /** Where the Prometheus agent writes. */
  readonly telemetry: Telemetry;
  /** nginx.conf when Nginx fronts the process on port 80. */
  readonly nginxConfig?: string;
}

/**
 * An Auto Scaling group of app servers across the private subnets of every AZ: Amazon Linux
 * 2023 on Graviton, IMDSv2 only, KMS-encrypted gp3 root volumes, no SSH (Session Manager
 * only), the bundle from S3 under systemd, a target-tracking CPU policy (and a predictive one
 * where the spec asks), load balancer health checks, and rolling updates that wait for each new
 * server to pass its readiness check.
 */
export class AppFleet extends Construct {
  readonly group: autoscaling.AutoScalingGroup;
  readonly role: iam.Role;
  /** The port the load balancer sends traffic to: 80 with Nginx, the service port without. */
  readonly trafficPort: number;
  /** The fleet's own group (beside the app tier); load balancers are let in through it. */
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: AppFleetProps) {
    super(scope, id);
    const { fleet } = props;
    const region = Stack.of(this).region;
    this.trafficPort = props.nginxConfig ? 80 : SERVICE_PORT;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `App servers running ${props.entry}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    // Exactly the bundle's object: a bucket-wide read grant would reach every asset of the account.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.bundle.archive.bucket.arnForObjects(props.bundle.archive.s3ObjectKey)],
      }),
    );
    // Every server grows the topics before it starts (BEFORE_START), so it may create and alter them.
    props.environment.grantRuntime(this.role, { admin: true });
    props.telemetry.grantRemoteWrite(this.role);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `App servers running ${props.entry}: traffic port from the load balancers only`,
      allowAllOutbound: false,
    });
    const userData = ec2.UserData.forLinux();
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      instanceType: new ec2.InstanceType(fleet.instanceType),
      role: this.role,
      userData,
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(fleet.rootVolumeGiB, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true, deleteOnTermination: true }),
        },
      ],
    });

    // The app tier group goes on the instances but not into the group's connections: load
    // balancers open the fleet's own group, never the network stack's app tier group.
    (launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).addPropertyOverride('LaunchTemplateData.SecurityGroupIds', [
      this.securityGroup.securityGroupId,
      props.appTier.securityGroupId,
    ]);

    this.group = new autoscaling.AutoScalingGroup(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: fleet.minInstances,
      maxCapacity: fleet.maxInstances,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(5),
      }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: fleet.minInstances,
        pauseTime: Duration.minutes(10),
        waitOnResourceSignals: true,
      }),
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: Duration.minutes(10) }),
      groupMetrics: [autoscaling.GroupMetrics.all()],
      defaultInstanceWarmup: Duration.minutes(2),
      capacityRebalance: false,
    });
    userData.addSignalOnExitCommand(this.group);
    userData.addCommands(
      renderAppServerScript({
        entry: props.entry,
        bundleUrl: props.bundle.archive.s3ObjectUrl,
        environment: props.environment.variables({}, props.variables),
        secretArns: props.environment.secretArns,
        nginxConfig: props.nginxConfig,
        remoteWriteUrl: props.telemetry.remoteWriteUrl,
        region,
        labels: { service: props.entry, fleet: id, region },
        port: SERVICE_PORT,
        beforeStart: BEFORE_START,
      }),
    );
    this.group.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: fleet.targetCpuPercent });
    if (fleet.predictiveScaling) {
      new FleetPredictiveScaling(this, 'PredictiveScaling', { group: this.group, spec: fleet.predictiveScaling, targetCpuPercent: fleet.targetCpuPercent });
    }

    acknowledge(
      this.role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'Session Manager replaces SSH: the servers have no key pair and no inbound admin port; this AWS-managed policy is the documented minimum for the SSM agent.',
    );
    AppEnvironment.acknowledgeRuntimeGrants(this.role);
    acknowledge(
      this.group,
      'AS3',
      'Scaling activity is watched through the group metrics and the monitoring stack\'s alarms on healthy hosts, which notify the SNS topic; per-instance launch notifications would only add noise.',
    );
  }

  /**
   * A target group over this fleet with the readiness path as its health check; registering the
   * group opens the fleet's own security group to the load balancer on the traffic port.
   */
  targetGroup(id: string, loadBalancer: elbv2.IApplicationLoadBalancer): elbv2.ApplicationTargetGroup {
    return new elbv2.ApplicationTargetGroup(this, id, {
      vpc: loadBalancer.vpc,
      port: this.trafficPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      targets: [this.group],
      // The Auto Scaling group deregisters a server it terminates and waits out this delay before
      // shutting it down: requests in flight finish, and the load balancer sends it no new ones.
      deregistrationDelay: Duration.seconds(SHUTDOWN.deregistrationDelaySeconds),
      healthCheck: {
        path: READY_PATH,
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
        healthyHttpCodes: '200',
      },
    });
  }

}
