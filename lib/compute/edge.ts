import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EdgeSpec } from '../../phases';
import { checkovSkip } from '../checkov';
import { acknowledge } from '../nag';
import { ACCESS_LOG_DAYS } from './access-logs';

/** Props for {@link Edge}. */
export interface EdgeProps {
  readonly spec: EdgeSpec;
  /** The public API the edge sits in front of. */
  readonly api: apigw.IHttpApi;
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

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const { spec } = props;

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

    const origin = new origins.HttpOrigin(Fn.select(2, Fn.split('/', props.api.apiEndpoint)), {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
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
      comment: `Order platform API edge (${Stack.of(this).region})`,
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
    const defaultCertificate =
      'The distribution answers on its *.cloudfront.net name, whose default certificate\'s security policy AWS fixes at TLSv1; a custom name with a TLS 1.2 policy needs a certificate in us-east-1, which the shop domain does not yet provide here.';
    acknowledge(this.distribution, 'CFR4', defaultCertificate);
    checkovSkip(this.distribution, 'CKV_AWS_174', defaultCertificate);
    checkovSkip(this.distribution, 'CKV_AWS_305', 'An API, not a website: there is no root object to serve.');
  }
}
