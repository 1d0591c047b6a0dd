import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App, LogLevel, verifySlackRequest } from '@slack/bolt';
import { ErrorCode, WebClient } from '@slack/web-api';
import { startFakeSlack, type FakeSlack, type FakeSlackOptions } from './fake-slack.ts';
import { createSlackClient, signSlackRequest } from './slack-client.ts';

const TEAM = 'T0TEAM0001';
const TOKEN = 'xoxb-test-token';
const BOT_USER = 'U0BOT00001';
const ALICE = 'U0ALICE001';
const PUBLIC = 'C0PUBLIC01';
const PRIVATE = 'C0PRIVATE1';
const PRIVATE_IN = 'C0PRIVIN01';

const plain = (text: string) => ({ type: 'plain_text', text });
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const modal = (blocks: unknown[] = [section('hi')], extra: Record<string, unknown> = {}) => ({ type: 'modal', callback_id: 'cb', title: plain('Title'), blocks, ...extra });

let clock = 1_700_000_000_000;
let fake: FakeSlack;

async function start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  clock = 1_700_000_000_000;
  const f = await startFakeSlack({ now: () => clock, ...opts });
  f.addTeam({ id: TEAM, botToken: TOKEN, botUserId: BOT_USER, botId: 'B0BOT00001', domain: 'acme' });
  f.addUser({ id: ALICE, teamId: TEAM, name: 'alice', realName: 'Alice A', isAdmin: true });
  f.addChannel({ id: PUBLIC, name: 'general', teamId: TEAM, isPrivate: false, members: [ALICE] });
  f.addChannel({ id: PRIVATE, name: 'secret', teamId: TEAM, isPrivate: true, members: [ALICE] });
  f.addChannel({ id: PRIVATE_IN, name: 'approvals', teamId: TEAM, isPrivate: true, members: [ALICE, BOT_USER] });
  return f;
}

