/**
 * A local Identities API for tests, built from shared/contracts/identities-api.yaml.
 *
 * It validates like the published reference (FastAPI/pydantic 422 bodies), adds the
 * rules a real server would plausibly apply, records every request, and injects
 * latency and failures. Real HTTP on 127.0.0.1, so the client under test runs its
 * real undici code path.
 *
 * Behaviour worth knowing:
 * - Injected faults (`failNext`) answer before the handler runs: nothing is created.
 * - Latency is applied after the handler ran and before the response is written, so a
 *   client that times out has still caused the create, as with a real server.
 * - `setDown(true)` destroys the socket of every request without answering (a crashed
 *   backend behind a TCP proxy); the request is still recorded. Use
 *   `failNext('*', { status: 503 }, n)` for "up but failing".
 * - Idempotency-Key is scoped to the workspace. Only successful responses are stored;
 *   the same key with the same method, path and body replays the stored response (header
 *   `idempotent-replayed: true`) and changes nothing. The same key with a different
 *   request is 422 on loc ["header", "idempotency-key"] (type "idempotency_key_mismatch"),
 *   following the IETF Idempotency-Key draft, in FastAPI's shape so the client maps it
 *   as validation without a field of the form to blame.
 * - email_address is `local_part@domain` in lower case; local_part is stored lower-cased.
 * - approval_channel, when sent (POST or PATCH), has its known keys checked (types and
 *   ranges from the contract, and required_approvals never above the approvers it names);
 *   other keys and other `type`s pass, as other front ends write them.
 * - PATCH takes only the contract's fields (any other key is 422 `extra_forbidden`, so
 *   a client that tries to change domain_id or local_part hears about it), changes only
 *   what it was sent, and replaces approval_channel whole.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Assistant, Domain, Identity } from '../../src/platform/schemas.ts';

export type FakeRoute =
  | 'POST /v1/identities'
  | 'GET /v1/identities'
  | 'GET /v1/identities/{identity_id}'
  | 'PATCH /v1/identities/{identity_id}'
  | 'GET /v1/domains'
  | 'GET /v1/assistants'
  | 'POST /v1/approvals/{approval_id}/decision';

/** A route, or '*' for every request. */
export type RouteSelector = FakeRoute | '*';

export type Fault =
  /** Answer with this status; body defaults to `{"detail": "<status text>"}`, a string body is sent as text/plain. */
  | { status: number; body?: unknown; retryAfter?: number | string }
  /** Destroy the socket without answering. */
  | { drop: true };

export interface RecordedRequest {
  method: string;
  /** As received, still percent-encoded, without the query. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** Parsed JSON; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** Epoch ms when the request arrived. */
  at: number;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface RecordedDecision {
  approvalId: string;
  /** The request body as received. */
  decision: unknown;
  status: 'approved' | 'rejected';
  idempotencyKey: string | undefined;
  at: number;
}

export interface AddWorkspaceInput {
  token: string;
  /** Reuse an id to give one workspace several tokens. */
  workspaceId?: string;
  domains?: { id?: string; name: string; status: string }[];
  assistants?: { id?: string; name: string }[];
}

export interface AddedWorkspace {
  workspaceId: string;
  domains: Domain[];
  assistants: Assistant[];
}

export interface FakeIdentitiesApi {
  /** Base URL, e.g. http://127.0.0.1:54321 */
  readonly url: string;
  /** Every request received, in order (including dropped and failed ones). */
  readonly requests: readonly RecordedRequest[];
  requestsTo(method: string, pathPrefix: string): RecordedRequest[];

  addWorkspace(input: AddWorkspaceInput): AddedWorkspace;
  addApproval(input: { approvalId: string; workspaceToken: string; status?: ApprovalStatus }): void;
  revokeToken(token: string): void;

  /** Identities that exist: of the token's workspace, or of all workspaces. */
  identities(workspaceToken?: string): Identity[];
  decisions(approvalId?: string): RecordedDecision[];
  approvalStatus(approvalId: string): ApprovalStatus | undefined;

