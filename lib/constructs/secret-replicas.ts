import { ArnFormat, Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { RegionName } from '../../phases';

/**
 * Every secret the services read lives in the primary region and is replicated (Secrets Manager
 * replica secrets, kept in step with every rotation) to each secondary region, whose services
 * read their own region's replica: a secondary keeps reading its credentials, and restarts, while
 * the primary region is lost. A replica is encrypted with its region's AWS-managed Secrets
 * Manager key (a customer key of the secondary region would make the primary depend on it).
 * The services keep the primary's ARNs and read them in SECRETS_REGION (their own region).
 * Each replicated secret carries {@link REPLICATED_FROM_TAG} (tags replicate with the secret), by
 * which a secondary region's roles are allowed to read the replicas.
 */
export function replicateSecrets(secrets: readonly secretsmanager.ISecret[], regions: readonly RegionName[]): void {
  if (regions.length === 0) return;
  for (const secret of secrets) {
    // An attached secret (SecretTargetAttachment) is a child of the secret it attaches.
    const cfn = [secret.node.defaultChild, secret.node.scope?.node.defaultChild].find((c) => c instanceof secretsmanager.CfnSecret);
    if (!(cfn instanceof secretsmanager.CfnSecret)) throw new Error(`replicateSecrets: ${secret.node.path} is not a secret defined here`);
    cfn.replicaRegions = regions.map((region) => ({ region }));
    Tags.of(cfn).add(REPLICATED_FROM_TAG, Stack.of(cfn).stackName);
  }
}

/** The tag on every replicated secret: the stack that defines it. */
export const REPLICATED_FROM_TAG = 'orders-platform:replicated-from';

/** Lets a role read, in its own region, the replicas of the secrets a stack replicates. */
export function readReplicasStatement(scope: Construct, sourceStackName: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resources: [Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    conditions: { StringEquals: { [`secretsmanager:ResourceTag/${REPLICATED_FROM_TAG}`]: sourceStackName } },
  });
}
