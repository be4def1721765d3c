/** Why a check could not run. */
export interface CallFailure {
  readonly kind: 'credentials' | 'throttled' | 'denied' | 'aws';
  /** One line: what happened, and what to do. */
  readonly message: string;
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'RequestThrottled', 'TooManyRequestsException', 'SlowDown']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthFailure', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException']);

/** Sorts an error thrown by an SDK call into why the check could not run. */
export function classifyFailure(error: unknown): CallFailure {
  const e = error as { name?: string; message?: string; $metadata?: { attempts?: number }; $retryable?: { throttling?: boolean } };
  const name = e?.name ?? 'Error';
  const text = e?.message ?? String(error);
  if (name === 'CredentialsProviderError' || /credential/i.test(name) || /Could not load credentials/i.test(text)) {
    return {
      kind: 'credentials',
      message: `no AWS credentials: ${text} (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is available)`,
    };
  }
  if (THROTTLING.has(name) || e?.$retryable?.throttling === true) {
    const attempts = e?.$metadata?.attempts;
    return { kind: 'throttled', message: `throttled by AWS (${name})${attempts ? ` after ${attempts} attempts` : ''}: run again later, or with fewer regions at once` };
  }
  if (DENIED.has(name)) return { kind: 'denied', message: `${name}: ${text} (the caller needs read access: ec2:Describe*, servicequotas:Get*, rds:Describe*)` };
  return { kind: 'aws', message: `${name}: ${text}` };
}