  setLatency(route: RouteSelector, ms: number): void;
  failNext(route: RouteSelector, fault: Fault, times?: number): void;
  setDown(down: boolean): void;

  /** Forget all state, recordings and injections. */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// pydantic-shaped validation

interface Issue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const LOCAL_PART = /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/i;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads fields of one object, collecting issues the way pydantic does (all of them, in field order). */
class Fields {
  constructor(
    readonly source: Json,
    private readonly at: (string | number)[],
    readonly issues: Issue[],
  ) {}

  private issue(key: string, type: string, msg: string, input: unknown, ctx?: Record<string, unknown>): undefined {
    this.issues.push({ type, loc: [...this.at, key], msg, input, ...(ctx && { ctx }) });
    return undefined;
  }

  /** undefined when absent (or an issue when required), null when null and allowed. */
  private value(key: string, required: boolean, nullable: boolean): { value: unknown } | null | undefined {
    if (!(key in this.source)) {
      if (required) this.issue(key, 'missing', 'Field required', this.source);
      return undefined;
    }
    const value = this.source[key];
    if (value === null && nullable) return null;
    return { value };
  }

  string(key: string, opts: { required?: boolean; nullable?: boolean; min?: number; max?: number; pattern?: RegExp } = {}): string | null | undefined {
    const got = this.value(key, opts.required ?? false, opts.nullable ?? false);
    if (!got) return got;
    const v = got.value;
    if (typeof v !== 'string') return this.issue(key, 'string_type', 'Input should be a valid string', v);
    if (opts.min !== undefined && v.length < opts.min) {
      return this.issue(key, 'string_too_short', `String should have at least ${opts.min} character${opts.min === 1 ? '' : 's'}`, v, { min_length: opts.min });
    }
    if (opts.max !== undefined && v.length > opts.max) {
      return this.issue(key, 'string_too_long', `String should have at most ${opts.max} characters`, v, { max_length: opts.max });
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      return this.issue(key, 'string_pattern_mismatch', `String should match pattern '${opts.pattern.source}'`, v, { pattern: opts.pattern.source });
    }
    return v;
  }

  uuid(key: string, opts: { required?: boolean; nullable?: boolean } = {}): string | null | undefined {
    const got = this.value(key, opts.required ?? false, opts.nullable ?? false);
    if (!got) return got;
    return checkUuid(got.value, [...this.at, key], this.issues);
  }

  int(key: string, opts: { required?: boolean; nullable?: boolean; ge?: number; le?: number } = {}): number | null | undefined {
    const got = this.value(key, opts.required ?? false, opts.nullable ?? false);
    if (!got) return got;
    const v = got.value;
    const n = parseInteger(v, [...this.at, key], this.issues);
    if (n === undefined) return undefined;
    if (opts.ge !== undefined && n < opts.ge) {
      return this.issue(key, 'greater_than_equal', `Input should be greater than or equal to ${opts.ge}`, v, { ge: opts.ge });
    }
    if (opts.le !== undefined && n > opts.le) {
      return this.issue(key, 'less_than_equal', `Input should be less than or equal to ${opts.le}`, v, { le: opts.le });
    }
    return n;
  }

  email(key: string, opts: { nullable?: boolean } = {}): string | null | undefined {
    const v = this.string(key, opts);
    if (typeof v !== 'string') return v;
    if (!v.includes('@')) return this.issue(key, 'value_error', 'value is not a valid email address: An email address must have an @-sign.', v);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) return this.issue(key, 'value_error', 'value is not a valid email address: The email address is not valid.', v);
    return v;
  }

  stringList(key: string): string[] | undefined {
    const got = this.value(key, false, false);
    if (!got) return undefined;
    const v = got.value;
    if (!Array.isArray(v)) return this.issue(key, 'list_type', 'Input should be a valid list', v);
    const before = this.issues.length;
    v.forEach((item, index) => {
      if (typeof item !== 'string') this.issues.push({ type: 'string_type', loc: [...this.at, key, index], msg: 'Input should be a valid string', input: item });
    });
    return this.issues.length === before ? (v as string[]) : undefined;
  }

