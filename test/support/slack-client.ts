// Plays Slack's side of the Events/Interactivity HTTP contract against the app:
// signed slash commands, view submissions, block suggestions and block actions,
// built from the fake Slack's current state the way Slack's client would.

import { createHmac } from 'node:crypto';
import { isObj, validateOptionsResponse } from './block-kit.ts';
import type { FakeSlack, FakeView, SlackEvent, ViewAck } from './fake-slack.ts';

type Obj = Record<string, unknown>;

/** Slack gives the app 3 s to ack commands, actions, options and view submissions. */
export const ACK_DEADLINE_MS = 3000;

export interface SlackClientOptions {
  /** e.g. http://127.0.0.1:PORT/slack/events */
  url: string;
  signingSecret: string;
  fakeSlack: FakeSlack;
  /** Legacy verification token put in payloads (Bolt ignores it). */
  verificationToken?: string;
  /** Clock for X-Slack-Request-Timestamp and action_ts (default Date.now). */
  now?: () => number;
}

export interface SlackHttpResult {
  status: number;
  /** Parsed JSON, or the text ('' for an empty ack). */
  body: unknown;
  headers: Record<string, string>;
  elapsedMs: number;
}

/** One value per input block, for that block's single element. */
export type OptionInput = string | { value: string; text?: string };
export type InputValue = string | number | null | OptionInput | OptionInput[];

export interface CommandOptions {
  teamId: string;
  userId: string;
  channelId: string;
  channelName?: string;
  text?: string;
  command?: string;
  enterpriseId?: string;
  userName?: string;
}

export interface SubmitViewOptions {
  teamId: string;
  userId: string;
  viewId: string;
  /** block_id → value; inputs left out get their initial_* value (or none). */
  values?: Record<string, InputValue>;
  /** Skip what Slack's client checks before sending (required, lengths, formats). */
  bypassClientChecks?: boolean;
}

export type SubmitAck = ViewAck | { kind: 'failed'; problems: string[] };

export interface BlockSuggestionOptions {
  teamId: string;
  userId: string;
  viewId: string;
  actionId: string;
  blockId: string;
  value: string;
  bypassClientChecks?: boolean;
}

interface BlockActionsBase {
  teamId: string;
  userId: string;
  actionId: string;
  blockId: string;
  /** Button value override, or the selection for select/checkbox elements. */
  value?: InputValue;
  bypassClientChecks?: boolean;
}
export interface MessageBlockActionsOptions extends BlockActionsBase {
  channelId: string;
  messageTs: string;
  /** Defaults to the current message from fakeSlack.messages(channelId). */
  message?: Obj;
}
export interface ViewBlockActionsOptions extends BlockActionsBase {
  viewId: string;
}

export interface EventOptions {
  teamId: string;
  /** The inner event, e.g. what fakeSlack.archiveChannel returned. */
  event: SlackEvent;
  /** Default: a new one. A redelivery keeps the first delivery's id. */
  eventId?: string;
  /** A redelivery: sent with X-Slack-Retry-Num (and X-Slack-Retry-Reason http_timeout). */
  retryNum?: number;
}

export interface RawOptions {
  body: string;
  contentType?: string;
  /** Extra headers; `undefined` removes one (e.g. to drop the signature). */
  headers?: Record<string, string | undefined>;
  /** true (default) signs with the client's secret and now; `{secret, timestamp}` overrides either. */
  sign?: boolean | { secret?: string; timestamp?: number };
}

export interface SlackClient {
  command(opts: CommandOptions): Promise<SlackHttpResult & { triggerId: string; responseUrl: string; form: Record<string, string> }>;
  submitView(opts: SubmitViewOptions): Promise<SlackHttpResult & { payload: Obj; triggerId: string; ack: SubmitAck }>;
  blockSuggestion(opts: BlockSuggestionOptions): Promise<SlackHttpResult & { payload: Obj; problems: string[] }>;
  blockActions(opts: MessageBlockActionsOptions | ViewBlockActionsOptions): Promise<SlackHttpResult & { payload: Obj; triggerId: string; responseUrl?: string }>;
  /** Sends an Events API delivery (an event_callback envelope as JSON), signed, as Slack does for the team's installation. */
  event(opts: EventOptions): Promise<SlackHttpResult & { eventId: string; envelope: Obj }>;
  /** Sends any interactivity payload as `payload=<JSON>`, signed. */
  interactive(payload: Obj): Promise<SlackHttpResult>;
  raw(opts: RawOptions): Promise<SlackHttpResult>;
}

