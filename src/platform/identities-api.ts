/**
 * The Identities API client. This is the only module that knows the API's URLs
 * and what we assumed about it (everything marked x-assumed in the contract):
 * adapting to the real API should be a change to this file alone.
 *
 * Every failure is thrown as a PlatformError (see errors.ts); every 2xx body is
 * checked against its endpoint's schema. The token goes into the Authorization
 * header and nowhere else: not into logs, not into error messages.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { PlatformError, isPlatformError, kindForStatus } from './errors.ts';
import {
  Assistant,
  DecisionResult,
  Domain,
  ErrorDetailBody,
  Identity,
  Page,
  ValidationErrorBody,
  type Decision,
  type IdentityCreate,
  type IdentityUpdate,
  type ValidationIssue,
} from './schemas.ts';

export interface Timeouts {
  /** TCP/TLS connect; applies only to the dispatcher this module creates. */
  connectMs: number;
  /** From sending the request to the end of the response headers. */
  headersMs: number;
  /** Longest pause between two chunks of the response body. */
  bodyMs: number;
}

/** Exponential backoff with jitter; only retryable errors are retried, and only while the deadline allows. */
export interface RetryPolicy {
  /** Including the first attempt: 1 means no retry. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Also the longest Retry-After honoured in-process; a longer one is returned to the caller instead. */
  maxDelayMs: number;
}

export interface ApiLogger {
  debug(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
}

export interface IdentitiesApiOptions {
  baseUrl: string;
  /** Inject for tests (MockAgent) or to share a pool; the client then never closes it. */
  dispatcher?: Dispatcher;
  timeouts?: Partial<Timeouts>;
  retry?: Partial<RetryPolicy>;
  logger?: ApiLogger;
}

export interface CallOptions {
  /** Aborting it ends the call with kind 'timeout' and no retry. */
  signal?: AbortSignal;
  /** Epoch ms: give up (kind 'timeout') rather than start or continue a request past it. */
  deadline?: number;
}

export interface ListOptions extends CallOptions {
  /** Stop after this many items (default 1000); `truncated` says whether more may exist. */
  maxItems?: number;
}

export interface ListResult<T> {
  items: T[];
  truncated: boolean;
}

export interface IdentitiesApi {
  createIdentity(token: string, body: IdentityCreate, opts: CallOptions & { idempotencyKey: string }): Promise<Identity>;
  getIdentity(token: string, identityId: string, opts?: CallOptions): Promise<Identity>;
  /** PATCH: only the fields in `body` change; an approval_channel in it replaces the stored one whole. */
  updateIdentity(token: string, identityId: string, body: IdentityUpdate, opts?: CallOptions & { idempotencyKey?: string }): Promise<Identity>;
  listIdentities(token: string, opts?: ListOptions): Promise<ListResult<Identity>>;
  listDomains(token: string, opts?: ListOptions): Promise<ListResult<Domain>>;
  listAssistants(token: string, opts?: ListOptions): Promise<ListResult<Assistant>>;
  decideApproval(
    token: string,
    approvalId: string,
    decision: Decision,
    opts: CallOptions & { idempotencyKey: string },
  ): Promise<DecisionResult>;
  /** Closes the dispatcher this client created; an injected one is left open. */
  close(): Promise<void>;
}

export const defaultTimeouts: Timeouts = { connectMs: 3_000, headersMs: 10_000, bodyMs: 10_000 };
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 2, baseDelayMs: 250, maxDelayMs: 2_000 };
const DEFAULT_MAX_ITEMS = 1000;
/** The contract's maximum page size. */
const PAGE_SIZE = 100;

/**
 * One path segment. encodeURIComponent leaves '.' alone, and a bare '.' or '..'
 * segment would be resolved away by any URL normaliser on the way.
 */
function segment(value: string): string {
  if (value === '') throw new TypeError('a path id must not be empty');
  const encoded = encodeURIComponent(value);
  return encoded === '.' || encoded === '..' ? encoded.replaceAll('.', '%2E') : encoded;
}