  /** Keys of the source that are not in `known`, as pydantic's extra='forbid' reports them. */
  forbidExtra(known: readonly string[]): void {
    for (const key of Object.keys(this.source)) {
      if (!known.includes(key)) this.issue(key, 'extra_forbidden', 'Extra inputs are not permitted', this.source[key]);
    }
  }

  dict(key: string, opts: { nullable?: boolean; model?: string } = {}): Json | null | undefined {
    const got = this.value(key, false, opts.nullable ?? false);
    if (!got) return got;
    if (isObject(got.value)) return got.value;
    return opts.model
      ? this.issue(key, 'model_type', `Input should be a valid dictionary or instance of ${opts.model}`, got.value)
      : this.issue(key, 'dict_type', 'Input should be a valid dictionary', got.value);
  }

  literal<T extends string>(key: string, choices: readonly T[], opts: { required?: boolean; type?: 'enum' | 'literal_error' } = {}): T | undefined {
    const got = this.value(key, opts.required ?? false, false);
    if (!got) return undefined;
    const match = choices.find((c) => c === got.value);
    if (match !== undefined) return match;
    const expected = choices.map((c) => `'${c}'`).join(choices.length === 2 ? ' or ' : ', ');
    return this.issue(key, opts.type ?? 'literal_error', `Input should be ${expected}`, got.value, { expected });
  }