/** `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{body}`), as Slack signs requests. */
export function signSlackRequest(signingSecret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

// ---------- view helpers ----------

interface InputSlot {
  blockId: string;
  actionId: string;
  element: Obj;
  optional: boolean;
}

function inputSlots(view: FakeView): InputSlot[] {
  const slots: InputSlot[] = [];
  for (const b of view.blocks) {
    if (!isObj(b) || b.type !== 'input' || !isObj(b.element)) continue;
    slots.push({ blockId: String(b.block_id), actionId: String(b.element.action_id), element: b.element, optional: b.optional === true });
  }
  return slots;
}

/** Every element of a block (accessory, elements[], element) with its action_id. */
function findElement(blocks: unknown, blockId: string, actionId: string): Obj | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const b of blocks) {
    if (!isObj(b) || b.block_id !== blockId) continue;
    const candidates = [b.accessory, b.element, ...(Array.isArray(b.elements) ? b.elements : [])];
    for (const el of candidates) if (isObj(el) && el.action_id === actionId) return el;
  }
  return undefined;
}

const asOptionInputs = (v: InputValue): OptionInput[] => (Array.isArray(v) ? v : v === null || typeof v === 'number' ? [] : [v]);
const optionValue = (o: OptionInput): string => (typeof o === 'string' ? o : o.value);

/** Options of a static select / checkboxes / radios, flattening option_groups. */
function elementOptions(el: Obj): Obj[] {
  const direct = Array.isArray(el.options) ? el.options : [];
  const grouped = Array.isArray(el.option_groups) ? el.option_groups.flatMap((g) => (isObj(g) && Array.isArray(g.options) ? g.options : [])) : [];
  return [...direct, ...grouped].filter(isObj);
}

/** Thrown when Slack's own client would refuse to send what a test asked for. */
export class ClientCheckError extends Error {}

/**
 * The state entry Slack sends for one element: `{type, value}` for text inputs,
 * `{type, selected_option}` for selects, etc. `given` undefined = the user left it
 * as it was, so initial_* values apply. Also returns whether it is empty.
 */
