import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { transformSync } from 'esbuild';
import { Construct } from 'constructs';
import { checkovSkip } from '../checkov';

/**
 * The name of the edge's origin secret: created in the primary region with the distribution
 * (lib/compute/edge.ts) and replicated to every secondary, whose API reads its own replica.
 */
export const ORIGIN_SECRET_NAME = 'orders-platform/edge-origin-verify';

/** The header CloudFront adds (the authorizer's own copy is in runtime/origin-verify.ts, which imports nothing from here). */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/** How long API Gateway reuses an authorizer answer for the same header value. */
export const AUTHORIZER_CACHE_SECONDS = 300;

/** Lambda inline code is at most 4 KiB. */
const INLINE_CODE_LIMIT = 4096;

/** The authorizer's source, compiled to one CommonJS file: it imports only Node and the runtime's AWS SDK. */
function inlineHandler(): string {
  const file = path.join(__dirname, 'runtime', 'origin-verify.ts');
  const { code } = transformSync(fs.readFileSync(file, 'utf8'), { loader: 'ts', format: 'cjs', platform: 'node', target: 'node24', minify: true });
  if (code.length > INLINE_CODE_LIMIT) throw new Error(`${file}: compiles to ${code.length} bytes, more than Lambda's inline limit of ${INLINE_CODE_LIMIT}`);
  return code;
}

/** Props for {@link OriginVerification}. */
export interface OriginVerificationProps {
  /** The key the function's log group is encrypted with (the region's Logs key). */
  readonly logKey: kms.IKey;
}

/**
 * Lets the API answer only what came through the edge: a Lambda authorizer that compares the
 * X-Origin-Verify header with the origin secret in this region (the primary's secret, or its
 * replica). API Gateway refuses a request without the header before calling the function, and
 * keeps each answer for five minutes per header value, so the function runs a few times an hour.
 */
export class OriginVerification extends Construct {
  readonly authorizer: HttpLambdaAuthorizer;
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: OriginVerificationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'The API origin check: reads the edge origin secret, writes its own logs',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        // The secret's ARN ends in six characters Secrets Manager picks.
        resources: [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${ORIGIN_SECRET_NAME}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    logGroup.grantWrite(role);
    this.function = new lambda.Function(this, 'Function', {
      description: 'Lets through API requests that carry the edge origin secret',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(inlineHandler()),
      memorySize: 256,
      timeout: Duration.seconds(5),
      role,
      logGroup,
      environment: { ORIGIN_SECRET_ID: ORIGIN_SECRET_NAME },
    });
    const reasons: Record<string, string> = {
      CKV_AWS_115: 'API Gateway calls it a few times an hour (answers are cached per header value); a reserved concurrency would only make it fail closed under a burst of distinct values.',
      CKV_AWS_116: 'An authorizer is called synchronously: there is no asynchronous event to send to a dead-letter queue.',
      CKV_AWS_117: 'It reads Secrets Manager and nothing in the VPC; outside the VPC it needs neither a NAT path nor an interface endpoint.',
      CKV_AWS_173: 'Its one variable is the secret\'s name, not the secret.',
      CKV_AWS_272: 'Its code is compiled from this repository at synthesis and inlined into the template, which CloudFormation deploys as reviewed.',
    };
    for (const [check, reason] of Object.entries(reasons)) checkovSkip(this.function, check, reason);

    this.authorizer = new HttpLambdaAuthorizer('OriginVerify', this.function, {
      authorizerName: 'origin-verify',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [`$request.header.${ORIGIN_VERIFY_HEADER}`],
      resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_SECONDS),
    });
  }
}