/** Posts like web-api 8: form-encoded, objects as JSON strings, Bearer token. */
async function call(method: string, args: Record<string, unknown> = {}, token: string | null = TOKEN): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(args)) form.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await fetch(`${fake.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: form.toString(),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text }, headers: res.headers };
}

const web = (opts: ConstructorParameters<typeof WebClient>[1] = {}) => new WebClient(TOKEN, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, ...opts });

describe('fake Slack Web API', () => {
  beforeEach(async () => {
    fake = await start();
  });
  afterEach(async () => {
    await fake.close();
  });

  describe('auth', () => {
    it('needs a known token, and a token acts as its team bot', async () => {
      expect((await call('auth.test', {}, null)).body).toEqual({ ok: false, error: 'not_authed' });
      expect((await call('auth.test', {}, 'xoxb-nope')).body).toEqual({ ok: false, error: 'invalid_auth' });
      expect((await call('auth.test')).body).toMatchObject({ ok: true, team_id: TEAM, user_id: BOT_USER, bot_id: 'B0BOT00001', url: 'https://acme.slack.com/' });
      expect((await call('apps.frobnicate')).body).toEqual({ ok: false, error: 'unknown_method' });
    });

    it('also accepts the token as a form field', async () => {
      expect((await call('auth.test', { token: TOKEN }, null)).body).toMatchObject({ ok: true });
      expect(fake.callsTo('auth.test').at(-1)).toMatchObject({ token: TOKEN, args: {} });
    });
  });

  describe('chat.postMessage', () => {
    it('rejects a 3001-char section with invalid_blocks citing the limit', async () => {
      const { body } = await call('chat.postMessage', { channel: PRIVATE_IN, text: 't', blocks: [section('x'.repeat(3001))] });
      expect(body).toMatchObject({ ok: false, error: 'invalid_blocks', errors: ['blocks[0].text.text: 3001 chars > 3000'] });
      expect(fake.messages(PRIVATE_IN)).toEqual([]);
    });

    it('rejects blocks without a text fallback, and neither text nor blocks', async () => {
      const { body } = await call('chat.postMessage', { channel: PRIVATE_IN, blocks: [section('hi')] });
      expect(body).toMatchObject({ ok: false, error: 'invalid_arguments', errors: [expect.stringMatching(/missing text fallback/)] });
      expect((await call('chat.postMessage', { channel: PRIVATE_IN })).body).toEqual({ ok: false, error: 'no_text' });
    });

    it('posts, returns unique increasing ts, and records the message', async () => {
      const a = await call('chat.postMessage', { channel: PRIVATE_IN, text: 'one', blocks: [section('one')] });
      const b = await call('chat.postMessage', { channel: PRIVATE_IN, text: 'two' });
      expect(a.body).toMatchObject({ ok: true, channel: PRIVATE_IN, ts: '1700000000.000000', message: { text: 'one', user: BOT_USER, bot_id: 'B0BOT00001' } });
      expect(b.body.ts).toBe('1700000000.000100');
      expect(fake.messages(PRIVATE_IN).map((m) => m.text)).toEqual(['one', 'two']);
    });

    it('models chat:write.public for public channels and hides private ones the bot is not in', async () => {
      expect((await call('chat.postMessage', { channel: PUBLIC, text: 'hi' })).body).toMatchObject({ ok: true });
      expect((await call('chat.postMessage', { channel: PRIVATE, text: 'hi' })).body).toEqual({ ok: false, error: 'channel_not_found' });
      expect((await call('chat.postMessage', { channel: 'C0NOPE0001', text: 'hi' })).body).toEqual({ ok: false, error: 'channel_not_found' });
    });

    it('answers not_in_channel without membership when the channel is visible but not joinable by posting', async () => {
      await fake.close();
      fake = await start({ privateChannelsVisible: true, chatWritePublic: false });
      expect((await call('chat.postMessage', { channel: PRIVATE, text: 'hi' })).body).toEqual({ ok: false, error: 'not_in_channel' });
      expect((await call('chat.postMessage', { channel: PUBLIC, text: 'hi' })).body).toEqual({ ok: false, error: 'not_in_channel' });
    });

    it('needs thread_ts to name an existing message, and counts replies', async () => {
      expect((await call('chat.postMessage', { channel: PRIVATE_IN, text: 'r', thread_ts: '1600000000.000100' })).body).toEqual({ ok: false, error: 'thread_not_found' });
      const parent = fake.addMessage({ channel: PRIVATE_IN, user: ALICE, text: 'question' });
      expect((await call('chat.postMessage', { channel: PRIVATE_IN, text: 'answer', thread_ts: parent })).body).toMatchObject({ ok: true, message: { thread_ts: parent } });
      expect(fake.messages(PRIVATE_IN)[0]).toMatchObject({ ts: parent, reply_count: 1, thread_ts: parent });
    });

    it('posts to a user id as a DM', async () => {
      const { body } = await call('chat.postMessage', { channel: ALICE, text: 'done' });
      expect(body).toMatchObject({ ok: true, channel: 'D0ALICE001' });
      expect(fake.messages('D0ALICE001')).toHaveLength(1);
    });

    it('enforces a per-channel token bucket with an integer Retry-After', async () => {
      fake.setChannelRateLimit({ perSecond: 1, burst: 2 });
      expect((await call('chat.postMessage', { channel: PUBLIC, text: '1' })).status).toBe(200);
      expect((await call('chat.postMessage', { channel: PUBLIC, text: '2' })).status).toBe(200);
      const limited = await call('chat.postMessage', { channel: PUBLIC, text: '3' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.body).toEqual({ ok: false, error: 'ratelimited' });
      expect((await call('chat.postMessage', { channel: PRIVATE_IN, text: 'other channel' })).status).toBe(200);
      clock += 1000;
      expect((await call('chat.postMessage', { channel: PUBLIC, text: '3 again' })).status).toBe(200);
    });
  });

  describe('chat.update', () => {
    it('edits only this bot’s existing messages and keeps blocks when omitted', async () => {
      const { body } = await call('chat.postMessage', { channel: PRIVATE_IN, text: 'v1', blocks: [section('v1')] });
      const ts = String(body.ts);
      expect((await call('chat.update', { channel: PRIVATE_IN, ts, text: 'v2' })).body).toMatchObject({ ok: true, ts, text: 'v2' });
      expect(fake.messages(PRIVATE_IN)[0]).toMatchObject({ text: 'v2', blocks: [section('v1')], edited: { user: BOT_USER } });
      expect((await call('chat.update', { channel: PRIVATE_IN, ts: '1.000001', text: 'x' })).body).toEqual({ ok: false, error: 'message_not_found' });
      const human = fake.addMessage({ channel: PRIVATE_IN, user: ALICE, text: 'mine' });
      expect((await call('chat.update', { channel: PRIVATE_IN, ts: human, text: 'x' })).body).toEqual({ ok: false, error: 'cant_update_message' });
      expect((await call('chat.update', { channel: PRIVATE_IN, ts, text: 'x', blocks: [section('y'.repeat(3001))] })).body).toMatchObject({ error: 'invalid_blocks' });
    });
  });

  describe('conversations and users', () => {
    it('conversations.info answers for visible channels only', async () => {
      expect((await call('conversations.info', { channel: PRIVATE_IN })).body).toEqual({
        ok: true,
        channel: { id: PRIVATE_IN, name: 'approvals', is_channel: true, is_group: false, is_im: false, is_private: true, is_member: true, is_archived: false, context_team_id: TEAM },
      });
      expect((await call('conversations.info', { channel: PUBLIC })).body).toMatchObject({ channel: { is_member: false, is_private: false } });
      expect((await call('conversations.info', { channel: PRIVATE })).body).toEqual({ ok: false, error: 'channel_not_found' });
    });

    it('conversations.join joins public channels only', async () => {
      expect((await call('conversations.join', { channel: PUBLIC })).body).toMatchObject({ ok: true, channel: { is_member: true } });
      expect(fake.channel(PUBLIC)?.members).toContain(BOT_USER);
      expect((await call('conversations.join', { channel: PRIVATE })).body).toEqual({ ok: false, error: 'channel_not_found' });
      expect((await call('conversations.join', { channel: PRIVATE_IN })).body).toEqual({ ok: false, error: 'method_not_supported_for_channel_type' });
    });

    it('conversations.join of a visible private channel fails with method_not_supported_for_channel_type', async () => {
      await fake.close();
      fake = await start({ privateChannelsVisible: true });
      expect((await call('conversations.info', { channel: PRIVATE })).body).toMatchObject({ ok: true, channel: { is_member: false, is_private: true } });
      expect((await call('conversations.join', { channel: PRIVATE })).body).toEqual({ ok: false, error: 'method_not_supported_for_channel_type' });
    });

    it('conversations.open opens the app’s DM with one person of the team, and posts land there', async () => {
      fake.addUser({ id: 'U0GONE0001', teamId: TEAM, name: 'gone', deleted: true });
      fake.addUser({ id: 'U0OTHERBOT', teamId: TEAM, name: 'otherbot', isBot: true });
      fake.addTeam({ id: 'T0OTHER001', botToken: 'xoxb-other', botUserId: 'U0BOTOTHER', botId: 'B0BOTOTHER' });
      fake.addUser({ id: 'U0STRANGER', teamId: 'T0OTHER001', name: 'stranger' });
      const opened = (await call('conversations.open', { users: ALICE })).body;
      expect(opened).toEqual({ ok: true, channel: { id: expect.stringMatching(/^D/) } });
      const dm = (opened.channel as { id: string }).id;
      expect((await call('conversations.open', { users: ALICE })).body).toEqual(opened);
      expect((await call('chat.postMessage', { channel: dm, text: 'hello' })).body).toMatchObject({ ok: true, channel: dm });
      expect(fake.directMessages(ALICE).map((m) => m.text)).toEqual(['hello']);

      expect((await call('conversations.open', {})).body).toEqual({ ok: false, error: 'users_list_not_supplied' });
      expect((await call('conversations.open', { users: 'U0STRANGER' })).body).toEqual({ ok: false, error: 'user_not_found' });
      expect((await call('conversations.open', { users: 'U0GONE0001' })).body).toEqual({ ok: false, error: 'user_disabled' });
      expect((await call('conversations.open', { users: 'U0OTHERBOT' })).body).toEqual({ ok: false, error: 'cannot_dm_bot' });
      expect((await call('conversations.open', { users: `${ALICE},U0GONE0001` })).body).toMatchObject({ ok: false, error: 'invalid_arguments' });
      expect((await call('chat.postMessage', { channel: 'D0NEVEROPEN', text: 'hello' })).body).toEqual({ ok: false, error: 'channel_not_found' });
    });

    it('changes channels as Slack’s client would, returning the events Slack sends the app', async () => {
      expect(fake.renameChannel(PUBLIC, 'town-square')).toMatchObject({ type: 'channel_rename', channel: { id: PUBLIC, name: 'town-square' } });
      expect(fake.renameChannel(PRIVATE_IN, 'drafts')).toMatchObject({ type: 'group_rename', channel: { id: PRIVATE_IN, name: 'drafts' } });
      expect(fake.archiveChannel(PRIVATE_IN, ALICE)).toMatchObject({ type: 'group_archive', channel: PRIVATE_IN, user: ALICE });
      expect((await call('chat.postMessage', { channel: PRIVATE_IN, text: 'x' })).body).toEqual({ ok: false, error: 'is_archived' });
      expect(fake.unarchiveChannel(PRIVATE_IN, ALICE)).toMatchObject({ type: 'group_unarchive', channel: PRIVATE_IN });
      expect(fake.removeFromChannel(PRIVATE_IN, BOT_USER, ALICE).map((e) => e.type)).toEqual(['group_left', 'member_left_channel']);
      expect((await call('chat.postMessage', { channel: PRIVATE_IN, text: 'x' })).body).toEqual({ ok: false, error: 'channel_not_found' });
      expect(fake.inviteToChannel(PRIVATE_IN, BOT_USER, ALICE)).toMatchObject({ type: 'member_joined_channel', user: BOT_USER, channel: PRIVATE_IN });
      expect(fake.removeFromChannel(PUBLIC, ALICE, ALICE)).toEqual([expect.objectContaining({ type: 'member_left_channel', user: ALICE, channel: PUBLIC, channel_type: 'C', team: TEAM })]);
      expect(fake.deleteChannel(PUBLIC, ALICE)).toMatchObject({ type: 'channel_deleted', channel: PUBLIC });
      expect((await call('conversations.info', { channel: PUBLIC })).body).toEqual({ ok: false, error: 'channel_not_found' });
      expect(() => fake.archiveChannel(PUBLIC, ALICE)).toThrow(/unknown channel/);
    });

    it('users.info', async () => {
      expect((await call('users.info', { user: ALICE })).body).toMatchObject({
        ok: true,
        user: { id: ALICE, team_id: TEAM, name: 'alice', real_name: 'Alice A', is_admin: true, is_owner: false, is_primary_owner: false, deleted: false, profile: { real_name: 'Alice A' } },
      });
      expect((await call('users.info', { user: 'U0NOBODY01' })).body).toEqual({ ok: false, error: 'user_not_found' });
    });
  });

  describe('views', () => {
    it('opens a modal with an issued trigger and returns Slack’s view shape', async () => {
      const trigger = fake.issueTriggerId(TEAM, ALICE);
      const { body } = await call('views.open', { trigger_id: trigger, view: modal([section('hi')], { private_metadata: 'm' }) });
      expect(body).toMatchObject({ ok: true, view: { id: expect.stringMatching(/^V/), hash: expect.any(String), team_id: TEAM, callback_id: 'cb', private_metadata: 'm', state: { values: {} }, previous_view_id: null } });
      const view = body.view as { id: string; root_view_id: string; blocks: Array<{ block_id?: string }> };
      expect(view.root_view_id).toBe(view.id);
      expect(view.blocks[0]?.block_id).toEqual(expect.any(String)); // Slack fills missing block_ids
      expect(fake.lastView()?.id).toBe(view.id);
    });

    it('rejects a reused, expired or unknown trigger id', async () => {
      const trigger = fake.issueTriggerId(TEAM, ALICE);
      expect((await call('views.open', { trigger_id: trigger, view: modal() })).body).toMatchObject({ ok: true });
      expect((await call('views.open', { trigger_id: trigger, view: modal() })).body).toEqual({ ok: false, error: 'exchanged_trigger_id' });
      const old = fake.issueTriggerId(TEAM, ALICE);
      clock += 3001;
      expect((await call('views.open', { trigger_id: old, view: modal() })).body).toEqual({ ok: false, error: 'expired_trigger_id' });
      expect((await call('views.open', { trigger_id: '123.456.abc', view: modal() })).body).toEqual({ ok: false, error: 'invalid_trigger_id' });
    });

    it('validates the view: a 3001-char section is invalid_arguments with messages', async () => {
      const { body } = await call('views.open', { trigger_id: fake.issueTriggerId(TEAM, ALICE), view: modal([section('x'.repeat(3001))]) });
      expect(body).toEqual({ ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] blocks[0].text.text: 3001 chars > 3000'] } });
      expect((await call('views.open', { view: modal() })).body).toMatchObject({ error: 'invalid_arguments' });
      const huge = modal(Array.from({ length: 100 }, () => section('x'.repeat(2999))));
      expect((await call('views.open', { trigger_id: fake.issueTriggerId(TEAM, ALICE), view: huge })).body).toEqual({ ok: false, error: 'view_too_large' });
    });

    it('views.update honours hash and external_id', async () => {
      const opened = await call('views.open', { trigger_id: fake.issueTriggerId(TEAM, ALICE), view: modal([section('loading')], { external_id: 'ext-1' }) });
      const v = opened.body.view as { id: string; hash: string };
      const updated = await call('views.update', { view_id: v.id, hash: v.hash, view: modal([section('ready')]) });
      expect(updated.body).toMatchObject({ ok: true, view: { id: v.id } });
      expect((await call('views.update', { view_id: v.id, hash: v.hash, view: modal() })).body).toEqual({ ok: false, error: 'hash_conflict' });
      expect((await call('views.update', { external_id: 'ext-1', view: modal([section('by external id')]) })).body).toMatchObject({ ok: true });
      expect(fake.view(v.id)?.blocks).toMatchObject([section('by external id')]);
      expect((await call('views.update', { view_id: 'V0NOPE', view: modal() })).body).toEqual({ ok: false, error: 'not_found' });
    });

    it('views.push stacks at most 3 views', async () => {
      const root = (await call('views.open', { trigger_id: fake.issueTriggerId(TEAM, ALICE), view: modal() })).body.view as { id: string };
      const second = await call('views.push', { trigger_id: fake.issueTriggerId(TEAM, ALICE, root.id), view: modal() });
      expect(second.body).toMatchObject({ ok: true, view: { root_view_id: root.id, previous_view_id: root.id } });
      const secondId = (second.body.view as { id: string }).id;
      expect((await call('views.push', { trigger_id: fake.issueTriggerId(TEAM, ALICE, secondId), view: modal() })).body).toMatchObject({ ok: true });
      expect((await call('views.push', { trigger_id: fake.issueTriggerId(TEAM, ALICE, secondId), view: modal() })).body).toEqual({ ok: false, error: 'push_limit_reached' });
      expect(fake.viewStack(root.id)).toHaveLength(3);
    });
  });

  describe('oauth.v2.access', () => {
    it('exchanges a single-use code for a working bot token', async () => {
      const code = fake.issueOAuthCode({ teamId: 'T0NEW00001', userId: 'U0INSTALL1', scopes: ['commands', 'chat:write'] });
      const basic = Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64');
      const res = await fetch(`${fake.apiUrl}oauth.v2.access`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` }, body: `code=${code}` });
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ ok: true, token_type: 'bot', scope: 'commands,chat:write', app_id: fake.appId, team: { id: 'T0NEW00001' }, enterprise: null, authed_user: { id: 'U0INSTALL1' }, is_enterprise_install: false });
      expect((await call('auth.test', {}, String(body.access_token))).body).toMatchObject({ ok: true, team_id: 'T0NEW00001', user_id: body.bot_user_id });
      expect((await call('oauth.v2.access', { client_id: fake.clientId, client_secret: fake.clientSecret, code }, null)).body).toEqual({ ok: false, error: 'invalid_code' });
      expect((await call('oauth.v2.access', { client_id: fake.clientId, client_secret: 'wrong', code }, null)).body).toEqual({ ok: false, error: 'bad_client_secret' });
    });
  });

  describe('fault injection', () => {
    it('429 with Retry-After, HTTP 5xx, Slack errors and delays, each for N calls', async () => {
      fake.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
      fake.failNext('chat.postMessage', { status: 503 });
      fake.failNext('chat.postMessage', { error: 'internal_error' }, 2);
      const rl = await call('chat.postMessage', { channel: PUBLIC, text: 'a' });
      expect([rl.status, rl.headers.get('retry-after'), rl.body]).toEqual([429, '7', { ok: false, error: 'ratelimited' }]);
      expect((await call('chat.postMessage', { channel: PUBLIC, text: 'a' })).status).toBe(503);
      expect((await call('chat.postMessage', { channel: PUBLIC, text: 'a' })).body).toEqual({ ok: false, error: 'internal_error' });
      expect((await call('chat.postMessage', { channel: PUBLIC, text: 'a' })).body).toEqual({ ok: false, error: 'internal_error' });
      expect((await call('chat.postMessage', { channel: PUBLIC, text: 'a' })).body).toMatchObject({ ok: true });
      fake.failNext('auth.test', { delayMs: 150 });
      const t0 = performance.now();
      expect((await call('auth.test')).body).toMatchObject({ ok: true });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
      expect(fake.callsTo('chat.postMessage')).toHaveLength(5);
    });

    it('holds a call until its promise settles, then handles it as usual', async () => {
      let release!: () => void;
      fake.failNext('chat.postMessage', { heldUntil: new Promise<void>((r) => (release = r)) });
      const held = call('chat.postMessage', { channel: PUBLIC, text: 'held' });
      await expect.poll(() => fake.callsTo('chat.postMessage').length).toBe(1);
      expect((await call('chat.postMessage', { channel: PUBLIC, text: 'not held' })).body).toMatchObject({ ok: true });
      // Recorded on arrival, answered and shown only once released.
      expect(fake.callsTo('chat.postMessage').map((c) => c.result !== undefined)).toEqual([false, true]);
      expect(fake.messages(PUBLIC).map((m) => m.text)).toEqual(['not held']);
      release();
      expect((await held).body).toMatchObject({ ok: true });
      expect(fake.messages(PUBLIC).map((m) => m.text)).toEqual(['not held', 'held']);
    });

    it('reset clears calls, messages and faults but keeps the workspace', async () => {
      await call('chat.postMessage', { channel: PUBLIC, text: 'a' });
      fake.failNext('auth.test', { error: 'fatal_error' });
      fake.reset();
      expect(fake.calls).toEqual([]);
      expect(fake.messages(PUBLIC)).toEqual([]);
      expect((await call('auth.test')).body).toMatchObject({ ok: true });
    });
  });

  describe('response URLs', () => {
    it('records and validates posts; in_channel posts land in the channel', async () => {
      const url = fake.issueResponseUrl({ teamId: TEAM, channelId: PUBLIC, userId: ALICE });
      const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(await (await post({ response_type: 'ephemeral', text: 'only you' })).json()).toEqual({ ok: true });
      expect(await (await post({ response_type: 'in_channel', text: 'everyone' })).json()).toEqual({ ok: true });
      expect(await (await post({ blocks: [section('no fallback')] })).json()).toMatchObject({ ok: false, error: 'invalid_arguments' });
      expect(fake.responses.map((r) => r.problems.length)).toEqual([0, 0, 1]);
      expect(fake.ephemerals(PUBLIC)).toMatchObject([{ user: ALICE, text: 'only you', via: 'response_url' }]);
      expect(fake.messages(PUBLIC).map((m) => m.text)).toEqual(['everyone']);
    });
  });

  describe('with the real @slack/web-api WebClient', () => {
    it('parses its form encoding (JSON fields, booleans) and answers in its shapes', async () => {
      const client = web();
      const trigger = fake.issueTriggerId(TEAM, ALICE);
      const opened = await client.views.open({ trigger_id: trigger, view: { type: 'modal', title: { type: 'plain_text', text: 'Hi' }, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }] } });
      expect(opened.view?.id).toMatch(/^V/);
      expect(fake.callsTo('views.open')[0]).toMatchObject({ token: TOKEN, args: { trigger_id: trigger, view: { type: 'modal', blocks: [{ type: 'section' }] } } });
      const posted = await client.chat.postMessage({ channel: PUBLIC, text: 'fallback', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }], unfurl_links: false });
      expect(posted.ts).toEqual(expect.any(String));
      expect(fake.callsTo('chat.postMessage')[0]?.args).toMatchObject({ channel: PUBLIC, blocks: [{ type: 'section' }], unfurl_links: 'false' });
    });

    it('surfaces Slack errors as platform errors', async () => {
      const err = await web().views.open({ trigger_id: 'bogus', view: modal() as never }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'invalid_trigger_id' } });
    });

    it('rate limits reach the client with retryAfter', async () => {
      fake.failNext('chat.postMessage', { status: 429, retryAfter: 3 });
      const err = await web({ rejectRateLimitedCalls: true }).chat.postMessage({ channel: PUBLIC, text: 'x' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 3 });
    });
  });
});

