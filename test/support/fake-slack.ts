// A small, strict, local Slack Web API for tests (see shared/testing.md: no
// existing fake checks Block Kit or trigger ids). It listens on 127.0.0.1:0;
// point the app's WebClient at `fake.apiUrl` via `slackApiUrl`.
//
// Answers are HTTP 200 `{ok:true,...}` or `{ok:false,error}` as Slack does,
// except injected HTTP faults and rate limits (429 + Retry-After).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ELEMENT_TYPES, isObj, validateMessage, validateView } from './block-kit.ts';

type Obj = Record<string, unknown>;

// ---------- public types ----------

export interface FakeSlackOptions {
  /** Clock for trigger expiry, oauth codes, ts and rate limits (default Date.now). */
  now?: () => number;
  appId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Trigger ids older than this are `expired_trigger_id` (default 3000 ms). */
  triggerTtlMs?: number;
  /**
   * Real Slack hides private channels the bot is not in: `conversations.info`,
   * `chat.postMessage` and `conversations.join` answer `channel_not_found`
   * (default false). Set true to model a token that can see them: then posting
   * answers `not_in_channel` and joining `method_not_supported_for_channel_type`.
   */
  privateChannelsVisible?: boolean;
  /** Models the `chat:write.public` scope (default true); false → `not_in_channel` for public channels the bot has not joined. */
  chatWritePublic?: boolean;
  /** Require `text` alongside `blocks` (default true; Slack's notification fallback). */
  requireTextFallback?: boolean;
}

export interface TeamInput {
  id: string;
  botToken: string;
  botUserId: string;
  botId: string;
  enterpriseId?: string;
  name?: string;
  domain?: string;
  botName?: string;
}

export interface FakeTeam {
  id: string;
  name: string;
  domain: string;
  botToken: string;
  botUserId: string;
  botId: string;
  botName: string;
  enterpriseId: string | null;
}

export interface ChannelInput {
  id: string;
  name: string;
  teamId: string;
  isPrivate: boolean;
  /** User ids; the bot is a member when its bot user id is listed. */
  members: string[];
  isArchived?: boolean;
}

export interface FakeChannel {
  id: string;
  name: string;
  teamId: string;
  isPrivate: boolean;
  isArchived: boolean;
  isIm: boolean;
  members: string[];
}

export interface UserInput {
  id: string;
  teamId: string;
  name: string;
  realName?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
  isPrimaryOwner?: boolean;
  isBot?: boolean;
  deleted?: boolean;
}

export type FakeUser = Required<UserInput>;

export interface FakeMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  thread_ts?: string;
  reply_count?: number;
  edited?: { user: string; ts: string };
  metadata?: unknown;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  message_ts: string;
  via: 'chat.postEphemeral' | 'response_url';
}

/** A view as Slack returns it from views.* (the app's view plus Slack's fields). */
export interface FakeView extends Obj {
  id: string;
  team_id: string;
  type: string;
  hash: string;
  callback_id: string;
  private_metadata: string;
  external_id: string;
  blocks: unknown[];
  state: { values: Record<string, Record<string, unknown>> };
  root_view_id: string;
  previous_view_id: string | null;
  app_id: string;
  bot_id: string;
}

/** An Events API event, as in an event_callback's `event`. */
export type SlackEvent = Obj & { type: string };

export interface FakeCall {
  method: string;
  /** Parsed arguments with JSON fields (view, blocks, ...) decoded; the token is in `token`. */
  args: Obj;
  token: string | null;
  at: number;
  /** What the fake answered: the JSON body, or `{http: status}` for injected faults. */
  result?: unknown;
}

export interface FakeResponse {
  id: string;
  url: string;
  body: unknown;
  problems: string[];
  at: number;
}

export type Fault =
  | { status: 429; retryAfter: number }
  /** Slack did the work, but the answer never arrives (the caller sees HTTP 500): a timeout after success. */
  | { lostResponse: true }
  | { status: 500 | 502 | 503 }
  | { error: string; extra?: Obj }
  | { delayMs: number }
  /** The call waits until the promise settles, then is handled as usual: a test decides the order in which calls land. */
  | { heldUntil: Promise<unknown> };

export interface OAuthCodeInput {
  teamId: string;
  enterpriseId?: string;
  userId: string;
  scopes: string[];
  isEnterpriseInstall?: boolean;
  teamName?: string;
  redirectUri?: string;
}

export interface ResponseUrlContext {
  teamId?: string;
  channelId?: string;
  userId?: string;
  /** The message an action came from, for replace_original / delete_original. */
  messageTs?: string;
}

export type ViewAck =
  | { kind: 'close'; problems: string[] }
  | { kind: 'clear'; problems: string[] }
  | { kind: 'errors'; errors: Record<string, string>; problems: string[] }
  | { kind: 'update'; view?: FakeView; problems: string[] }
  | { kind: 'push'; view?: FakeView; problems: string[] };

export interface FakeSlack {
  /** `http://127.0.0.1:PORT/api/` — give this to WebClient as slackApiUrl. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly baseUrl: string;
  readonly port: number;
  readonly appId: string;
  readonly clientId: string;
  readonly clientSecret: string;

  addTeam(team: TeamInput): FakeTeam;
  addChannel(channel: ChannelInput): FakeChannel;
  addUser(user: UserInput): FakeUser;
  /** Seeds a message (e.g. from a human) and returns its ts. */
  addMessage(msg: { channel: string; user: string; text: string; blocks?: unknown[]; threadTs?: string }): string;
  team(id: string): FakeTeam | undefined;
  channel(id: string): FakeChannel | undefined;
  user(id: string): FakeUser | undefined;

  /*
   * Changes to a channel made in Slack's client. Each returns the Events API events Slack
   * sends the app about it (the `event` of an event_callback; send them with
   * slack-client's `event`): channel_* for public channels, group_* for private ones.
   */
  renameChannel(id: string, name: string): SlackEvent;
  archiveChannel(id: string, byUserId: string): SlackEvent;
  unarchiveChannel(id: string, byUserId: string): SlackEvent;
  /** The channel is gone: every call naming it answers channel_not_found. */
  deleteChannel(id: string, byUserId: string): SlackEvent;
  /** `userId` removed (the bot: channel_left or group_left, then member_left_channel). */
  removeFromChannel(id: string, userId: string, byUserId: string): SlackEvent[];
  inviteToChannel(id: string, userId: string, byUserId: string): SlackEvent;
  /** The app's direct messages with a person (its IM, once opened or posted to). */
  directMessages(userId: string): FakeMessage[];