  nested(key: string, model: string, opts: { required?: boolean; nullable?: boolean } = {}): Fields | null | undefined {
    if (opts.required && !(key in this.source)) {
      this.issue(key, 'missing', 'Field required', this.source);
      return undefined;
    }
    const dict = this.dict(key, { nullable: opts.nullable ?? false, model });
    return dict ? new Fields(dict, [...this.at, key], this.issues) : dict;
  }
}

function checkUuid(value: unknown, loc: (string | number)[], issues: Issue[]): string | undefined {
  if (typeof value !== 'string') {
    issues.push({ type: 'uuid_type', loc, msg: 'UUID input should be a string, bytes or UUID object', input: value });
    return undefined;
  }
  if (UUID.test(value)) return value.toLowerCase();
  const bad = [...value].findIndex((c) => !/[0-9a-fA-F-]/.test(c));
  const why =
    bad >= 0
      ? `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${value[bad]}\` at ${bad + 1}`
      : `invalid length: expected length 32 for simple format, found ${value.replaceAll('-', '').length}`;
  issues.push({ type: 'uuid_parsing', loc, msg: `Input should be a valid UUID, ${why}`, input: value, ctx: { error: why } });
  return undefined;
}

/** pydantic's lax int: integers, integral floats and digit strings. */
function parseInteger(value: unknown, loc: (string | number)[], issues: Issue[]): number | undefined {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value;
    issues.push({ type: 'int_from_float', loc, msg: 'Input should be a valid integer, got a number with a fractional part', input: value });
    return undefined;
  }
  if (typeof value === 'string') {
    if (/^\s*[+-]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
    issues.push({ type: 'int_parsing', loc, msg: 'Input should be a valid integer, unable to parse string as an integer', input: value });
    return undefined;
  }
  issues.push({ type: 'int_type', loc, msg: 'Input should be a valid integer', input: value });
  return undefined;
}

/** The contract's ApprovalChannel: known keys checked, other keys kept. */
function checkApprovalChannel(f: Fields): Json | undefined {
  const channel = f.nested('approval_channel', 'ApprovalChannel');
  if (!channel) return undefined;
  const before = f.issues.length;
  channel.string('type');
  channel.string('team_id');
  channel.string('enterprise_id', { nullable: true });
  channel.string('channel_id');
  channel.string('channel_name', { nullable: true });
  const approvers = channel.stringList('approver_user_ids');
  const required = channel.int('required_approvals', { ge: 1, le: 5 });
  channel.int('remind_after_minutes', { nullable: true, ge: 1 });
  channel.stringList('escalation_user_ids');
  channel.int('undo_seconds', { ge: 0, le: 300 });
  if (typeof required === 'number' && required > 1 && required > (approvers?.length ?? 0)) {
    f.issues.push({
      type: 'value_error',
      loc: ['body', 'approval_channel', 'required_approvals'],
      msg: 'Value error, required_approvals must not exceed the number of approver_user_ids',
      input: required,
    });
  }
  return f.issues.length === before ? channel.source : undefined;
}

const invalid = (issues: Issue[]): Reply => ({ status: 422, body: { detail: issues } });
const detail = (status: number, text: string): Reply => ({ status, body: { detail: text } });

/** Key order must not make two equal bodies look different. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type ParsedBody = { kind: 'empty' } | { kind: 'json'; value: unknown } | { kind: 'invalid'; text: string; position: number };

function parseBody(raw: string): ParsedBody {
  if (raw === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(raw) };
  } catch (error) {
    const position = error instanceof Error ? Number(/position (\d+)/.exec(error.message)?.[1] ?? 0) : 0;
    return { kind: 'invalid', text: raw, position };
  }
}

/** FastAPI's answers for a body that is not a JSON object, or undefined when it is one. */
function bodyProblem(body: ParsedBody): Reply | undefined {
  if (body.kind === 'empty') return invalid([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
  if (body.kind === 'invalid') {
    return invalid([{ type: 'json_invalid', loc: ['body', body.position], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }]);
  }
  if (!isObject(body.value)) {
    return invalid([{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body.value }]);
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// the server

interface Workspace {
  id: string;
  domains: Domain[];
  assistants: Assistant[];
  identities: Identity[];
}

interface Approval {
  id: string;
  workspaceId: string;
  status: ApprovalStatus;
}

interface Matched {
  route: FakeRoute;
  param?: string;
}

/** Routes by raw, still-encoded segments, so an encoded '/' stays inside its segment. */
function match(method: string, path: string): Matched | Reply {
  const parts = path.split('/').slice(1);
  const decode = (s: string): string | undefined => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined;
    }
  };
  const notFound: Reply = detail(404, 'Not Found');
  const only = (allowed: string, m: Matched): Matched | Reply => (method === allowed ? m : detail(405, 'Method Not Allowed'));

  if (parts[0] !== 'v1') return notFound;
  const [, collection, id, tail, ...rest] = parts;
  if (rest.length > 0) return notFound;
  if (collection === 'identities' && id === undefined) {
    if (method === 'GET') return { route: 'GET /v1/identities' };
    if (method === 'POST') return { route: 'POST /v1/identities' };
    return detail(405, 'Method Not Allowed');
  }
  if (collection === 'identities' && id !== undefined && id !== '' && tail === undefined) {
    const param = decode(id);
    if (param === undefined) return notFound;
    if (method === 'GET') return { route: 'GET /v1/identities/{identity_id}', param };
    if (method === 'PATCH') return { route: 'PATCH /v1/identities/{identity_id}', param };
    return detail(405, 'Method Not Allowed');
  }
  if (collection === 'domains' && id === undefined) return only('GET', { route: 'GET /v1/domains' });
  if (collection === 'assistants' && id === undefined) return only('GET', { route: 'GET /v1/assistants' });
  if (collection === 'approvals' && id !== undefined && id !== '' && tail === 'decision') {
    const param = decode(id);
    return param === undefined ? notFound : only('POST', { route: 'POST /v1/approvals/{approval_id}/decision', param });
  }
  return notFound;
}

function isReply(value: Matched | Reply): value is Reply {
  return 'status' in value;
}

export async function startFakeIdentitiesApi(): Promise<FakeIdentitiesApi> {
  const workspaces = new Map<string, Workspace>();
  const tokens = new Map<string, string>(); // token → workspace id
  const revoked = new Set<string>();
  const approvals = new Map<string, Approval>();
  const decisions: RecordedDecision[] = [];
  const idempotency = new Map<string, { fingerprint: string; reply: Reply }>();
  const requests: RecordedRequest[] = [];
  const latency = new Map<RouteSelector, number>();
  const faults = new Map<RouteSelector, Fault[]>();
  let down = false;
  const sleeping = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  function sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          sleeping.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      sleeping.add(entry);
    });
  }