/** The API's URLs (x-assumed except POST /v1/identities). */
const paths = {
  identities: '/v1/identities',
  identity: (identityId: string) => `/v1/identities/${segment(identityId)}`,
  domains: '/v1/domains',
  assistants: '/v1/assistants',
  decision: (approvalId: string) => `/v1/approvals/${segment(approvalId)}/decision`,
};

/** One request as data: what to send and which answers count as success. */
interface Call<T> {
  operation: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** Encoded path and query, relative to the base URL. */
  path: string;
  body?: unknown;
  idempotencyKey?: string;
  okStatuses: readonly number[];
  schema: z.ZodType<T>;
}

/** Abort reason used when the caller's deadline passes mid-request. */
class DeadlineExceeded extends Error {
  constructor() {
    super('deadline exceeded');
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Node's error code; happy-eyeballs connects fail with an AggregateError whose parts carry it. */
function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const code = errorCode(inner);
      if (code !== undefined) return code;
    }
  }
  return undefined;
}

function parseJson(text: string): { value: unknown } | undefined {
  if (text.trim() === '') return undefined;
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** Retry-After is either delay-seconds or an HTTP date. */
function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describeIssues(issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.loc.join('.')}: ${i.msg}`);
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return shown.join('; ');
}

export function createIdentitiesApi(options: IdentitiesApiOptions): IdentitiesApi {
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  const timeouts: Timeouts = { ...defaultTimeouts, ...options.timeouts };
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const logger: ApiLogger = options.logger ?? { debug: () => {}, warn: () => {} };

  // One keep-alive pool for the one origin, unless the caller brought a dispatcher.
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher: Dispatcher =
    options.dispatcher ??
    new Pool(origin, {
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
    });
  let closed = false;

  /** Server-supplied text may echo the token; it never reaches a message. */
  const scrub = (text: string, token: string): string => (token === '' ? text : text.split(token).join('[redacted]'));

  function httpError(call: Call<unknown>, status: number, headers: Record<string, string | string[] | undefined>, text: string, token: string): PlatformError {
    const kind = kindForStatus(status);
    const json = parseJson(text)?.value;
    let detail: string | undefined;
    let issues: ValidationIssue[] | undefined;
    const validation = ValidationErrorBody.safeParse(json);
    if (validation.success) {
      issues = validation.data.detail.map((i) => ({ loc: i.loc, msg: scrub(i.msg, token), type: i.type }));
    } else {
      const plain = ErrorDetailBody.safeParse(json);
      if (plain.success) detail = scrub(plain.data.detail, token);
    }
    if (kind === 'validation') issues ??= [];

    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    const explanation = issues !== undefined && issues.length > 0 ? describeIssues(issues) : detail;
    return new PlatformError({
      kind,
      operation: call.operation,
      status,
      message: `${call.operation}: ${call.method} ${call.path} answered ${status} (${kind})${explanation ? `: ${explanation}` : ''}`,
      ...(detail !== undefined && { detail }),
      ...(issues !== undefined && { issues }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }

  function successBody<T>(call: Call<T>, status: number, text: string): T {
    const json = parseJson(text);
    if (json === undefined) {
      throw new PlatformError({
        kind: 'bad_response',
        operation: call.operation,
        status,
        message: `${call.operation}: ${call.method} ${call.path} answered ${status} without a JSON body`,
      });
    }
    const parsed = call.schema.safeParse(json.value);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      throw new PlatformError({
        kind: 'bad_response',
        operation: call.operation,
        status,
        message: `${call.operation}: ${call.method} ${call.path} answered ${status} with a body that does not match the contract: ${where}`,
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /** A failure with no HTTP response: timeouts, aborts, refused or reset connections. */
  function transportError(call: Call<unknown>, error: unknown, aborted: AbortSignal): PlatformError {
    const where = `${call.method} ${call.path}`;
    if (aborted.aborted) {
      const byDeadline = aborted.reason instanceof DeadlineExceeded;
      return new PlatformError({
        kind: 'timeout',
        operation: call.operation,
        message: `${call.operation}: ${where} ${byDeadline ? 'did not finish before the deadline' : 'was aborted by the caller'}`,
        cause: error,
      });
    }
    const code = errorCode(error) ?? 'unknown error';
    const timedOut = TIMEOUT_CODES.has(code);
    return new PlatformError({
      kind: timedOut ? 'timeout' : 'connection',
      operation: call.operation,
      message: `${call.operation}: ${where} ${timedOut ? 'timed out' : 'could not reach the Identities API'} (${code})`,
      cause: error,
    });
  }

  async function attempt<T>(call: Call<T>, token: string, opts: CallOptions): Promise<T> {
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const remaining = opts.deadline === undefined ? undefined : opts.deadline - Date.now();
    // setTimeout fires at once for delays beyond 2^31-1 ms; such a deadline is as good as none.
    const deadlineTimer =
      remaining !== undefined && remaining < 2 ** 31 - 1
        ? setTimeout(() => controller.abort(new DeadlineExceeded()), Math.max(0, remaining))
        : undefined;

    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;

    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const response = await dispatcher.request({
        origin,
        path: prefix + call.path,
        method: call.method,
        headers,
        body: call.body === undefined ? null : JSON.stringify(call.body),
        signal: controller.signal,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.bodyMs,
      });
      const text = await response.body.text();
      const status = response.statusCode;
      logger.debug(`${call.method} ${call.path} ${status} ${elapsed()}ms`);
      if (call.okStatuses.includes(status)) return successBody(call, status, text);
      throw httpError(call, status, response.headers, text, token);
    } catch (error) {
      if (isPlatformError(error)) throw error;
      const failure = transportError(call, error, controller.signal);
      logger.warn(`${call.method} ${call.path} failed after ${elapsed()}ms: ${failure.kind}`);
      throw failure;
    } finally {
      clearTimeout(deadlineTimer);
      opts.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** How long to wait before the next attempt, or undefined to give up with `error`. */
  function retryDelay(error: PlatformError, attemptNo: number, opts: CallOptions): number | undefined {
    if (!error.retryable || attemptNo >= policy.maxAttempts || opts.signal?.aborted) return undefined;
    // The server wants a longer pause than we wait in-process: let the caller schedule it.
    if (error.retryAfterMs !== undefined && error.retryAfterMs > policy.maxDelayMs) return undefined;
    const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNo - 1));
    const delay = Math.round(Math.max(backoff / 2 + (Math.random() * backoff) / 2, error.retryAfterMs ?? 0));
    if (opts.deadline !== undefined && Date.now() + delay >= opts.deadline) return undefined;
    return delay;
  }

  async function send<T>(call: Call<T>, token: string, opts: CallOptions = {}): Promise<T> {
    const stopped = (why: string, cause?: unknown) =>
      new PlatformError({ kind: 'timeout', operation: call.operation, message: `${call.operation}: ${call.method} ${call.path} ${why}`, cause });
    let lastError: PlatformError | undefined;
    for (let attemptNo = 1; ; attemptNo++) {
      if (closed) throw new PlatformError({ kind: 'connection', operation: call.operation, message: `${call.operation}: the client is closed` });
      if (opts.signal?.aborted) throw lastError ?? stopped('was aborted by the caller before it was sent', opts.signal.reason);
      if (opts.deadline !== undefined && Date.now() >= opts.deadline) throw lastError ?? stopped('was not sent: the deadline had passed');
      try {
        return await attempt(call, token, opts);
      } catch (error) {
        if (!isPlatformError(error)) throw error;
        const delay = retryDelay(error, attemptNo, opts);
        if (delay === undefined) throw error;
        logger.warn(`${call.operation}: ${error.kind}${error.status ? ` ${error.status}` : ''}, attempt ${attemptNo + 1} of ${policy.maxAttempts} in ${delay}ms`);
        try {
          await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : undefined);
        } catch {
          throw error;
        }
        lastError = error;
      }
    }
  }

  async function listAll<T>(operation: string, path: string, item: z.ZodType<T>, token: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    const maxItems = opts.maxItems ?? DEFAULT_MAX_ITEMS;
    if (!Number.isInteger(maxItems) || maxItems < 1) throw new RangeError('maxItems must be a positive integer');
    const schema = Page(item);
    const items: T[] = [];
    const seenCursors = new Set<string>();
    let cursor: string | null = null;
    for (;;) {
      // A smaller page when fewer items are wanted (one identity tells a token's workspace).
      const query = new URLSearchParams({ limit: String(Math.min(PAGE_SIZE, maxItems)) });
      if (cursor !== null) query.set('cursor', cursor);
      const page: Page<T> = await send({ operation, method: 'GET', path: `${path}?${query}`, okStatuses: [200], schema }, token, opts);
      items.push(...page.data);
      if (items.length > maxItems) return { items: items.slice(0, maxItems), truncated: true };
      if (page.next_cursor === null) return { items, truncated: false };
      if (items.length === maxItems) return { items, truncated: true };
      // A cursor that does not move would loop forever.
      if (page.data.length === 0 || seenCursors.has(page.next_cursor)) {
        throw new PlatformError({ kind: 'bad_response', operation, status: 200, message: `${operation}: GET ${path} pagination does not advance` });
      }
      seenCursors.add(page.next_cursor);
      cursor = page.next_cursor;
    }
  }

  function requireKey(key: string): string {
    if (key === '') throw new TypeError('idempotencyKey must not be empty');
    return key;
  }

  return {
    async createIdentity(token, body, opts) {
      const { idempotencyKey, ...callOpts } = opts;
      return send(
        {
          operation: 'createIdentity',
          method: 'POST',
          path: paths.identities,
          body,
          idempotencyKey: requireKey(idempotencyKey),
          // The reference says "Successful Response" without a code; accept both.
          okStatuses: [200, 201],
          schema: Identity,
        },
        token,
        callOpts,
      );
    },

    async getIdentity(token, identityId, opts) {
      return send({ operation: 'getIdentity', method: 'GET', path: paths.identity(identityId), okStatuses: [200], schema: Identity }, token, opts);
    },

    async updateIdentity(token, identityId, body, opts = {}) {
      const { idempotencyKey, ...callOpts } = opts;
      return send(
        {
          operation: 'updateIdentity',
          method: 'PATCH',
          path: paths.identity(identityId),
          body,
          // A PATCH repeats harmlessly; the key only lets a server that keeps keys replay its answer.
          ...(idempotencyKey !== undefined && { idempotencyKey: requireKey(idempotencyKey) }),
          okStatuses: [200],
          schema: Identity,
        },
        token,
        callOpts,
      );
    },

    async listIdentities(token, opts) {
      return listAll('listIdentities', paths.identities, Identity, token, opts);
    },

    async listDomains(token, opts) {
      return listAll('listDomains', paths.domains, Domain, token, opts);
    },

    async listAssistants(token, opts) {
      return listAll('listAssistants', paths.assistants, Assistant, token, opts);
    },

    async decideApproval(token, approvalId, decision, opts) {
      const { idempotencyKey, ...callOpts } = opts;
      return send(
        {
          operation: 'decideApproval',
          method: 'POST',
          path: paths.decision(approvalId),
          body: decision,
          idempotencyKey: requireKey(idempotencyKey),
          okStatuses: [200],
          schema: DecisionResult,
        },
        token,
        callOpts,
      );
    },

    async close() {
      if (closed) return;
      closed = true;
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

/**
 * Which reference a 404 from createIdentity is about. Assumed (x-assumed in the
 * contract): the platform names the missing thing in `detail`, e.g. "Assistant not found".
 */
export function missingReferenceOfCreate(error: PlatformError): 'domain_id' | 'assistant_id' {
  return error.detail !== undefined && /assistant/i.test(error.detail) ? 'assistant_id' : 'domain_id';
}

/**
 * Whether a 409 from decideApproval says our own decision is already recorded (for
 * when an earlier try's answer was lost). Assumed: the detail names the state, as in
 * "Approval already approved".
 */
export function conflictIsSameDecision(error: PlatformError, decision: 'approve' | 'reject'): boolean {
  const state = decision === 'approve' ? 'approved' : 'rejected';
  return error.kind === 'conflict' && error.detail !== undefined && new RegExp(`already ${state}\\b`, 'i').test(error.detail);
}
