import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EdgeSpec, RegionName } from '../../phases';
import { checkovSkip } from '../checkov';
import { replicateSecrets } from '../constructs/secret-replicas';
import { acknowledge } from '../nag';
import { ACCESS_LOG_DAYS } from './access-logs';
import { ORIGIN_SECRET_NAME, ORIGIN_VERIFY_HEADER } from './origin-verification';

/** CloudFront takes a custom name's certificate from this region only. */
const CLOUDFRONT_CERTIFICATE_REGION: RegionName = 'us-east-1';

/** Props for {@link Edge}. */
export interface EdgeProps {
  readonly spec: EdgeSpec;
  /**
   * The host the edge forwards to over HTTPS: `origin.api.<domain>` (routed by Route 53 to a
   * healthy region) when the shop's domain is given, else this region's API endpoint.
   */
  readonly originHost: string;
  /** The name users call (`api.<domain>`) and its certificate (in us-east-1), when the shop's domain is given. */
  readonly publicName?: { readonly name: string; readonly certificate: acm.ICertificate };
  /** The secondary regions: the origin secret is replicated to each, whose API checks its own copy. */
  readonly secondaryRegions: readonly RegionName[];
}

/** Paths whose answers the edge may keep, as the services' Cache-Control allows (services/shared/http-caching.ts). */
export const EDGE_CACHED_PATHS = ['/products', '/products/*'] as const;

/**
 * A CloudFront distribution in front of the public API. Catalogue paths use a cache policy that
 * honours the origin's `Cache-Control` (no default TTL: an answer without one is not kept) and
 * keys on the query string only; every other path (checkout, orders, users, payments) is never
 * cached and gets every viewer header but Host. The API's answers carry `private, no-store` there
 * too, so a misrouted path is still not kept. Standard access logs go to a bucket of their own.
 */
export class Edge extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly logBucket: s3.Bucket;
  /** The header value the distribution adds to every request it forwards, when the spec protects the origin. */
  readonly originSecret?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const { spec } = props;
    const region = Stack.of(this).region;
    if (props.publicName && region !== CLOUDFRONT_CERTIFICATE_REGION) {
      throw new Error(`Edge: the distribution's name ${props.publicName.name} needs a certificate in ${CLOUDFRONT_CERTIFICATE_REGION}, and the edge is built with the primary region, ${region}`);
    }

    // CloudFront's standard logs are delivered with an ACL: this bucket keeps object ACLs on.
    this.logBucket = new s3.Bucket(this, 'Logs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logsReason = 'This bucket holds the edge\'s access logs itself; logging its own access would recurse, and reads of it are recorded by CloudTrail data events.';
    checkovSkip(this.logBucket, 'CKV_AWS_18', logsReason);
    checkovSkip(this.logBucket, 'CKV_AWS_21', 'Access logs are written once and expire after 90 days; versions would only keep logs the lifecycle rule deletes.');
    acknowledge(this.logBucket, 'S1', logsReason);

    const cachePolicy = new cloudfront.CachePolicy(this, 'CataloguePolicy', {
      comment: 'Catalogue reads: kept as long as the API\'s Cache-Control says, keyed by path and query string',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(spec.maxTtlSeconds),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    if (spec.originProtection) {
      this.originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
        secretName: ORIGIN_SECRET_NAME,
        description: 'The header value the edge adds to every request it forwards; the API answers nothing else',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      replicateSecrets([this.originSecret], props.secondaryRegions);
      const rotation = 'Not rotated yet: CloudFormation reads the value into the distribution only when the reference changes, so a rotation needs a versioned reference (README: "Origin protection"); the APIs already accept the current and the previous value.';
      acknowledge(this.originSecret, 'SMG4', rotation);
      checkovSkip(this.originSecret, 'CKV2_AWS_57', rotation);
      checkovSkip(this.originSecret, 'CKV_AWS_149', 'The AWS-managed key: its replicas use each region\'s own, and a header value needs no key policy of its own.');
    }
    const origin = new origins.HttpOrigin(props.originHost, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      // A dynamic reference: CloudFormation reads the secret when it writes the distribution.
      customHeaders: this.originSecret ? { [ORIGIN_VERIFY_HEADER]: this.originSecret.secretValue.unsafeUnwrap() } : undefined,
    });
    const uncached: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
    const catalogue: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      // Catalogue writes (PUT /products/:id) pass through uncached: methods are not part of the path.
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      compress: true,
    };
    this.distribution = new cloudfront.Distribution(this, 'Resource', {
      comment: `Order platform API edge (${region})`,
      ...(props.publicName
        ? { domainNames: [props.publicName.name], certificate: props.publicName.certificate, minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 }
        : {}),
      priceClass: cloudfront.PriceClass[spec.priceClass.replace('PriceClass_', 'PRICE_CLASS_').toUpperCase() as keyof typeof cloudfront.PriceClass],
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'edge/',
      defaultBehavior: uncached,
      additionalBehaviors: Object.fromEntries(EDGE_CACHED_PATHS.map((p) => [p, catalogue])),
    });
    const noWaf = 'The API behind the edge is throttled per stage (compute.gateway) and public by design; a web ACL for CloudFront must live in us-east-1 and is left to the account\'s security baseline.';
    acknowledge(this.distribution, 'CFR2', noWaf);
    checkovSkip(this.distribution, 'CKV_AWS_68', noWaf);
    const noGeo = 'The order platform sells wherever its customers are; the API has no country restriction to enforce.';
    acknowledge(this.distribution, 'CFR1', noGeo);
    checkovSkip(this.distribution, 'CKV_AWS_374', noGeo);
    checkovSkip(this.distribution, 'CKV_AWS_310', 'The origin is the region\'s API Gateway; failing over between regions is Route 53\'s job (lib/dns), not an origin group\'s.');
    if (!props.publicName) {
      const defaultCertificate =
        'Without the shop\'s domain (-c domainName=) the distribution answers on its *.cloudfront.net name, whose default certificate\'s security policy AWS fixes at TLSv1; with it, api.<domain> gets TLSv1.2_2021.';
      acknowledge(this.distribution, 'CFR4', defaultCertificate);
      checkovSkip(this.distribution, 'CKV_AWS_174', defaultCertificate);
    }
    checkovSkip(this.distribution, 'CKV_AWS_305', 'An API, not a website: there is no root object to serve.');
  }
}
