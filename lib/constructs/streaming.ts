import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import { StreamingSpec } from '../../phases';
import { DataStoreProps, storeSecurityGroup } from './data-store';
import { SUBNET_GROUPS } from './network';

/** The port MSK serves TLS clients with IAM authentication on. */
export const MSK_IAM_TLS_PORT = 9098;

/** Broker settings that keep events safe: no topic appears by accident, no acknowledged write is lost. */
const SERVER_PROPERTIES = [
  'auto.create.topics.enable=false',
  'default.replication.factor=3',
  'min.insync.replicas=2',
  'unclean.leader.election.enable=false',
  'num.partitions=3',
  'log.retention.hours=168',
].join('\n');

/** Props for {@link Streaming}. */
export interface StreamingProps extends DataStoreProps {
  readonly spec: StreamingSpec;
  /** Key for the broker log group. */
  readonly logKey: kms.IKey;
}

/**
 * An MSK provisioned cluster with brokers in the three isolated subnets from the first phase
 * (client subnets are create-only), TLS between clients and brokers and inside the cluster,
 * IAM authentication, KMS encryption at rest, broker logs and Prometheus exporters.
 */
export class Streaming extends Construct {
  readonly cluster: msk.CfnCluster;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: StreamingProps) {
    super(scope, id);
    const { spec } = props;

    this.securityGroup = storeSecurityGroup(this, {
      vpc: props.vpc,
      clients: props.clients,
      port: MSK_IAM_TLS_PORT,
      description: 'MSK brokers: app tier only, TLS+IAM port only',
      rule: 'App tier to Kafka (TLS, IAM)',
    });

    const configuration = new msk.CfnConfiguration(this, 'Configuration', {
      name: `orders-${props.vpc.stack.region}-kafka`,
      description: 'Order platform broker settings',
      serverProperties: SERVER_PROPERTIES,
    });

    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.cluster = new msk.CfnCluster(this, 'Resource', {
      clusterName: 'orders-events',
      kafkaVersion: spec.kafkaVersion,
      numberOfBrokerNodes: spec.brokersPerRegion,
      brokerNodeGroupInfo: {
        instanceType: spec.brokerType,
        clientSubnets: props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.isolated }).subnetIds,
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: spec.storagePerBrokerGiB } },
        connectivityInfo: { publicAccess: { type: 'DISABLED' } },
      },
      configurationInfo: { arn: configuration.attrArn, revision: 1 },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: props.key.keyArn },
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      clientAuthentication: {
        sasl: { iam: { enabled: true } },
        unauthenticated: { enabled: false },
      },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
      enhancedMonitoring: 'PER_TOPIC_PER_BROKER',
      openMonitoring: { prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } } },
    });
    this.cluster.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