function elementState(el: Obj, given: InputValue | undefined, where: string, strict: boolean): { state: Obj; empty: boolean } {
  const type = String(el.type);
  const check = (ok: boolean, msg: string): void => {
    if (strict && !ok) throw new ClientCheckError(`${where}: ${msg} (Slack's client would not send this; pass bypassClientChecks to force)`);
  };
  const pickOptions = (inputs: OptionInput[], fromElement: boolean): Obj[] =>
    inputs.map((o) => {
      const value = optionValue(o);
      if (fromElement) {
        const found = elementOptions(el).find((x) => x.value === value);
        check(found !== undefined, `option ${JSON.stringify(value)} is not one of the element's options`);
        if (found) return structuredClone(found);
      }
      const text = typeof o === 'string' ? value : (o.text ?? value);
      return { text: { type: 'plain_text', text, emoji: true }, value };
    });

  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      let value: string | null;
      if (given === undefined) value = typeof el.initial_value === 'string' ? el.initial_value : null;
      else if (given === null || typeof given === 'string' || typeof given === 'number') value = given === null ? null : String(given);
      else throw new Error(`${where}: ${type} takes a string value`);
      if (value === '') value = null; // Slack sends null for an empty field
      if (value !== null) {
        if (type === 'plain_text_input') {
          if (typeof el.max_length === 'number') check(value.length <= el.max_length, `${value.length} chars > max_length ${el.max_length}`);
          if (typeof el.min_length === 'number') check(value.length >= el.min_length, `${value.length} chars < min_length ${el.min_length}`);
        } else if (type === 'email_text_input') check(/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value), `${JSON.stringify(value)} is not an email address`);
        else if (type === 'url_text_input') check(/^https?:\/\/\S+$/.test(value), `${JSON.stringify(value)} is not a URL`);
        else {
          const decimal = el.is_decimal_allowed === true;
          check((decimal ? /^-?\d+(\.\d+)?$/ : /^-?\d+$/).test(value), `${JSON.stringify(value)} is not ${decimal ? 'a number' : 'an integer'}`);
          const n = Number(value);
          if (typeof el.min_value === 'string') check(n >= Number(el.min_value), `${n} < min_value ${el.min_value}`);
          if (typeof el.max_value === 'string') check(n <= Number(el.max_value), `${n} > max_value ${el.max_value}`);
        }
      }
      return { state: { type, value }, empty: value === null };
    }
    case 'static_select':
    case 'external_select':
    case 'radio_buttons': {
      let selected: Obj | null = isObj(el.initial_option) ? structuredClone(el.initial_option) : null;
      if (given !== undefined) {
        const inputs = asOptionInputs(given);
        check(inputs.length <= 1, 'takes a single option');
        selected = pickOptions(inputs, type !== 'external_select')[0] ?? null;
      }
      return { state: { type, selected_option: selected }, empty: selected === null };
    }
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes': {
      const fromElement = type !== 'multi_external_select';
      const initial = Array.isArray(el.initial_options) ? el.initial_options.filter(isObj).map((o) => structuredClone(o)) : [];
      const selected = given === undefined ? initial : pickOptions(asOptionInputs(given), fromElement);
      if (typeof el.max_selected_items === 'number') check(selected.length <= el.max_selected_items, `${selected.length} options > max_selected_items ${el.max_selected_items}`);
      return { state: { type, selected_options: selected }, empty: selected.length === 0 };
    }
    case 'users_select':
    case 'conversations_select':
    case 'channels_select': {
      const noun = type.replace('_select', '').replace(/s$/, '');
      const initial = el[`initial_${noun}`];
      const id = given === undefined ? (typeof initial === 'string' ? initial : null) : given === null ? null : optionValue(asOptionInputs(given)[0] ?? '');
      return { state: { type, [`selected_${noun}`]: id || null }, empty: !id };
    }
    case 'multi_users_select':
    case 'multi_conversations_select':
    case 'multi_channels_select': {
      const noun = type.replace('multi_', '').replace('_select', '');
      const initial = el[`initial_${noun}`];
      const ids = given === undefined ? (Array.isArray(initial) ? initial.map(String) : []) : asOptionInputs(given).map(optionValue);
      if (typeof el.max_selected_items === 'number') check(ids.length <= el.max_selected_items, `${ids.length} items > max_selected_items ${el.max_selected_items}`);
      return { state: { type, [`selected_${noun}`]: ids }, empty: ids.length === 0 };
    }
    case 'datepicker': {
      const initial = typeof el.initial_date === 'string' ? el.initial_date : null;
      const date = given === undefined ? initial : typeof given === 'string' ? given : null;
      if (date) check(/^\d{4}-\d{2}-\d{2}$/.test(date), `${JSON.stringify(date)} is not YYYY-MM-DD`);
      return { state: { type, selected_date: date || null }, empty: !date };
    }
    default:
      throw new Error(`${where}: slack-client does not know how to fill a ${type}`);
  }
}

async function toResult(res: Response, startedAt: number): Promise<SlackHttpResult> {
  const text = await res.text();
  let body: unknown = text;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
  }
  return { status: res.status, body, headers: Object.fromEntries(res.headers.entries()), elapsedMs: performance.now() - startedAt };
}

// ---------- the client ----------

