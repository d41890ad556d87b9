/**
 * Typed errors that cross the API boundary. Every failure a user can see is one of these codes,
 * with a message that names what failed and where (field, file, context, URL).
 */
export const ERROR_CODES = [
  'BAD_INPUT', // input failed validation; `field` names the path
  'UNKNOWN_CHANNEL', // the channel is not in the contract
  'UNAUTHORIZED', // 401: credentials missing or rejected
  'FORBIDDEN', // 403: authenticated but not allowed (RBAC)
  'NOT_FOUND',
  'CONFLICT', // 409: stale resourceVersion or a concurrent change
  'UNREACHABLE', // DNS, connection refused, network down
  'TLS', // certificate or handshake failure
  'TIMEOUT',
  'CANCELLED',
  'UPSTREAM', // the remote answered with something we could not use (garbage, 5xx)
  'NOT_CONNECTED', // the thing asked about has no live connection
  'INVALID_CONFIG', // kubeconfig, settings or mapping is malformed
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
  /** Dotted path of the offending input field, when the error is about one. */
  field?: string;
  /** Small, serialisable extra facts (HTTP status, verb, resource...). Never credentials. */
  details?: Record<string, string | number | boolean | null>;
}

export class ApiError extends Error implements ApiErrorShape {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly details?: Record<string, string | number | boolean | null>;

  constructor(code: ErrorCode, message: string, opts: { field?: string; details?: ApiErrorShape['details']; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ApiError';
    this.code = code;
    if (opts.field !== undefined) this.field = opts.field;
    if (opts.details !== undefined) this.details = opts.details;
  }

  toJSON(): ApiErrorShape {
    const out: ApiErrorShape = { code: this.code, message: this.message };
    if (this.field !== undefined) out.field = this.field;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }

  static from(shape: ApiErrorShape): ApiError {
    return new ApiError(shape.code, shape.message, { field: shape.field, details: shape.details });
  }
}

export function isApiErrorShape(v: unknown): v is ApiErrorShape {
  return (
    typeof v === 'object' && v !== null &&
    typeof (v as { code?: unknown }).code === 'string' &&
    (ERROR_CODES as readonly string[]).includes((v as { code: string }).code) &&
    typeof (v as { message?: unknown }).message === 'string'
  );
}

/** What every transport returns for a request: never a thrown exception across the boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };
