/**
 * The API's origin check, run by API Gateway as a Lambda authorizer (simple responses): a request
 * is let through only when its X-Origin-Verify header holds the edge's secret, which CloudFront
 * adds to every request it forwards. The secret's current and previous versions both pass, so a
 * rotation never refuses requests that CloudFront signed a moment before.
 *
 * Bundled at synthesis into the function's inline code (lib/compute/origin-verification.ts): it
 * may import only Node's own modules and the AWS SDK that the Lambda runtime provides.
 */
import { timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The header CloudFront adds and the authorizer reads (API Gateway lower-cases header names). */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/** How long the accepted values are kept between Secrets Manager reads. */
export const SECRET_MAX_AGE_MS = 60_000;

/** What API Gateway passes to a simple-response HTTP API authorizer (the part read here). */
export interface AuthorizerEvent {
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

/** Reads the secret's versions that pass: AWSCURRENT, and AWSPREVIOUS when there is one. */
export type SecretReader = () => Promise<string[]>;

/** Whether `given` equals one of `accepted`, in time that does not depend on where they differ. */
export function matches(given: string, accepted: readonly string[]): boolean {
  const g = Buffer.from(given);
  let found = false;
  for (const value of accepted) {
    const v = Buffer.from(value);
    if (v.length === g.length && timingSafeEqual(v, g)) found = true;
  }
  return found;
}

/**
 * The handler over a reader. Values are reused for {@link SECRET_MAX_AGE_MS}; a value that does not
 * match makes the next call read again at once (a rotation just happened), at most once a second.
 * When Secrets Manager cannot be read and nothing was read before, every request is refused.
 */
export function originVerifier(read: SecretReader, now: () => number = Date.now): (event: AuthorizerEvent) => Promise<{ isAuthorized: boolean }> {
  let cached: { values: string[]; at: number } | undefined;
  const values = async (fresh: boolean): Promise<string[]> => {
    const age = cached ? now() - cached.at : Infinity;
    if (cached && age < SECRET_MAX_AGE_MS && !(fresh && age >= 1_000)) return cached.values;
    try {
      cached = { values: await read(), at: now() };
    } catch (error) {
      if (!cached) throw error;
    }
    return cached.values;
  };
  return async (event) => {
    const given = event.headers?.[ORIGIN_VERIFY_HEADER];
    if (!given) return { isAuthorized: false };
    if (matches(given, await values(false))) return { isAuthorized: true };
    return { isAuthorized: matches(given, await values(true)) };
  };
}

/** The secret's current and previous versions, from Secrets Manager in this function's region. */
export function secretsManagerReader(secretId: string, client = new SecretsManagerClient({})): SecretReader {
  return async () => {
    const current = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (current.SecretString === undefined) throw new Error(`secret ${secretId}: has no secret string`);
    const previous = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' })).then(
      (out) => out.SecretString,
      // A secret never rotated has no AWSPREVIOUS version.
      (error: { name?: string }) => {
        if (error.name === 'ResourceNotFoundException') return undefined;
        throw error;
      },
    );
    return previous === undefined ? [current.SecretString] : [current.SecretString, previous];
  };
}

let handle: ((event: AuthorizerEvent) => Promise<{ isAuthorized: boolean }>) | undefined;

/** The Lambda entry point: the secret is named by ORIGIN_SECRET_ID. */
export async function handler(event: AuthorizerEvent): Promise<{ isAuthorized: boolean }> {
  const secretId = process.env.ORIGIN_SECRET_ID;
  if (!secretId) throw new Error('ORIGIN_SECRET_ID is not set');
  handle ??= originVerifier(secretsManagerReader(secretId));
  return handle(event);
}
