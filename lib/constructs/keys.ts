import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** The data stores that each get their own customer-managed key. */
export const KEY_PURPOSES = ['Postgres', 'DocumentDb', 'Cache', 'Streaming', 'Logs'] as const;

/** What a key protects. */
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/**
 * Customer-managed KMS keys of one region, one per data store, rotated yearly and retained
 * when the stack is deleted. A key is create-only for every store it encrypts, so each exists
 * from the first phase on.
 */
export class DataKeys extends Construct {
  private readonly keys = new Map<KeyPurpose, kms.Key>();

  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const purpose of KEY_PURPOSES) {
      this.keys.set(
        purpose,
        new kms.Key(this, purpose, {
          description: `Order platform: ${purpose} data at rest`,
          enableKeyRotation: true,
          rotationPeriod: Duration.days(365),
          removalPolicy: RemovalPolicy.RETAIN,
          pendingWindow: Duration.days(30),
        }),
      );
    }
    // CloudWatch Logs encrypts log groups with the Logs key on the service's behalf.
    this.key('Logs').grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${Stack.of(this).region}.amazonaws.com`));
  }

  /** The key for one purpose. */
  key(purpose: KeyPurpose): kms.Key {
    const key = this.keys.get(purpose);
    if (!key) throw new Error(`No data key for ${purpose}`);
    return key;
  }
}