  issueTriggerId(teamId: string, userId: string, viewId?: string): string;
  issueOAuthCode(input: OAuthCodeInput): string;
  issueResponseUrl(ctx?: ResponseUrlContext): string;

  readonly calls: readonly FakeCall[];
  callsTo(method: string): FakeCall[];
  /** Calls `listener` with each Web API call once it has been answered; returns the unsubscribe. */
  onAnswered(listener: (call: FakeCall) => void): () => void;
  readonly responses: readonly FakeResponse[];
  messages(channelId: string): FakeMessage[];
  ephemerals(channelId?: string): FakeEphemeral[];
  view(viewId: string): FakeView | undefined;
  lastView(): FakeView | undefined;
  isViewOpen(viewId: string): boolean;
  /** View ids of the modal stack holding viewId, root first. */
  viewStack(viewId: string): string[];
  /** Applies an app's view_submission ack the way Slack would (close, errors, update, push, clear). */
  applyViewSubmissionAck(viewId: string, body: unknown): ViewAck;

  /** The next `times` calls to `method` (or `'response_url'` for response URL posts) get `fault`. */
  failNext(method: string, fault: Fault, times?: number): void;
  setChannelRateLimit(limit: { perSecond: number; burst: number } | null): void;
  /** Clears calls, responses, faults, rate limits, messages, views, triggers; `{ all: true }` also teams, channels, users. */
  reset(opts?: { all?: boolean }): void;
  close(): Promise<void>;
}

// ---------- helpers ----------

/** Fields web-api sends as JSON strings inside the form body. */
const JSON_FIELDS = ['view', 'blocks', 'attachments', 'metadata', 'options', 'option_groups'];
const VIEW_MAX_BYTES = 250 * 1000;
const MAX_MODAL_STACK = 3;
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;
const OAUTH_CODE_TTL_MS = 10 * 60 * 1000;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const truthy = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;
const clone = <T>(v: T): T => structuredClone(v);
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const fail = (error: string, extra: Obj = {}): Obj => ({ ok: false, error, ...extra });
const invalidArgs = (messages: string[]): Obj => fail('invalid_arguments', { response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } });

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Form or JSON body (plus query string) → args; JSON-string fields decoded when they parse. */
function parseArgs(raw: string, contentType: string, query: URLSearchParams): Obj | 'invalid_json' | 'invalid_form_data' {
  const args: Obj = Object.fromEntries(query);
  if (contentType.includes('application/json')) {
    if (raw.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return 'invalid_json';
      }
      if (!isObj(parsed)) return 'invalid_json';
      Object.assign(args, parsed);
    }
  } else if (contentType.includes('multipart/form-data')) {
    return 'invalid_form_data'; // file uploads are out of scope for this fake
  } else {
    for (const [k, v] of new URLSearchParams(raw)) args[k] = v;
  }
  for (const key of JSON_FIELDS) {
    const v = args[key];
    if (typeof v === 'string') {
      try {
        args[key] = JSON.parse(v);
      } catch {
        // left as a string; the method answers *_format / invalid_arguments
      }
    }
  }
  return args;
}

/** Slack fills in block_id / action_id the app left out; the client needs them for state.values. */
function withGeneratedIds(blocks: unknown[]): unknown[] {
  const gen = (): string => randomBytes(3).toString('base64url');
  return clone(blocks).map((b) => {
    if (!isObj(b)) return b;
    if (b.block_id === undefined) b.block_id = gen();
    const els = [b.accessory, b.element, ...(Array.isArray(b.elements) ? b.elements : [])];
    for (const el of els) if (isObj(el) && el.type !== 'image' && ELEMENT_TYPES.includes(String(el.type)) && el.action_id === undefined) el.action_id = gen();
    return b;
  });
}

// ---------- the fake ----------

interface Trigger {
  teamId: string;
  userId: string;
  issuedAt: number;
  used: boolean;
  viewId?: string;
}

interface ViewMeta {
  userId: string;
  teamId: string;
  open: boolean;
}

interface OAuthCode extends OAuthCodeInput {
  issuedAt: number;
  used: boolean;
}

interface ResponseUrlState extends ResponseUrlContext {
  issuedAt: number;
  uses: number;
}

interface Context {
  args: Obj;
  token: string | null;
  team: FakeTeam;
}

