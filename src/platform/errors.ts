import type { ValidationIssue } from './schemas.ts';

/** What went wrong with a call to the Identities API; callers switch on this, never on messages. */
export type PlatformErrorKind =
  | 'unauthorized' // 401: token missing, unknown or revoked
  | 'forbidden' // 403: token valid but not allowed
  | 'not_found' // 404
  | 'conflict' // 409: e.g. address taken, approval already decided
  | 'validation' // 422: FastAPI `detail[]`, see `issues`
  | 'rate_limited' // 429, see `retryAfterMs`
  | 'server' // 5xx
  | 'client' // any other 4xx
  | 'timeout' // connect/headers/body timeout, deadline passed, or the caller aborted
  | 'connection' // refused, reset, DNS: no response at all
  | 'bad_response'; // a response we cannot use: 2xx failing its schema, non-JSON, unexpected status

/** Kinds where the same request may succeed later. */
const RETRYABLE: ReadonlySet<PlatformErrorKind> = new Set(['rate_limited', 'server', 'timeout', 'connection']);

export interface PlatformErrorInit {
  kind: PlatformErrorKind;
  /** The client method, e.g. 'createIdentity'. */
  operation: string;
  /** Must not contain the API token; the client builds it from method, path, status and detail only. */
  message: string;
  status?: number;
  detail?: string;
  issues?: ValidationIssue[];
  retryAfterMs?: number;
  cause?: unknown;
}

export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  readonly kind: PlatformErrorKind;
  readonly operation: string;
  readonly status?: number;
  /** The server's `{"detail": "…"}` text. */
  readonly detail?: string;
  /** 422 only: the FastAPI issues with `loc` exactly as sent, e.g. ['body', 'local_part']. */
  readonly issues?: ValidationIssue[];
  /** From Retry-After (seconds or HTTP date), when the server sent one. */
  readonly retryAfterMs?: number;
  readonly retryable: boolean;

  constructor(init: PlatformErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.operation = init.operation;
    if (init.status !== undefined) this.status = init.status;
    if (init.detail !== undefined) this.detail = init.detail;
    if (init.issues !== undefined) this.issues = init.issues;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    this.retryable = RETRYABLE.has(init.kind);
  }
}

export function isPlatformError(value: unknown): value is PlatformError {
  return value instanceof PlatformError;
}

/** The kind for an HTTP status that is not a success. */
export function kindForStatus(status: number): PlatformErrorKind {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 422:
      return 'validation';
    case 429:
      return 'rate_limited';
  }
  if (status >= 500) return 'server';
  if (status >= 400) return 'client';
  // 1xx/3xx (undici follows no redirects) or a 2xx the endpoint does not document.
  return 'bad_response';
}