export function createSlackClient(opts: SlackClientOptions): SlackClient {
  const { url, signingSecret, fakeSlack } = opts;
  const now = opts.now ?? Date.now;
  const verificationToken = opts.verificationToken ?? 'fake-verification-token';

  async function raw({ body, contentType = 'application/x-www-form-urlencoded', headers = {}, sign = true }: RawOptions): Promise<SlackHttpResult> {
    const all: Record<string, string | undefined> = { 'content-type': contentType };
    if (sign !== false) {
      const s = sign === true ? {} : sign;
      const ts = s.timestamp ?? Math.floor(now() / 1000);
      all['x-slack-request-timestamp'] = String(ts);
      all['x-slack-signature'] = signSlackRequest(s.secret ?? signingSecret, ts, body);
    }
    for (const [k, v] of Object.entries(headers)) all[k.toLowerCase()] = v;
    const sent: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) if (v !== undefined) sent[k] = v;
    const startedAt = performance.now();
    const res = await fetch(url, { method: 'POST', headers: sent, body });
    return toResult(res, startedAt);
  }

  const interactive = (payload: Obj): Promise<SlackHttpResult> => raw({ body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString() });

  function teamOf(teamId: string) {
    const team = fakeSlack.team(teamId);
    if (!team) throw new Error(`slack-client: team ${teamId} is not in the fake (addTeam first)`);
    return team;
  }

  /** team, user, enterprise and app fields common to interactivity payloads. */
  function who(teamId: string, userId: string): Obj {
    const team = teamOf(teamId);
    const name = fakeSlack.user(userId)?.name ?? `user-${userId.toLowerCase()}`;
    const enterprise = team.enterpriseId ? { id: team.enterpriseId, name: `Enterprise ${team.enterpriseId}` } : null;
    return {
      team: { id: team.id, domain: team.domain, ...(enterprise ? { enterprise_id: enterprise.id, enterprise_name: enterprise.name } : {}) },
      user: { id: userId, username: name, name, team_id: team.id },
      api_app_id: fakeSlack.appId,
      token: verificationToken,
      is_enterprise_install: false,
      enterprise,
    };
  }

  function currentView(viewId: string): FakeView {
    const view = fakeSlack.view(viewId);
    if (!view) throw new Error(`slack-client: view ${viewId} is not in the fake`);
    if (!fakeSlack.isViewOpen(viewId)) throw new Error(`slack-client: view ${viewId} is closed; the user cannot interact with it`);
    return view;
  }

  const actionTs = (): string => (now() / 1000).toFixed(6);
  let eventSeq = 0;

  return {
    raw,
    interactive,

    async event({ teamId, event, eventId, retryNum }) {
      const team = teamOf(teamId);
      const id = eventId ?? `Ev${Date.now().toString(36).toUpperCase()}${(++eventSeq).toString(36).toUpperCase().padStart(4, '0')}`;
      const envelope: Obj = {
        token: verificationToken,
        team_id: team.id,
        ...(team.enterpriseId ? { enterprise_id: team.enterpriseId } : {}),
        api_app_id: fakeSlack.appId,
        event: { event_ts: actionTs(), ...event },
        type: 'event_callback',
        event_id: id,
        event_time: Math.floor(now() / 1000),
        // Bot event subscriptions name the installation's bot user.
        authorizations: [{ enterprise_id: team.enterpriseId, team_id: team.id, user_id: team.botUserId, is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
      };
      const headers = retryNum ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' } : {};
      const result = await raw({ body: JSON.stringify(envelope), contentType: 'application/json', headers });
      return { ...result, eventId: id, envelope };
    },

    async command({ teamId, userId, channelId, channelName, text = '', command = '/identity', enterpriseId, userName }) {
      const team = teamOf(teamId);
      const entId = enterpriseId ?? team.enterpriseId ?? undefined;
      const triggerId = fakeSlack.issueTriggerId(teamId, userId);
      const responseUrl = fakeSlack.issueResponseUrl({ teamId, channelId, userId });
      const form: Record<string, string> = {
        token: verificationToken,
        team_id: teamId,
        team_domain: team.domain,
        ...(entId ? { enterprise_id: entId, enterprise_name: `Enterprise ${entId}` } : {}),
        channel_id: channelId,
        channel_name: channelName ?? fakeSlack.channel(channelId)?.name ?? (channelId.startsWith('D') ? 'directmessage' : channelId.toLowerCase()),
        user_id: userId,
        user_name: userName ?? fakeSlack.user(userId)?.name ?? `user-${userId.toLowerCase()}`,
        command,
        text,
        api_app_id: fakeSlack.appId,
        is_enterprise_install: 'false',
        response_url: responseUrl,
        trigger_id: triggerId,
      };
      const result = await raw({ body: new URLSearchParams(form).toString() });
      return { ...result, triggerId, responseUrl, form };
    },

    async submitView({ teamId, userId, viewId, values = {}, bypassClientChecks = false }) {
      const view = currentView(viewId);
      const slots = inputSlots(view);
      for (const blockId of Object.keys(values)) {
        if (!slots.some((s) => s.blockId === blockId)) {
          throw new Error(`slack-client: ${blockId} is not an input block of view ${viewId} (inputs: ${slots.map((s) => s.blockId).join(', ') || 'none'})`);
        }
      }
      const stateValues: Record<string, Record<string, Obj>> = {};
      for (const slot of slots) {
        const where = `view ${viewId} input ${slot.blockId}`;
        const { state, empty } = elementState(slot.element, values[slot.blockId], where, !bypassClientChecks);
        if (empty && !slot.optional && !bypassClientChecks) {
          throw new ClientCheckError(`${where}: required input has no value (Slack's client blocks the submission; pass bypassClientChecks to force)`);
        }
        stateValues[slot.blockId] = { [slot.actionId]: state };
      }
      const triggerId = fakeSlack.issueTriggerId(teamId, userId, viewId);
      const payload: Obj = {
        type: 'view_submission',
        ...who(teamId, userId),
        trigger_id: triggerId,
        view: { ...view, state: { values: stateValues } },
        response_urls: [],
      };
      const result = await interactive(payload);
      let ack: SubmitAck;
      if (result.status !== 200) ack = { kind: 'failed', problems: [`HTTP ${result.status}: Slack shows "We had some trouble connecting"`] };
      else if (result.body !== '' && !isObj(result.body)) ack = { kind: 'failed', problems: ['ack body is not JSON: Slack shows "We had some trouble connecting"'] };
      else ack = fakeSlack.applyViewSubmissionAck(viewId, result.body);
      if (result.elapsedMs > ACK_DEADLINE_MS) ack.problems.push(`acked after ${Math.round(result.elapsedMs)} ms > ${ACK_DEADLINE_MS} ms`);
      return { ...result, payload, triggerId, ack };
    },

    async blockSuggestion({ teamId, userId, viewId, actionId, blockId, value, bypassClientChecks = false }) {
      const view = currentView(viewId);
      const el = findElement(view.blocks, blockId, actionId);
      if (!bypassClientChecks) {
        if (!el || (el.type !== 'external_select' && el.type !== 'multi_external_select')) {
          throw new ClientCheckError(`slack-client: ${blockId}/${actionId} is not an external select in view ${viewId}`);
        }
        const min = typeof el.min_query_length === 'number' ? el.min_query_length : 3;
        if (value.length < min) throw new ClientCheckError(`slack-client: query ${JSON.stringify(value)} is shorter than min_query_length ${min}; Slack would not ask`);
      }
      const payload: Obj = {
        type: 'block_suggestion',
        ...who(teamId, userId),
        container: { type: 'view', view_id: viewId },
        view,
        action_id: actionId,
        block_id: blockId,
        value,
      };
      const result = await interactive(payload);
      const problems = result.status === 200 ? validateOptionsResponse(result.body) : [`HTTP ${result.status}: Slack shows no options`];
      if (result.elapsedMs > ACK_DEADLINE_MS) problems.push(`answered after ${Math.round(result.elapsedMs)} ms > ${ACK_DEADLINE_MS} ms`);
      return { ...result, payload, problems };
    },

    async blockActions(o) {
      const strict = !o.bypassClientChecks;
      let blocks: unknown;
      let surface: Obj;
      let triggerId: string;
      let responseUrl: string | undefined;
      if ('viewId' in o) {
        const view = currentView(o.viewId);
        blocks = view.blocks;
        triggerId = fakeSlack.issueTriggerId(o.teamId, o.userId, o.viewId);
        surface = { container: { type: 'view', view_id: o.viewId }, view };
      } else {
        const message = o.message ?? fakeSlack.messages(o.channelId).find((m) => m.ts === o.messageTs);
        if (!message && strict) throw new ClientCheckError(`slack-client: no message ${o.messageTs} in ${o.channelId}`);
        blocks = message?.blocks;
        triggerId = fakeSlack.issueTriggerId(o.teamId, o.userId);
        responseUrl = fakeSlack.issueResponseUrl({ teamId: o.teamId, channelId: o.channelId, userId: o.userId, messageTs: o.messageTs });
        surface = {
          container: { type: 'message', message_ts: o.messageTs, channel_id: o.channelId, is_ephemeral: false },
          channel: { id: o.channelId, name: fakeSlack.channel(o.channelId)?.name ?? o.channelId.toLowerCase() },
          message: message ?? { ts: o.messageTs },
          state: { values: {} },
          response_url: responseUrl,
        };
      }
      const el = findElement(blocks, o.blockId, o.actionId);
      if (!el && strict) throw new ClientCheckError(`slack-client: no element ${o.blockId}/${o.actionId} to click`);
      let action: Obj;
      if (!el || el.type === 'button') {
        const value = typeof o.value === 'string' ? o.value : el?.value;
        action = { type: 'button', action_id: o.actionId, block_id: o.blockId, text: el?.text ?? { type: 'plain_text', text: 'Button' }, ...(value !== undefined ? { value } : {}), ...(el?.style ? { style: el.style } : {}) };
      } else {
        const { state } = elementState(el, o.value, `${o.blockId}/${o.actionId}`, strict);
        action = { ...state, action_id: o.actionId, block_id: o.blockId };
      }
      action.action_ts = actionTs();
      const payload: Obj = { type: 'block_actions', ...who(o.teamId, o.userId), trigger_id: triggerId, ...surface, actions: [action] };
      const result = await interactive(payload);
      return { ...result, payload, triggerId, ...(responseUrl ? { responseUrl } : {}) };
    },
  };
}