type Handler = (ctx: Context) => Obj;

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const now = opts.now ?? Date.now;
  const appId = opts.appId ?? 'A0FAKEAPP01';
  const clientId = opts.clientId ?? '1111111111.2222222222';
  const clientSecret = opts.clientSecret ?? 'fake-client-secret';
  const triggerTtlMs = opts.triggerTtlMs ?? 3000;
  const privateVisible = opts.privateChannelsVisible ?? false;
  const chatWritePublic = opts.chatWritePublic ?? true;
  const requireTextFallback = opts.requireTextFallback ?? true;

  const teams = new Map<string, FakeTeam>();
  const tokens = new Map<string, string>(); // token → team id
  const channels = new Map<string, FakeChannel>();
  const users = new Map<string, FakeUser>();
  let messages = new Map<string, FakeMessage[]>();
  let ephemerals: FakeEphemeral[] = [];
  let views = new Map<string, FakeView>();
  let viewMeta = new Map<string, ViewMeta>();
  let lastViewId: string | undefined;
  let triggers = new Map<string, Trigger>();
  let oauthCodes = new Map<string, OAuthCode>();
  let responseUrls = new Map<string, ResponseUrlState>();
  let calls: FakeCall[] = [];
  const answeredListeners = new Set<(call: FakeCall) => void>();
  let responses: FakeResponse[] = [];
  let faults = new Map<string, Array<{ fault: Fault; remaining: number }>>();
  let rateLimit: { perSecond: number; burst: number } | null = null;
  let buckets = new Map<string, { tokens: number; at: number }>();
  let seq = 0;
  let lastTsMicros = 0;
  const timers = new Set<NodeJS.Timeout>();

  const nextId = (prefix: string): string => `${prefix}${(++seq).toString(36).toUpperCase().padStart(10, '0')}`;
  const newHash = (): string => `${Math.floor(now() / 1000)}.${hex(4)}`;

  /** Unique, increasing `seconds.micros` strings like Slack's message ts. */
  function nextTs(): string {
    lastTsMicros = Math.max(now() * 1000, lastTsMicros + 100);
    const s = Math.floor(lastTsMicros / 1e6);
    const us = Math.floor(lastTsMicros % 1e6);
    return `${s}.${String(us).padStart(6, '0')}`;
  }

  // ----- channel helpers -----

  const isMember = (ch: FakeChannel, team: FakeTeam): boolean => ch.members.includes(team.botUserId);

  function knownChannel(id: string): FakeChannel {
    const ch = channels.get(id);
    if (!ch || ch.isIm) throw new Error(`fake-slack: unknown channel ${id}`);
    return ch;
  }

  /** Channel id, `#name`/name, or a user id (→ the app's DM with that user), as the token's team sees it. */
  function resolveChannel(ref: string, team: FakeTeam): FakeChannel | undefined {
    const byId = channels.get(ref);
    if (byId) return byId.teamId === team.id ? byId : undefined;
    const name = ref.replace(/^#/, '');
    for (const ch of channels.values()) if (ch.teamId === team.id && !ch.isIm && ch.name === name) return ch;
    const user = users.get(ref);
    if (user && user.teamId === team.id && !user.deleted) {
      const id = `D${user.id.slice(1)}`;
      let dm = channels.get(id);
      if (!dm) {
        dm = { id, name: user.id, teamId: team.id, isPrivate: true, isArchived: false, isIm: true, members: [team.botUserId, user.id] };
        channels.set(id, dm);
      }
      return dm;
    }
    return undefined;
  }

  /** Private channels the bot is not in are invisible unless privateChannelsVisible. */
  function visibleChannel(ref: unknown, team: FakeTeam): FakeChannel | undefined {
    const id = str(ref);
    if (!id) return undefined;
    const ch = resolveChannel(id, team);
    if (!ch) return undefined;
    if (ch.isPrivate && !isMember(ch, team) && !privateVisible) return undefined;
    return ch;
  }

  function channelInfo(ch: FakeChannel, team: FakeTeam): Obj {
    return {
      id: ch.id,
      name: ch.name,
      is_channel: !ch.isIm,
      is_group: false,
      is_im: ch.isIm,
      is_private: ch.isPrivate,
      is_member: isMember(ch, team),
      is_archived: ch.isArchived,
      context_team_id: ch.teamId,
    };
  }

  /** Block problems → invalid_blocks, text problems → invalid_arguments / msg_too_long. */
  function messageError(text: unknown, blocks: unknown): Obj | undefined {
    if (blocks !== undefined && !Array.isArray(blocks)) return fail('invalid_blocks_format');
    const problems = validateMessage({ text, blocks }, { requireTextFallback });
    if (problems.length === 0) return undefined;
    const meta = { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } };
    if (problems.some((p) => p.startsWith('blocks'))) return fail('invalid_blocks', meta);
    if (problems.some((p) => p.startsWith('text:') && p.includes('chars >'))) return fail('msg_too_long', meta);
    return fail('invalid_arguments', meta);
  }

  function storeMessage(ch: FakeChannel, team: FakeTeam, fields: { text: string; blocks?: unknown; thread_ts?: string; metadata?: unknown }): FakeMessage {
    const msg: FakeMessage = { type: 'message', channel: ch.id, ts: nextTs(), text: fields.text, user: team.botUserId, bot_id: team.botId, app_id: appId, team: team.id };
    if (Array.isArray(fields.blocks)) msg.blocks = clone(fields.blocks);
    if (fields.thread_ts) msg.thread_ts = fields.thread_ts;
    if (fields.metadata !== undefined) msg.metadata = clone(fields.metadata);
    const list = messages.get(ch.id) ?? [];
    list.push(msg);
    messages.set(ch.id, list);
    return msg;
  }

  /** A thread_ts naming a reply lands in the parent's thread, as in Slack. */
  function findThreadParent(ch: FakeChannel, threadTs: string): FakeMessage | undefined {
    const list = messages.get(ch.id) ?? [];
    const hit = list.find((m) => m.ts === threadTs);
    if (!hit) return undefined;
    return hit.thread_ts && hit.thread_ts !== hit.ts ? list.find((m) => m.ts === hit.thread_ts) : hit;
  }

  function takeRateToken(channelId: string): number | undefined {
    if (!rateLimit) return undefined;
    const t = now();
    const b = buckets.get(channelId) ?? { tokens: rateLimit.burst, at: t };
    b.tokens = Math.min(rateLimit.burst, b.tokens + ((t - b.at) / 1000) * rateLimit.perSecond);
    b.at = t;
    buckets.set(channelId, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rateLimit.perSecond));
  }

  // ----- view helpers -----

  function checkTrigger(id: string, team: FakeTeam): Trigger | string {
    const t = triggers.get(id);
    if (!t || t.teamId !== team.id) return 'invalid_trigger_id';
    if (t.used) return 'exchanged_trigger_id';
    if (now() - t.issuedAt > triggerTtlMs) return 'expired_trigger_id';
    return t;
  }

  /** Size and Block Kit checks shared by views.open/push/update. */
  function viewError(view: unknown): Obj | undefined {
    if (!isObj(view)) return invalidArgs(['view: must be a JSON object']);
    if (Buffer.byteLength(JSON.stringify(view)) > VIEW_MAX_BYTES) return fail('view_too_large');
    const problems = validateView(view);
    if (view.type === 'home') problems.push('type: home tabs go through views.publish, not views.open/push/update');
    return problems.length > 0 ? invalidArgs(problems) : undefined;
  }

  function externalIdTaken(externalId: unknown, teamId: string, exceptId?: string): boolean {
    if (!str(externalId)) return false;
    for (const v of views.values()) if (v.team_id === teamId && v.external_id === externalId && v.id !== exceptId && viewMeta.get(v.id)?.open) return true;
    return false;
  }

  function buildView(input: Obj, team: FakeTeam, base: { id: string; root: string; previous: string | null }): FakeView {
    const view: FakeView = {
      id: base.id,
      team_id: team.id,
      type: 'modal',
      title: null,
      close: null,
      submit: null,
      clear_on_close: false,
      notify_on_close: false,
      private_metadata: '',
      callback_id: '',
      external_id: '',
      ...clone(input),
      blocks: withGeneratedIds(Array.isArray(input.blocks) ? input.blocks : []),
      state: { values: {} },
      hash: newHash(),
      root_view_id: base.root,
      previous_view_id: base.previous,
      app_id: appId,
      app_installed_team_id: team.id,
      bot_id: team.botId,
    };
    views.set(view.id, view);
    lastViewId = view.id;
    return view;
  }

  function stackOf(viewId: string): string[] {
    const v = views.get(viewId);
    if (!v) return [];
    const root = v.root_view_id;
    return [...views.values()].filter((x) => x.root_view_id === root && viewMeta.get(x.id)?.open).map((x) => x.id);
  }

  function openView(input: Obj, team: FakeTeam, userId: string, previous?: FakeView): FakeView {
    const id = nextId('V');
    const view = buildView(input, team, { id, root: previous?.root_view_id ?? id, previous: previous?.id ?? null });
    viewMeta.set(id, { userId, teamId: team.id, open: true });
    return view;
  }

  function updateView(existing: FakeView, input: Obj): FakeView {
    const team = teams.get(existing.team_id);
    if (!team) throw new Error(`fake-slack: team ${existing.team_id} vanished`);
    // An update that leaves out external_id keeps the old one (so later updates by external_id still find it).
    const merged = input.external_id === undefined && existing.external_id ? { ...input, external_id: existing.external_id } : input;
    return buildView(merged, team, { id: existing.id, root: existing.root_view_id, previous: existing.previous_view_id });
  }

  // ----- methods -----

  const methods: Record<string, Handler> = {
    'auth.test': ({ team }) => ({
      ok: true,
      url: `https://${team.domain}.slack.com/`,
      team: team.name,
      user: team.botName,
      team_id: team.id,
      user_id: team.botUserId,
      bot_id: team.botId,
      is_enterprise_install: false,
      ...(team.enterpriseId ? { enterprise_id: team.enterpriseId } : {}),
    }),

    'views.open': ({ args, team }) => {
      const triggerId = str(args.trigger_id);
      if (!triggerId || args.view === undefined) return invalidArgs([`missing required field: ${triggerId ? 'view' : 'trigger_id'}`]);
      const bad = viewError(args.view);
      if (bad) return bad;
      const t = checkTrigger(triggerId, team);
      if (typeof t === 'string') return fail(t);
      const input = args.view as Obj;
      if (externalIdTaken(input.external_id, team.id)) return fail('duplicate_external_id');
      t.used = true;
      return { ok: true, view: clone(openView(input, team, t.userId)) };
    },

    'views.push': ({ args, team }) => {
      const triggerId = str(args.trigger_id);
      if (!triggerId || args.view === undefined) return invalidArgs([`missing required field: ${triggerId ? 'view' : 'trigger_id'}`]);
      const bad = viewError(args.view);
      if (bad) return bad;
      const t = checkTrigger(triggerId, team);
      if (typeof t === 'string') return fail(t);
      // The trigger must come from an interaction in an open modal: that modal's stack is pushed onto.
      const from = t.viewId ? views.get(t.viewId) : [...views.values()].reverse().find((v) => viewMeta.get(v.id)?.open && viewMeta.get(v.id)?.userId === t.userId && v.team_id === team.id);
      if (!from || !viewMeta.get(from.id)?.open) return fail('invalid_trigger_id', { detail: 'no open modal to push onto' });
      const stack = stackOf(from.id);
      if (stack.length >= MAX_MODAL_STACK) return fail('push_limit_reached');
      const top = views.get(stack[stack.length - 1] ?? from.id) ?? from;
      const input = args.view as Obj;
      if (externalIdTaken(input.external_id, team.id)) return fail('duplicate_external_id');
      t.used = true;
      return { ok: true, view: clone(openView(input, team, t.userId, top)) };
    },

    'views.update': ({ args, team }) => {
      const viewId = str(args.view_id);
      const externalId = str(args.external_id);
      if ((!viewId && !externalId) || args.view === undefined) return invalidArgs([args.view === undefined ? 'missing required field: view' : 'view_id or external_id is required']);
      const existing = viewId ? views.get(viewId) : [...views.values()].find((v) => v.external_id === externalId && v.team_id === team.id && viewMeta.get(v.id)?.open);
      if (!existing || existing.team_id !== team.id || !viewMeta.get(existing.id)?.open) return fail('not_found');
      const hash = str(args.hash);
      if (hash && hash !== existing.hash) return fail('hash_conflict');
      const bad = viewError(args.view);
      if (bad) return bad;
      const input = args.view as Obj;
      if (externalIdTaken(input.external_id, team.id, existing.id)) return fail('duplicate_external_id');
      return { ok: true, view: clone(updateView(existing, input)) };
    },

    'chat.postMessage': ({ args, team }) => {
      const ref = str(args.channel);
      if (!ref) return fail('channel_not_found');
      const ch = visibleChannel(ref, team);
      if (!ch) return fail('channel_not_found');
      if (ch.isArchived) return fail('is_archived');
      if (!isMember(ch, team) && (ch.isPrivate || !chatWritePublic)) return fail('not_in_channel');
      if (args.text === undefined && args.blocks === undefined) return fail('no_text');
      const bad = messageError(args.text, args.blocks);
      if (bad) return bad;
      const threadTs = str(args.thread_ts);
      let parent: FakeMessage | undefined;
      if (threadTs) {
        parent = findThreadParent(ch, threadTs);
        if (!parent) return fail('thread_not_found');
      }
      const text = typeof args.text === 'string' ? args.text : '';
      const msg = storeMessage(ch, team, { text, blocks: args.blocks, ...(parent ? { thread_ts: parent.ts } : {}), metadata: args.metadata });
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
      }
      return { ok: true, channel: ch.id, ts: msg.ts, message: clone(msg) };
    },

    'chat.update': ({ args, team }) => {
      const ts = str(args.ts);
      if (!str(args.channel) || !ts) return invalidArgs([`missing required field: ${ts ? 'channel' : 'ts'}`]);
      const ch = visibleChannel(args.channel, team);
      if (!ch) return fail('channel_not_found');
      const msg = (messages.get(ch.id) ?? []).find((m) => m.ts === ts);
      if (!msg) return fail('message_not_found');
      if (msg.user !== team.botUserId) return fail('cant_update_message');
      if (args.text === undefined && args.blocks === undefined) return fail('no_text');
      const bad = messageError(args.text, args.blocks);
      if (bad) return bad;
      // Slack: text replaces the old text; blocks omitted keep the old blocks.
      if (typeof args.text === 'string') msg.text = args.text;
      if (Array.isArray(args.blocks)) msg.blocks = clone(args.blocks);
      msg.edited = { user: team.botUserId, ts: nextTs() };
      return { ok: true, channel: ch.id, ts: msg.ts, text: msg.text, message: clone(msg) };
    },

    'chat.postEphemeral': ({ args, team }) => {
      const userId = str(args.user);
      if (!str(args.channel) || !userId) return invalidArgs([`missing required field: ${userId ? 'channel' : 'user'}`]);
      const ch = visibleChannel(args.channel, team);
      if (!ch) return fail('channel_not_found');
      if (ch.isArchived) return fail('is_archived');
      if (!isMember(ch, team) && (ch.isPrivate || !chatWritePublic)) return fail('not_in_channel');
      if (!ch.members.includes(userId)) return fail('user_not_in_channel');
      if (args.text === undefined && args.blocks === undefined) return fail('no_text');
      const bad = messageError(args.text, args.blocks);
      if (bad) return bad;
      const e: FakeEphemeral = { channel: ch.id, user: userId, message_ts: nextTs(), via: 'chat.postEphemeral' };
      if (typeof args.text === 'string') e.text = args.text;
      if (Array.isArray(args.blocks)) e.blocks = clone(args.blocks);
      ephemerals.push(e);
      return { ok: true, message_ts: e.message_ts };
    },

    'conversations.history': ({ args, team }) => {
      if (!str(args.channel)) return fail('channel_not_found');
      const ch = visibleChannel(args.channel, team);
      if (!ch) return fail('channel_not_found');
      if (!isMember(ch, team)) return fail('not_in_channel');
      const oldest = Number(str(args.oldest) ?? '0');
      const limit = Math.min(Number(str(args.limit) ?? '100') || 100, 999);
      const withMetadata = truthy(args.include_all_metadata);
      const top = (messages.get(ch.id) ?? []).filter((m) => (!m.thread_ts || m.thread_ts === m.ts) && Number(m.ts) >= oldest);
      const page = top.slice().reverse().slice(0, limit).map((m) => {
        const copy = clone(m);
        if (!withMetadata) delete copy.metadata;
        return copy;
      });
      return { ok: true, messages: page, has_more: top.length > limit };
    },

    'conversations.replies': ({ args, team }) => {
      const ts = str(args.ts);
      if (!str(args.channel) || !ts) return invalidArgs([`missing required field: ${ts ? 'channel' : 'ts'}`]);
      const ch = visibleChannel(args.channel, team);
      if (!ch) return fail('channel_not_found');
      if (!isMember(ch, team)) return fail('not_in_channel');
      const list = messages.get(ch.id) ?? [];
      if (!list.some((m) => m.ts === ts)) return fail('thread_not_found');
      const oldest = Number(str(args.oldest) ?? '0');
      const withMetadata = truthy(args.include_all_metadata);
      const thread = list.filter((m) => (m.ts === ts || m.thread_ts === ts) && (m.ts === ts || Number(m.ts) >= oldest)).map((m) => {
        const copy = clone(m);
        if (!withMetadata) delete copy.metadata;
        return copy;
      });
      return { ok: true, messages: thread, has_more: false };
    },

    'conversations.info': ({ args, team }) => {
      if (!str(args.channel)) return fail('channel_not_found');
      const ch = visibleChannel(args.channel, team);
      return ch ? { ok: true, channel: channelInfo(ch, team) } : fail('channel_not_found');
    },

    'conversations.join': ({ args, team }) => {
      if (!str(args.channel)) return fail('channel_not_found');
      const ch = visibleChannel(args.channel, team);
      if (!ch) return fail('channel_not_found');
      if (ch.isPrivate || ch.isIm) return fail('method_not_supported_for_channel_type');
      if (ch.isArchived) return fail('is_archived');
      if (isMember(ch, team)) return { ok: true, channel: channelInfo(ch, team), warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } };
      ch.members.push(team.botUserId);
      return { ok: true, channel: channelInfo(ch, team) };
    },

    'conversations.open': ({ args, team }) => {
      const existing = str(args.channel);
      if (existing) {
        const ch = channels.get(existing);
        return ch && ch.isIm && ch.teamId === team.id ? { ok: true, channel: { id: ch.id } } : fail('channel_not_found');
      }
      const ids = (str(args.users) ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
      if (ids.length === 0) return fail('users_list_not_supplied');
      // Group DMs (several users) are not modelled.
      if (ids.length > 1) return invalidArgs(['users: this fake opens one-to-one DMs only']);
      const user = users.get(ids[0]!);
      if (!user || user.teamId !== team.id) return fail('user_not_found');
      if (user.deleted) return fail('user_disabled');
      if (user.isBot) return fail('cannot_dm_bot');
      const dm = resolveChannel(user.id, team);
      if (!dm) return fail('user_not_found');
      return { ok: true, channel: truthy(args.return_im) ? channelInfo(dm, team) : { id: dm.id } };
    },

    'users.info': ({ args, team }) => {
      const u = users.get(str(args.user) ?? '');
      const sameOrg = (other: string): boolean => other === team.id || (team.enterpriseId !== null && teams.get(other)?.enterpriseId === team.enterpriseId);
      if (!u || !sameOrg(u.teamId)) return fail('user_not_found');
      return {
        ok: true,
        user: {
          id: u.id,
          team_id: u.teamId,
          name: u.name,
          real_name: u.realName,
          deleted: u.deleted,
          is_admin: u.isAdmin,
          is_owner: u.isOwner,
          is_primary_owner: u.isPrimaryOwner,
          is_bot: u.isBot,
          profile: { display_name: u.name, real_name: u.realName },
        },
      };
    },
  };

  /** oauth.v2.access authenticates with client credentials, not a token. */
  function oauthV2Access(args: Obj, authorization: string | undefined): Obj {
    let id = str(args.client_id);
    let secret = str(args.client_secret);
    if (authorization?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      id = u;
      secret = p;
    }
    if (id !== clientId) return fail('invalid_client_id');
    if (secret !== clientSecret) return fail('bad_client_secret');
    const code = oauthCodes.get(str(args.code) ?? '');
    if (!code || code.used || now() - code.issuedAt > OAUTH_CODE_TTL_MS) return fail('invalid_code');
    if (code.redirectUri && args.redirect_uri !== code.redirectUri) return fail('bad_redirect_uri');
    code.used = true;
    let team = teams.get(code.teamId);
    const accessToken = `xoxb-${code.teamId}-${++seq}-${hex(12)}`;
    if (!team) {
      team = api.addTeam({
        id: code.teamId,
        botToken: accessToken,
        botUserId: nextId('U'),
        botId: nextId('B'),
        ...(code.enterpriseId ? { enterpriseId: code.enterpriseId } : {}),
        ...(code.teamName ? { name: code.teamName } : {}),
      });
    } else {
      team.botToken = accessToken; // old tokens stay valid, as after a reinstall
      tokens.set(accessToken, team.id);
    }
    const enterpriseId = code.enterpriseId ?? team.enterpriseId;
    return {
      ok: true,
      app_id: appId,
      authed_user: { id: code.userId },
      scope: code.scopes.join(','),
      token_type: 'bot',
      access_token: accessToken,
      bot_user_id: team.botUserId,
      team: code.isEnterpriseInstall ? null : { id: team.id, name: team.name },
      enterprise: enterpriseId ? { id: enterpriseId, name: `Enterprise ${enterpriseId}` } : null,
      is_enterprise_install: code.isEnterpriseInstall ?? false,
    };
  }

  // ----- HTTP -----

  function takeFault(key: string): Fault | undefined {
    const queue = faults.get(key);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    if (--head.remaining <= 0) queue.shift();
    return head.fault;
  }

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** Applies an injected fault; true when it already answered. */
  async function applyFault(fault: Fault | undefined, res: ServerResponse, call?: FakeCall): Promise<boolean> {
    // lostResponse is handled by the caller: the work must happen first.
    if (!fault || 'lostResponse' in fault) return false;
    if ('delayMs' in fault) {
      await sleep(fault.delayMs);
      return false;
    }
    if ('heldUntil' in fault) {
      await fault.heldUntil.catch(() => {});
      return false;
    }
    if ('status' in fault) {
      if (call) call.result = { http: fault.status };
      if (fault.status === 429) sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
      else {
        res.writeHead(fault.status, { 'content-type': 'text/plain' });
        res.end(`fake-slack injected HTTP ${fault.status}`);
      }
      return true;
    }
    const body = fail(fault.error, fault.extra ?? {});
    if (call) call.result = body;
    sendJson(res, 200, body);
    return true;
  }

  async function handleApi(method: string, req: IncomingMessage, raw: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
    const parsed = parseArgs(raw, req.headers['content-type'] ?? '', query);
    const args: Obj = typeof parsed === 'string' ? {} : parsed;
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (str(args.token) ?? null);
    delete args.token;
    const call: FakeCall = { method, args, token, at: now() };
    calls.push(call);
    let answer = (body: Obj, status = 200, headers: Record<string, string> = {}): void => {
      call.result = status === 200 ? body : { http: status, ...body };
      sendJson(res, status, body, headers);
      for (const listener of answeredListeners) listener(call);
    };
    const fault = takeFault(method);
    let lostResponse = false;
    if (fault && 'lostResponse' in fault) lostResponse = true;
    else if (await applyFault(fault, res, call)) return;
    if (lostResponse) {
      const realAnswer = answer;
      answer = (body: Obj) => {
        call.result = { http: 500, lost: body };
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('fake-slack: response lost after processing');
        void realAnswer;
      };
    }
    if (typeof parsed === 'string') return answer(fail(parsed));
    if (method === 'oauth.v2.access') return answer(oauthV2Access(args, auth));
    const handler = methods[method];
    if (!handler) return answer(fail('unknown_method'));
    if (!token) return answer(fail('not_authed'));
    const team = teams.get(tokens.get(token) ?? '');
    if (!team) return answer(fail('invalid_auth'));
    if (method === 'chat.postMessage' && rateLimit) {
      const ch = str(args.channel) ? resolveChannel(str(args.channel) ?? '', team) : undefined;
      const wait = takeRateToken(ch?.id ?? String(args.channel));
      if (wait !== undefined) return answer({ ok: false, error: 'ratelimited' }, 429, { 'retry-after': String(wait) });
    }
    answer(handler({ args, token, team }));
  }

  async function handleResponseUrl(id: string, req: IncomingMessage, raw: string, res: ServerResponse): Promise<void> {
    const url = `${baseUrl}/response/${id}`;
    const state = responseUrls.get(id);
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      const payload = new URLSearchParams(raw).get('payload');
      if (payload) {
        try {
          body = JSON.parse(payload);
        } catch {
          // keep raw text
        }
      }
    }
    const record: FakeResponse = { id, url, body, problems: [], at: now() };
    responses.push(record);
    if (await applyFault(takeFault('response_url'), res)) return;
    if (!state) return sendJson(res, 404, fail('invalid_url'));
    if (now() - state.issuedAt > RESPONSE_URL_TTL_MS) return sendJson(res, 404, fail('expired_url'));
    if (++state.uses > RESPONSE_URL_USES) return sendJson(res, 404, fail('used_url'));
    if (!isObj(body)) {
      record.problems.push('body: must be a JSON object');
      return sendJson(res, 400, fail('invalid_payload'));
    }
    const rt = body.response_type;
    if (rt !== undefined && rt !== 'ephemeral' && rt !== 'in_channel') record.problems.push(`response_type: must be ephemeral or in_channel (got ${JSON.stringify(rt)})`);
    if (!truthy(body.delete_original)) record.problems.push(...validateMessage({ text: body.text, blocks: body.blocks }, { requireTextFallback }));
    if (record.problems.length > 0) return sendJson(res, 200, fail(record.problems.some((p) => p.startsWith('blocks')) ? 'invalid_blocks' : 'invalid_arguments', { errors: record.problems }));
    applyResponseEffects(state, body);
    sendJson(res, 200, { ok: true });
  }

  /** What Slack would show: replaced/deleted original, an in_channel post, or an ephemeral. */
  function applyResponseEffects(state: ResponseUrlState, body: Obj): void {
    const ch = state.channelId ? channels.get(state.channelId) : undefined;
    const team = state.teamId ? teams.get(state.teamId) : ch ? teams.get(ch.teamId) : undefined;
    if (!ch || !team) return;
    const list = messages.get(ch.id) ?? [];
    const original = state.messageTs ? list.find((m) => m.ts === state.messageTs) : undefined;
    if (truthy(body.delete_original)) {
      if (original) messages.set(ch.id, list.filter((m) => m !== original));
      return;
    }
    const text = typeof body.text === 'string' ? body.text : '';
    if (truthy(body.replace_original) && original) {
      original.text = text;
      if (Array.isArray(body.blocks)) original.blocks = clone(body.blocks);
      else delete original.blocks;
      original.edited = { user: team.botUserId, ts: nextTs() };
    } else if (body.response_type === 'in_channel') {
      storeMessage(ch, team, { text, blocks: body.blocks, ...(typeof body.thread_ts === 'string' ? { thread_ts: body.thread_ts } : {}) });
    } else {
      const e: FakeEphemeral = { channel: ch.id, user: state.userId ?? '', text, message_ts: nextTs(), via: 'response_url' };
      if (Array.isArray(body.blocks)) e.blocks = clone(body.blocks);
      ephemerals.push(e);
    }
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const raw = await readBody(req);
      if (url.pathname.startsWith('/api/')) return handleApi(url.pathname.slice(5), req, raw, url.searchParams, res);
      if (url.pathname.startsWith('/response/')) return handleResponseUrl(url.pathname.slice(10), req, raw, res);
      sendJson(res, 404, fail('not_found'));
    })().catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, fail('fake_slack_crashed', { detail: String(e) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;

  // ----- the API object -----

  const api: FakeSlack = {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    port,
    appId,
    clientId,
    clientSecret,

    addTeam(input) {
      const team: FakeTeam = {
        id: input.id,
        name: input.name ?? `Team ${input.id}`,
        domain: input.domain ?? input.id.toLowerCase(),
        botToken: input.botToken,
        botUserId: input.botUserId,
        botId: input.botId,
        botName: input.botName ?? 'identity-bot',
        enterpriseId: input.enterpriseId ?? null,
      };
      teams.set(team.id, team);
      tokens.set(team.botToken, team.id);
      return team;
    },
    addChannel(input) {
      const ch: FakeChannel = { id: input.id, name: input.name, teamId: input.teamId, isPrivate: input.isPrivate, isArchived: input.isArchived ?? false, isIm: false, members: [...input.members] };
      channels.set(ch.id, ch);
      return ch;
    },
    addUser(input) {
      const u: FakeUser = {
        id: input.id,
        teamId: input.teamId,
        name: input.name,
        realName: input.realName ?? input.name,
        isAdmin: input.isAdmin ?? false,
        isOwner: input.isOwner ?? false,
        isPrimaryOwner: input.isPrimaryOwner ?? false,
        isBot: input.isBot ?? false,
        deleted: input.deleted ?? false,
      };
      users.set(u.id, u);
      return u;
    },
    addMessage({ channel, user, text, blocks, threadTs }) {
      const ch = channels.get(channel);
      if (!ch) throw new Error(`fake-slack: unknown channel ${channel}`);
      const msg: FakeMessage = { type: 'message', channel, ts: nextTs(), text, user, team: ch.teamId };
      if (blocks) msg.blocks = clone(blocks);
      if (threadTs) msg.thread_ts = threadTs;
      const list = messages.get(channel) ?? [];
      list.push(msg);
      messages.set(channel, list);
      return msg.ts;
    },
    team: (id) => teams.get(id),
    channel: (id) => channels.get(id),
    user: (id) => users.get(id),

    renameChannel(id, name) {
      const ch = knownChannel(id);
      ch.name = name;
      return { type: ch.isPrivate ? 'group_rename' : 'channel_rename', channel: { id: ch.id, name, name_normalized: name, created: Math.floor(now() / 1000), is_channel: !ch.isPrivate, is_mpim: false }, event_ts: nextTs() };
    },
    archiveChannel(id, byUserId) {
      const ch = knownChannel(id);
      ch.isArchived = true;
      return { type: ch.isPrivate ? 'group_archive' : 'channel_archive', channel: ch.id, user: byUserId, event_ts: nextTs() };
    },
    unarchiveChannel(id, byUserId) {
      const ch = knownChannel(id);
      ch.isArchived = false;
      return { type: ch.isPrivate ? 'group_unarchive' : 'channel_unarchive', channel: ch.id, user: byUserId, event_ts: nextTs() };
    },
    deleteChannel(id, byUserId) {
      const ch = knownChannel(id);
      channels.delete(id);
      messages.delete(id);
      return { type: ch.isPrivate ? 'group_deleted' : 'channel_deleted', channel: ch.id, actor_id: byUserId, date_deleted: Math.floor(now() / 1000), event_ts: nextTs() };
    },
    removeFromChannel(id, userId, byUserId) {
      const ch = knownChannel(id);
      ch.members = ch.members.filter((m) => m !== userId);
      const memberLeft = { type: 'member_left_channel', user: userId, channel: ch.id, channel_type: ch.isPrivate ? 'G' : 'C', team: ch.teamId, event_ts: nextTs() };
      const isBot = teams.get(ch.teamId)?.botUserId === userId;
      return isBot ? [{ type: ch.isPrivate ? 'group_left' : 'channel_left', channel: ch.id, actor_id: byUserId, event_ts: nextTs() }, memberLeft] : [memberLeft];
    },
    inviteToChannel(id, userId, byUserId) {
      const ch = knownChannel(id);
      if (!ch.members.includes(userId)) ch.members.push(userId);
      return { type: 'member_joined_channel', user: userId, channel: ch.id, channel_type: ch.isPrivate ? 'G' : 'C', team: ch.teamId, inviter: byUserId, event_ts: nextTs() };
    },
    directMessages: (userId) => {
      const dm = [...channels.values()].find((c) => c.isIm && c.members.includes(userId));
      return dm ? api.messages(dm.id) : [];
    },

    issueTriggerId(teamId, userId, viewId) {
      const id = `${Math.floor(now() / 1000)}.${++seq}.${hex(16)}`;
      triggers.set(id, { teamId, userId, issuedAt: now(), used: false, ...(viewId ? { viewId } : {}) });
      return id;
    },
    issueOAuthCode(input) {
      const code = `${++seq}.${hex(16)}`;
      oauthCodes.set(code, { ...input, issuedAt: now(), used: false });
      return code;
    },
    issueResponseUrl(ctx = {}) {
      const id = `T${++seq}/${hex(12)}`;
      responseUrls.set(id, { ...ctx, issuedAt: now(), uses: 0 });
      return `${baseUrl}/response/${id}`;
    },

    get calls() {
      return calls;
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    onAnswered(listener) {
      answeredListeners.add(listener);
      return () => answeredListeners.delete(listener);
    },
    get responses() {
      return responses;
    },
    messages: (channelId) => clone(messages.get(channelId) ?? []).sort((a, b) => Number(a.ts) - Number(b.ts)),
    ephemerals: (channelId) => clone(ephemerals.filter((e) => channelId === undefined || e.channel === channelId)),
    view: (viewId) => {
      const v = views.get(viewId);
      return v ? clone(v) : undefined;
    },
    lastView: () => (lastViewId ? api.view(lastViewId) : undefined),
    isViewOpen: (viewId) => viewMeta.get(viewId)?.open ?? false,
    viewStack: (viewId) => stackOf(viewId),

    applyViewSubmissionAck(viewId, body) {
      const view = views.get(viewId);
      const meta = viewMeta.get(viewId);
      if (!view || !meta) throw new Error(`fake-slack: unknown view ${viewId}`);
      const closeThis = (): void => {
        meta.open = false;
      };
      const ack = isObj(body) ? body : {};
      switch (ack.response_action) {
        case undefined:
          closeThis();
          return { kind: 'close', problems: [] };
        case 'clear':
          for (const id of stackOf(viewId)) {
            const m = viewMeta.get(id);
            if (m) m.open = false;
          }
          return { kind: 'clear', problems: [] };
        case 'errors': {
          const errors = isObj(ack.errors) ? ack.errors : {};
          const inputIds = new Set(view.blocks.filter((b): b is Obj => isObj(b) && b.type === 'input').map((b) => b.block_id));
          const problems: string[] = [];
          if (!isObj(ack.errors) || Object.keys(errors).length === 0) problems.push('errors: must be a non-empty object keyed by input block_id');
          for (const [k, v] of Object.entries(errors)) {
            // Slack shows "We had some trouble connecting" for keys that are not input blocks.
            if (!inputIds.has(k)) problems.push(`errors.${k}: not the block_id of an input block in view ${viewId}`);
            if (typeof v !== 'string' || v.length === 0) problems.push(`errors.${k}: must be a non-empty string`);
          }
          return { kind: 'errors', errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, String(v)])), problems };
        }
        case 'update':
        case 'push': {
          const bad = viewError(ack.view);
          if (bad) {
            const msgs = (bad.response_metadata as { messages?: string[] } | undefined)?.messages ?? [String(bad.error)];
            return { kind: ack.response_action, problems: msgs };
          }
          const input = ack.view as Obj;
          if (ack.response_action === 'update') return { kind: 'update', view: clone(updateView(view, input)), problems: [] };
          const stack = stackOf(viewId);
          if (stack.length >= MAX_MODAL_STACK) return { kind: 'push', problems: [`push: modal stack already holds ${stack.length} views (max ${MAX_MODAL_STACK})`] };
          const team = teams.get(view.team_id);
          if (!team) throw new Error(`fake-slack: team ${view.team_id} vanished`);
          return { kind: 'push', view: clone(openView(input, team, meta.userId, view)), problems: [] };
        }
        default:
          return { kind: 'close', problems: [`response_action: unknown ${JSON.stringify(ack.response_action)} (errors|update|push|clear)`] };
      }
    },

    failNext(method, fault, times = 1) {
      const queue = faults.get(method) ?? [];
      queue.push({ fault, remaining: times });
      faults.set(method, queue);
    },
    setChannelRateLimit(limit) {
      rateLimit = limit;
      buckets = new Map();
    },

    reset({ all = false } = {}) {
      calls = [];
      responses = [];
      faults = new Map();
      rateLimit = null;
      buckets = new Map();
      messages = new Map();
      ephemerals = [];
      views = new Map();
      viewMeta = new Map();
      lastViewId = undefined;
      triggers = new Map();
      oauthCodes = new Map();
      responseUrls = new Map();
      if (all) {
        teams.clear();
        tokens.clear();
        channels.clear();
        users.clear();
      }
    },

    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
  return api;
}