  function takeFault(route: FakeRoute | undefined): Fault | undefined {
    for (const key of [route, '*'] as const) {
      if (key === undefined) continue;
      const queue = faults.get(key);
      const fault = queue?.shift();
      if (fault) return fault;
    }
    return undefined;
  }

  function delayFor(route: FakeRoute | undefined): number {
    return (route && latency.get(route)) ?? latency.get('*') ?? 0;
  }

  function authenticate(headers: Record<string, string>): Workspace | Reply {
    const unauthenticated = (text: string): Reply => ({ status: 401, body: { detail: text }, headers: { 'www-authenticate': 'Bearer' } });
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers['authorization'] ?? '');
    if (!match?.[1]) return unauthenticated('Not authenticated');
    const workspaceId = revoked.has(match[1]) ? undefined : tokens.get(match[1]);
    const workspace = workspaceId === undefined ? undefined : workspaces.get(workspaceId);
    return workspace ?? unauthenticated('Invalid token');
  }

  // --- handlers --------------------------------------------------------------

  function createIdentity(ws: Workspace, body: ParsedBody): Reply {
    const problem = bodyProblem(body);
    if (problem || body.kind !== 'json' || !isObject(body.value)) return problem ?? invalid([]);
    const f = new Fields(body.value, ['body'], []);
    const domainId = f.uuid('domain_id', { required: true });
    const localPart = f.string('local_part', { required: true, pattern: LOCAL_PART });
    const displayName = f.string('display_name', { required: true, min: 1, max: 200 });
    const assistantId = f.uuid('assistant_id', { nullable: true });
    const replyTo = f.email('reply_to_email', { nullable: true });
    const signatureText = f.string('signature_text', { nullable: true });
    const signatureHtml = f.string('signature_html', { nullable: true });
    const depth = f.int('thread_history_depth', { ge: 0, le: 100 });
    const channel = checkApprovalChannel(f);
    if (f.issues.length > 0 || !domainId || !localPart || !displayName) return invalid(f.issues);

    const domain = ws.domains.find((d) => d.id === domainId);
    if (!domain) return detail(404, 'Domain not found');
    if (domain.status !== 'verified') return invalid([{ type: 'value_error', loc: ['body', 'domain_id'], msg: 'Domain is not verified', input: domainId }]);
    if (assistantId && !ws.assistants.some((a) => a.id === assistantId)) return detail(404, 'Assistant not found');

    const emailAddress = `${localPart}@${domain.name}`.toLowerCase();
    const taken = [...workspaces.values()].some((w) => w.identities.some((i) => i.email_address === emailAddress));
    if (taken) return detail(409, `Identity ${emailAddress} already exists`);

    const now = new Date().toISOString();
    const identity: Identity = {
      id: randomUUID(),
      workspace_id: ws.id,
      domain_id: domain.id,
      assistant_id: assistantId ?? null,
      local_part: localPart.toLowerCase(),
      email_address: emailAddress,
      display_name: displayName,
      reply_to_email: replyTo ?? null,
      signature_text: signatureText ?? null,
      signature_html: signatureHtml ?? null,
      thread_history_depth: depth ?? 10,
      status: 'active',
      approval_channel: channel ?? {},
      created_at: now,
      updated_at: now,
    };
    ws.identities.push(identity);
    return { status: 201, body: identity };
  }

  function getIdentity(ws: Workspace, identityId: string): Reply {
    const issues: Issue[] = [];
    const id = checkUuid(identityId, ['path', 'identity_id'], issues);
    if (!id) return invalid(issues);
    const identity = ws.identities.find((i) => i.id === id);
    return identity ? { status: 200, body: identity } : detail(404, 'Identity not found');
  }

  function updateIdentity(ws: Workspace, identityId: string, body: ParsedBody): Reply {
    const pathIssues: Issue[] = [];
    const id = checkUuid(identityId, ['path', 'identity_id'], pathIssues);
    const problem = bodyProblem(body);
    if (problem || body.kind !== 'json' || !isObject(body.value)) {
      const bodyIssues = problem && isObject(problem.body) && Array.isArray(problem.body['detail']) ? problem.body['detail'] : [];
      return invalid([...pathIssues, ...bodyIssues]);
    }
    const f = new Fields(body.value, ['body'], pathIssues);
    const changes: Partial<Identity> = {};
    const has = (key: string) => key in f.source;
    const displayName = f.string('display_name', { min: 1, max: 200 });
    const assistantId = f.uuid('assistant_id', { nullable: true });
    const replyTo = f.email('reply_to_email', { nullable: true });
    const signatureText = f.string('signature_text', { nullable: true });
    const signatureHtml = f.string('signature_html', { nullable: true });
    const depth = f.int('thread_history_depth', { ge: 0, le: 100 });
    const channel = checkApprovalChannel(f);
    f.forbidExtra(['display_name', 'assistant_id', 'reply_to_email', 'signature_text', 'signature_html', 'thread_history_depth', 'approval_channel']);
    if (f.issues.length > 0 || !id) return invalid(f.issues);

    const identity = ws.identities.find((i) => i.id === id);
    if (!identity) return detail(404, 'Identity not found');
    if (assistantId && !ws.assistants.some((a) => a.id === assistantId)) return detail(404, 'Assistant not found');

    if (typeof displayName === 'string') changes.display_name = displayName;
    if (has('assistant_id')) changes.assistant_id = assistantId ?? null;
    if (has('reply_to_email')) changes.reply_to_email = replyTo ?? null;
    if (has('signature_text')) changes.signature_text = signatureText ?? null;
    if (has('signature_html')) changes.signature_html = signatureHtml ?? null;
    if (typeof depth === 'number') changes.thread_history_depth = depth;
    if (channel) changes.approval_channel = structuredClone(channel);
    Object.assign(identity, changes, { updated_at: new Date().toISOString() });
    return { status: 200, body: identity };
  }

  function list(items: readonly unknown[], query: Record<string, string>): Reply {
    const f = new Fields(query, ['query'], []);
    const limit = f.int('limit', { ge: 1, le: 100 }) ?? 50;
    const cursor = f.string('cursor');
    let offset = 0;
    if (cursor) {
      const decoded = decodeCursor(cursor);
      if (decoded === undefined) f.issues.push({ type: 'value_error', loc: ['query', 'cursor'], msg: 'Invalid cursor', input: cursor });
      else offset = decoded;
    }
    if (f.issues.length > 0) return invalid(f.issues);
    const data = items.slice(offset, offset + limit);
    const next = offset + limit < items.length ? encodeCursor(offset + limit) : null;
    return { status: 200, body: { data, next_cursor: next } };
  }

  function decide(ws: Workspace, approvalId: string, body: ParsedBody, idempotencyKey: string | undefined): Reply {
    const pathIssues: Issue[] = [];
    const id = checkUuid(approvalId, ['path', 'approval_id'], pathIssues);
    const problem = bodyProblem(body);
    if (problem || body.kind !== 'json' || !isObject(body.value)) {
      const bodyIssues = problem && isObject(problem.body) && Array.isArray(problem.body['detail']) ? problem.body['detail'] : [];
      return invalid([...pathIssues, ...bodyIssues]);
    }
    const f = new Fields(body.value, ['body'], pathIssues);
    const decision = f.literal('decision', ['approve', 'reject'] as const, { required: true, type: 'enum' });
    const draft = f.nested('draft', 'Draft', { nullable: true });
    draft?.string('subject');
    draft?.string('text');
    f.string('reason', { nullable: true });
    const by = f.nested('decided_by', 'DecidedBy', { required: true });
    by?.literal('type', ['slack'] as const, { required: true });
    by?.string('team_id', { required: true });
    by?.string('user_id', { required: true });
    by?.string('name', { nullable: true });
    if (f.issues.length > 0 || !id || !decision) return invalid(f.issues);

    const approval = approvals.get(id);
    if (!approval || approval.workspaceId !== ws.id) return detail(404, 'Approval not found');
    switch (approval.status) {
      case 'approved':
      case 'rejected':
        return detail(409, `Approval already ${approval.status}`);
      case 'expired':
        return detail(409, 'Approval expired');
      case 'cancelled':
        return detail(409, 'Approval cancelled');
    }
    const status = decision === 'approve' ? 'approved' : 'rejected';
    approval.status = status;
    decisions.push({ approvalId: id, decision: body.value, status, idempotencyKey, at: Date.now() });
    return { status: 200, body: { id, status } };
  }

  /** Replays a stored success for a repeated key; undefined when the request should run. */
  function replay(ws: Workspace, key: string | undefined, fingerprint: string): Reply | undefined {
    if (key === undefined) return undefined;
    if (key.length > 255) {
      return invalid([{ type: 'string_too_long', loc: ['header', 'idempotency-key'], msg: 'String should have at most 255 characters', input: key, ctx: { max_length: 255 } }]);
    }
    const stored = idempotency.get(`${ws.id}\n${key}`);
    if (!stored) return undefined;
    if (stored.fingerprint !== fingerprint) {
      return invalid([{ type: 'idempotency_key_mismatch', loc: ['header', 'idempotency-key'], msg: 'Idempotency-Key was already used with a different request', input: key }]);
    }
    return { ...stored.reply, headers: { ...stored.reply.headers, 'idempotent-replayed': 'true' } };
  }

  function handle(method: string, path: string, matched: Matched, recorded: RecordedRequest, body: ParsedBody): Reply {
    const ws = authenticate(recorded.headers);
    if (!('id' in ws)) return ws;
    switch (matched.route) {
      case 'GET /v1/identities':
        return list(ws.identities, recorded.query);
      case 'GET /v1/domains':
        return list(ws.domains, recorded.query);
      case 'GET /v1/assistants':
        return list(ws.assistants, recorded.query);
      case 'GET /v1/identities/{identity_id}':
        return getIdentity(ws, matched.param ?? '');
      case 'POST /v1/identities':
      case 'PATCH /v1/identities/{identity_id}':
      case 'POST /v1/approvals/{approval_id}/decision': {
        const key = recorded.headers['idempotency-key'];
        const fingerprint = `${method} ${path}\n${body.kind === 'json' ? canonicalJson(body.value) : body.kind === 'invalid' ? body.text : ''}`;
        const replayed = replay(ws, key, fingerprint);
        if (replayed) return replayed;
        const reply =
          matched.route === 'POST /v1/identities'
            ? createIdentity(ws, body)
            : matched.route === 'PATCH /v1/identities/{identity_id}'
              ? updateIdentity(ws, matched.param ?? '', body)
              : decide(ws, matched.param ?? '', body, key);
        if (key !== undefined && reply.status < 300) idempotency.set(`${ws.id}\n${key}`, { fingerprint, reply });
        return reply;
      }
    }
  }

  // --- HTTP plumbing ----------------------------------------------------------

  function send(res: ServerResponse, reply: Reply): void {
    if (res.destroyed || res.socket === null || res.socket.destroyed) return; // the client gave up
    const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(text);
  }

  function faultReply(fault: { status: number; body?: unknown; retryAfter?: number | string }): Reply {
    return {
      status: fault.status,
      body: 'body' in fault ? fault.body : { detail: STATUS_CODES[fault.status] ?? 'Error' },
      ...(fault.retryAfter !== undefined && { headers: { 'retry-after': String(fault.retryAfter) } }),
    };
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const raw = await readBody(req);
    const body = parseBody(raw);
    const recorded: RecordedRequest = {
      method,
      path: rawPath,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: body.kind === 'json' ? body.value : body.kind === 'invalid' ? body.text : undefined,
      at: Date.now(),
    };
    requests.push(recorded);

    if (down) {
      req.socket.destroy();
      return;
    }
    const matched = match(method, rawPath);
    const route = isReply(matched) ? undefined : matched.route;

    const fault = takeFault(route);
    if (fault) {
      await sleep(delayFor(route));
      if ('drop' in fault) req.socket.destroy();
      else send(res, faultReply(fault));
      return;
    }
    // The work is done before the latency, so a client that gives up early has still caused it.
    const reply = isReply(matched) ? matched : handle(method, rawPath, matched, recorded, body);
    await sleep(delayFor(route));
    send(res, reply);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch(() => send(res, detail(500, 'Internal Server Error')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake Identities API: no TCP address');
  const { port } = address;

  const workspaceOf = (token: string): Workspace | undefined => {
    const id = tokens.get(token);
    return id === undefined ? undefined : workspaces.get(id);
  };

  return {
    url: `http://127.0.0.1:${port}`,
    requests,

    requestsTo(method, pathPrefix) {
      return requests.filter((r) => r.method === method.toUpperCase() && r.path.startsWith(pathPrefix));
    },

    addWorkspace(input) {
      const workspaceId = input.workspaceId ?? randomUUID();
      const ws = workspaces.get(workspaceId) ?? { id: workspaceId, domains: [], assistants: [], identities: [] };
      workspaces.set(workspaceId, ws);
      tokens.set(input.token, workspaceId);
      revoked.delete(input.token);
      const domains = (input.domains ?? []).map((d) => ({ id: d.id ?? randomUUID(), name: d.name, status: d.status }));
      const assistants = (input.assistants ?? []).map((a) => ({ id: a.id ?? randomUUID(), name: a.name }));
      ws.domains.push(...domains);
      ws.assistants.push(...assistants);
      return { workspaceId, domains, assistants };
    },

    addApproval({ approvalId, workspaceToken, status = 'pending' }) {
      const workspaceId = tokens.get(workspaceToken);
      if (workspaceId === undefined) throw new Error('addApproval: unknown workspace token; call addWorkspace first');
      approvals.set(approvalId.toLowerCase(), { id: approvalId.toLowerCase(), workspaceId, status });
    },

    revokeToken(token) {
      revoked.add(token);
    },

    identities(workspaceToken) {
      const all = workspaceToken === undefined ? [...workspaces.values()] : [workspaceOf(workspaceToken)].filter((w) => w !== undefined);
      return all.flatMap((w) => w.identities.map((i) => structuredClone(i)));
    },

    decisions(approvalId) {
      return decisions.filter((d) => approvalId === undefined || d.approvalId === approvalId.toLowerCase());
    },

    approvalStatus(approvalId) {
      return approvals.get(approvalId.toLowerCase())?.status;
    },

    setLatency(route, ms) {
      latency.set(route, ms);
    },

    failNext(route, fault, times = 1) {
      const queue = faults.get(route) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(route, queue);
    },

    setDown(value) {
      down = value;
    },

    reset() {
      workspaces.clear();
      tokens.clear();
      revoked.clear();
      approvals.clear();
      decisions.length = 0;
      idempotency.clear();
      requests.length = 0;
      latency.clear();
      faults.clear();
      down = false;
    },

    async close() {
      server.closeAllConnections();
      for (const entry of sleeping) {
        clearTimeout(entry.timer);
        entry.wake();
      }
      sleeping.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const encodeCursor = (offset: number): string => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function decodeCursor(cursor: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return isObject(parsed) && typeof parsed['o'] === 'number' && Number.isInteger(parsed['o']) && parsed['o'] >= 0 ? parsed['o'] : undefined;
  } catch {
    return undefined;
  }
}
