/**
 * The error catalogue: every error a service returns, with its code, HTTP status and message.
 *
 * Responses have the shape `{ "error": { "code", "message", "field"? } }`.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, message: 'The request is invalid.' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be application/json.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, message: 'The Idempotency-Key header is required.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was used with a different request.' },
  NOT_FOUND: { status: 404, message: 'The resource does not exist.' },
  URI_TOO_LONG: { status: 414, message: 'The URL is too long.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed.' },
  UNKNOWN_PRODUCT: { status: 422, message: 'A product in the order does not exist.' },
  OUT_OF_STOCK: { status: 409, message: 'Not enough stock for a product in the order.' },
  PAYMENT_DECLINED: { status: 402, message: 'The payment was declined.' },
  CONFLICT: { status: 409, message: 'The resource already exists.' },
  DEPENDENCY_UNAVAILABLE: { status: 503, message: 'A service this request depends on is unavailable.' },
  NOT_READY: { status: 503, message: 'The service is not ready.' },
  WRITES_AT_HOME_ONLY: { status: 503, message: 'This region does not take writes now; retry with the same Idempotency-Key: DNS sends you to a region that does.' },
  HOME_REGION_UNAVAILABLE: { status: 503, message: 'The primary region, where writes are made, cannot be reached; retry with the same Idempotency-Key.' },
  FORWARDING_LOOP: { status: 508, message: 'A request forwarded by a secondary region reached another secondary region: REGION_ROLE or HOME_API_URL is misconfigured.' },
  INTERNAL: { status: 500, message: 'Internal error.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** An error from the catalogue; the HTTP layer turns it into the JSON body. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message ?? ERRORS[code].message);
    this.name = 'AppError';
    this.status = ERRORS[code].status;
  }

  toBody(): { error: { code: ErrorCode; message: string; field?: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}), ...(this.details ?? {}) } };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
