import { createHash } from 'crypto';
import { Stack } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MirrorMakerSpec, PhaseSpec } from '../../phases';
import { AppEnvironment, KAFKA_CLUSTER_NAME } from '../compute/app-environment';
import { acknowledge } from '../nag';
import { renderMirrorMakerProperties } from '../replication/mirror-maker';
import { MIRROR_MAKER_ACCOUNT, MIRROR_MAKER_DIR, MIRROR_MAKER_KAFKA_VERSION, MirrorMakerBindings } from './mirror-maker-chart';
import { placeholders } from './placeholders';
import { podIdentityRole } from './pod-identity';
import { NAMESPACE } from './services-chart';

/** Where MirrorMaker 2 copies from and to: the primary region's environment and this region's. */
export interface MirrorEnvironments {
  readonly source: AppEnvironment;
  readonly target: AppEnvironment;
}

/**
 * MirrorMaker 2's image (`MirrorMakerImage` in `scope`), configuration and Pod Identity role
 * (`MirrorMakerRole`, `MirrorMakerIdentity`): it reads the primary region's cluster (connect,
 * describe, read topics, describe groups) and writes this region's (create, alter and write the
 * mirrored and internal topics, commit translated group offsets). Returns what the chart takes.
 */
export function mirrorMakerIdentity(
  scope: Construct,
  cluster: eks.Cluster,
  nodegroups: readonly eks.Nodegroup[],
  spec: PhaseSpec,
  mirror: MirrorEnvironments,
): { spec: MirrorMakerSpec; bindings: MirrorMakerBindings } {
  const mm = spec.streaming.mirrorMaker;
  if (!mm) throw new Error('ServicesCluster: a secondary region needs streaming.mirrorMaker in the phase spec');
  const stack = Stack.of(scope);
  const sourceRegion = Stack.of(mirror.source).region;
  const image = new ecrAssets.DockerImageAsset(scope, 'MirrorMakerImage', {
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

  const role = podIdentityRole(scope, 'MirrorMaker', { cluster, namespace: NAMESPACE, serviceAccount: MIRROR_MAKER_ACCOUNT });
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
  for (const nodegroup of nodegroups) image.repository.grantPull(nodegroup.role);
  const configHash = createHash('sha256').update(placeholders(stack, properties)).digest('hex').slice(0, 16);
  return { spec: mm, bindings: { image: image.imageUri, properties, configHash } };
}
