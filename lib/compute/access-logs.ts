import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { checkovSkip } from '../checkov';
import { acknowledge } from '../nag';

/** Days load balancer access logs are kept. */
export const ACCESS_LOG_DAYS = 90;

/**
 * The bucket load balancers write access logs to: S3-managed encryption (the only kind ELB log
 * delivery supports), TLS only, no public access, expiring after {@link ACCESS_LOG_DAYS} days.
 */
export class AccessLogBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [{ expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    checkovSkip(this.bucket, 'CKV_AWS_18', 'This bucket holds access logs itself; logging its own access would recurse, and reads of it are recorded by CloudTrail data events.');
    checkovSkip(this.bucket, 'CKV_AWS_21', 'Access logs are written once and expire after 90 days; versions would only keep logs the lifecycle rule deletes.');
    acknowledge(
      this.bucket,
      'S1',
      'This bucket holds access logs itself; logging its own access would recurse, and reads of it are recorded by CloudTrail data events.',
    );
  }
}
