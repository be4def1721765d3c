import { DocDBClient } from '@aws-sdk/client-docdb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';

/** The AWS clients the preflight calls in one region. */
export interface PreflightClients {
  readonly ec2: EC2Client;
  readonly quotas: ServiceQuotasClient;
  readonly rds: RDSClient;
  readonly docdb: DocDBClient;
}

/** How the preflight's clients retry. */
export interface RetryOptions {
  /**
   * Attempts per call, the first included, in the SDK's standard retry mode (exponential backoff
   * with jitter; throttling errors are retried).
   * @default 5
   */
  readonly maxAttempts?: number;
}

/** Attempts per call when none are given. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Clients for one region with the SDK's standard credential chain (environment, shared config and
 * SSO, container and instance roles) and endpoint settings (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_EC2`, ... or the same keys in the shared config).
 */
export function sdkClients(region: string, options: RetryOptions = {}): PreflightClients {
  const config = { region, maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, retryMode: 'standard' };
  return { ec2: new EC2Client(config), quotas: new ServiceQuotasClient(config), rds: new RDSClient(config), docdb: new DocDBClient(config) };
}