describe('slack-client', () => {
  const SECRET = 'test-signing-secret';
  let received: Array<{ headers: IncomingHttpHeaders; body: string }>;
  let receiver: ReturnType<typeof createServer>;
  let receiverUrl: string;

  beforeEach(async () => {
    fake = await start();
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/slack/events`;
  });
  afterEach(async () => {
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
    await fake.close();
  });

  const verify = (r: { headers: IncomingHttpHeaders; body: string }, secret = SECRET) =>
    verifySlackRequest({
      signingSecret: secret,
      body: r.body,
      headers: { 'x-slack-signature': String(r.headers['x-slack-signature']), 'x-slack-request-timestamp': Number(r.headers['x-slack-request-timestamp']) },
    });

  it('signs requests that Bolt’s verifySlackRequest accepts, and raw() can break them', async () => {
    const client = createSlackClient({ url: receiverUrl, signingSecret: SECRET, fakeSlack: fake });
    const res = await client.command({ teamId: TEAM, userId: ALICE, channelId: PUBLIC, text: 'list' });
    expect(res.status).toBe(200);
    const [cmd] = received;
    if (!cmd) throw new Error('nothing received');
    expect(() => verify(cmd)).not.toThrow();
    const form = Object.fromEntries(new URLSearchParams(cmd.body));
    expect(form).toMatchObject({ team_id: TEAM, team_domain: 'acme', channel_id: PUBLIC, channel_name: 'general', user_id: ALICE, user_name: 'alice', command: '/identity', text: 'list', api_app_id: fake.appId, is_enterprise_install: 'false', trigger_id: res.triggerId, response_url: res.responseUrl });

    await client.raw({ body: 'a=1', sign: { secret: 'wrong' } });
    await client.raw({ body: 'a=1', sign: { timestamp: Math.floor(Date.now() / 1000) - 301 } });
    await client.raw({ body: 'a=1', headers: { 'x-slack-signature': signSlackRequest(SECRET, Math.floor(Date.now() / 1000), 'a=2') } });
    await client.raw({ body: 'a=1', sign: false });
    const [wrongSecret, stale, altered, unsigned] = received.slice(1);
    expect(() => verify(wrongSecret!)).toThrow(/signature mismatch/);
    expect(() => verify(stale!)).toThrow(/stale/);
    expect(() => verify(altered!)).toThrow(/signature mismatch/);
    expect(unsigned?.headers['x-slack-signature']).toBeUndefined();
  });

  it('sends Events API deliveries as event_callback envelopes, signed, with redelivery headers', async () => {
    const client = createSlackClient({ url: receiverUrl, signingSecret: SECRET, fakeSlack: fake });
    const event = fake.archiveChannel(PUBLIC, ALICE);
    const first = await client.event({ teamId: TEAM, event });
    await client.event({ teamId: TEAM, event, eventId: first.eventId, retryNum: 1 });
    const [sent, again] = received;
    expect(() => verify(sent!)).not.toThrow();
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent!.body)).toMatchObject({
      type: 'event_callback',
      team_id: TEAM,
      api_app_id: fake.appId,
      event_id: first.eventId,
      event: { type: 'channel_archive', channel: PUBLIC, user: ALICE },
      authorizations: [{ team_id: TEAM, user_id: BOT_USER, is_bot: true }],
    });
    expect(sent!.headers['x-slack-retry-num']).toBeUndefined();
    expect(JSON.parse(again!.body).event_id).toBe(first.eventId);
    expect(again!.headers['x-slack-retry-num']).toBe('1');
  });

  it('builds view_submission state from the current view and enforces client-side checks', async () => {
    const client = createSlackClient({ url: receiverUrl, signingSecret: SECRET, fakeSlack: fake });
    const input = (blockId: string, element: Record<string, unknown>, optional = false) => ({ type: 'input', block_id: blockId, optional, label: plain('L'), element: { action_id: 'a', ...element } });
    const opened = await web().views.open({
      trigger_id: fake.issueTriggerId(TEAM, ALICE),
      view: modal(
        [
          input('name', { type: 'plain_text_input', max_length: 10 }),
          input('kind', { type: 'static_select', options: [{ text: plain('Sales'), value: 'sales' }] }),
          input('where', { type: 'conversations_select' }),
          input('note', { type: 'plain_text_input', initial_value: 'hello' }, true),
          input('who', { type: 'multi_users_select' }, true),
        ],
        { submit: plain('Create'), private_metadata: '{"x":1}' },
      ) as never,
    });
    const viewId = String(opened.view?.id);
    await expect(client.submitView({ teamId: TEAM, userId: ALICE, viewId, values: { nope: 'x' } })).rejects.toThrow(/not an input block/);
    await expect(client.submitView({ teamId: TEAM, userId: ALICE, viewId, values: { name: 'ok' } })).rejects.toThrow(/kind: required input has no value/);
    await expect(client.submitView({ teamId: TEAM, userId: ALICE, viewId, values: { name: 'x'.repeat(11), kind: 'sales', where: PUBLIC } })).rejects.toThrow(/max_length/);

    const res = await client.submitView({ teamId: TEAM, userId: ALICE, viewId, values: { name: 'support', kind: 'sales', where: PUBLIC } });
    const payload = JSON.parse(new URLSearchParams(received.at(-1)?.body).get('payload') ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({
      type: 'view_submission',
      team: { id: TEAM, domain: 'acme' },
      user: { id: ALICE, username: 'alice', team_id: TEAM },
      api_app_id: fake.appId,
      trigger_id: res.triggerId,
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
      view: {
        id: viewId,
        callback_id: 'cb',
        private_metadata: '{"x":1}',
        root_view_id: viewId,
        previous_view_id: null,
        hash: opened.view?.hash,
        state: {
          values: {
            name: { a: { type: 'plain_text_input', value: 'support' } },
            kind: { a: { type: 'static_select', selected_option: { text: plain('Sales'), value: 'sales' } } },
            where: { a: { type: 'conversations_select', selected_conversation: PUBLIC } },
            note: { a: { type: 'plain_text_input', value: 'hello' } },
            who: { a: { type: 'multi_users_select', selected_users: [] } },
          },
        },
      },
    });
    // The receiver answered {"ok":true} with no response_action: Slack closes the modal.
    expect(res.ack.kind).toBe('close');
    expect(fake.isViewOpen(viewId)).toBe(false);
  });
});

describe('fake Slack + slack-client against a real Bolt app', () => {
  const SECRET = 'bolt-signing-secret';
  let app: App;
  let eventsUrl: string;

  beforeEach(async () => {
    fake = await start();
    app = new App({
      token: TOKEN,
      botId: 'B0BOT00001',
      botUserId: BOT_USER,
      signingSecret: SECRET,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/identity', async ({ ack, body, client }) => {
      await ack();
      await client.views.open({
        trigger_id: body.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'create',
          title: { type: 'plain_text', text: 'New identity' },
          submit: { type: 'plain_text', text: 'Create' },
          blocks: [
            { type: 'input', block_id: 'email', label: { type: 'plain_text', text: 'Email' }, element: { type: 'email_text_input', action_id: 'v' } },
            { type: 'input', block_id: 'team', label: { type: 'plain_text', text: 'Team' }, element: { type: 'external_select', action_id: 'v', min_query_length: 0 } },
            { type: 'actions', block_id: 'more', elements: [{ type: 'button', action_id: 'details', text: { type: 'plain_text', text: 'Details' } }] },
          ],
        },
      });
    });
    app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: 'v' }, async ({ ack, body }) => {
      await ack({ options: [{ text: { type: 'plain_text', text: `Team ${body.value}` }, value: `t-${body.value}` }] });
    });
    app.action('approve', async ({ ack, respond }) => {
      await ack();
      await respond({ replace_original: true, text: 'Approved' });
    });
    app.action('details', async ({ ack, body, client }) => {
      await ack();
      if (body.type === 'block_actions') await client.views.push({ trigger_id: body.trigger_id, view: { type: 'modal', title: { type: 'plain_text', text: 'Details' }, blocks: [{ type: 'divider' }] } });
    });
    app.view('create', async ({ ack, view }) => {
      const email = view.state.values.email?.v?.value ?? '';
      if (email.endsWith('@blocked.example')) await ack({ response_action: 'errors', errors: { email: 'Not allowed' } });
      else await ack();
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterEach(async () => {
    await app.stop();
    await fake.close();
  });

  it('runs command → views.open → block_suggestion → view_submission', async () => {
    const slack = createSlackClient({ url: eventsUrl, signingSecret: SECRET, fakeSlack: fake });
    expect((await slack.command({ teamId: TEAM, userId: ALICE, channelId: PUBLIC })).status).toBe(200);
    await expect.poll(() => fake.lastView()?.callback_id).toBe('create');
    const viewId = fake.lastView()?.id ?? '';

    const options = await slack.blockSuggestion({ teamId: TEAM, userId: ALICE, viewId, blockId: 'team', actionId: 'v', value: '' });
    expect(options.problems).toEqual([]);
    expect(options.body).toEqual({ options: [{ text: { type: 'plain_text', text: 'Team ' }, value: 't-' }] });
    await expect(slack.blockSuggestion({ teamId: TEAM, userId: ALICE, viewId, blockId: 'email', actionId: 'v', value: 'x' })).rejects.toThrow(/not an external select/);

    const pushed = await slack.blockActions({ teamId: TEAM, userId: ALICE, viewId, blockId: 'more', actionId: 'details' });
    expect(pushed.status).toBe(200);
    await expect.poll(() => fake.viewStack(viewId).length).toBe(2);
    const top = fake.viewStack(viewId)[1] ?? '';
    expect(fake.view(top)).toMatchObject({ root_view_id: viewId, previous_view_id: viewId });
    fake.applyViewSubmissionAck(top, ''); // as if submitted and acked empty: the pushed view closes

    const refused = await slack.submitView({ teamId: TEAM, userId: ALICE, viewId, values: { email: 'a@blocked.example', team: { value: 't-1', text: 'Team 1' } } });
    expect(refused.ack).toEqual({ kind: 'errors', errors: { email: 'Not allowed' }, problems: [] });
    expect(fake.isViewOpen(viewId)).toBe(true);

    const ok = await slack.submitView({ teamId: TEAM, userId: ALICE, viewId, values: { email: 'a@ok.example', team: 't-1' } });
    expect(ok.ack.kind).toBe('close');

    const posted = await web().chat.postMessage({
      channel: PUBLIC,
      text: 'Draft ready',
      blocks: [{ type: 'actions', block_id: 'draft', elements: [{ type: 'button', action_id: 'approve', value: 'd-1', text: { type: 'plain_text', text: 'Approve' } }] }],
    });
    const clicked = await slack.blockActions({ teamId: TEAM, userId: ALICE, channelId: PUBLIC, messageTs: String(posted.ts), blockId: 'draft', actionId: 'approve' });
    expect(clicked.payload).toMatchObject({ container: { type: 'message', message_ts: posted.ts, channel_id: PUBLIC }, channel: { id: PUBLIC, name: 'general' }, actions: [{ type: 'button', action_id: 'approve', value: 'd-1' }] });
    await expect.poll(() => fake.messages(PUBLIC)[0]?.text).toBe('Approved');
    expect(fake.messages(PUBLIC)[0]?.blocks).toBeUndefined();

    const forged = await slack.raw({ body: 'command=%2Fidentity', sign: { secret: 'not-the-secret' } });
    expect(forged.status).toBe(401);
  });
});
