// No secret in the logs, no plaintext token in the database.
//
// A broad flow runs at LOG_LEVEL=debug (the harness default): connecting a workspace
// token, creating an identity, approval webhooks, approve, edit, reject, platform 401s,
// Slack errors and refused signatures. Then every log line and every row of every table
// (read with raw SQL, whatever tables exist) is searched for every secret and token the
// test knows. Tokens may be stored only as `v1:` ciphertext. Both log formats run:
// LOG_FORMAT=text and LOG_FORMAT=json redact alike.

import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOT_SCOPES } from '../../src/slack/bolt-app.ts';
import { type TestDatabase } from '../support/database.ts';
import { databasePerFile } from '../support/lifecycle.ts';
import type { FakeMessage } from '../support/fake-slack.ts';
import {
  ADMIN,
  ALICE,
  approvalMessage,
  approvalMessages,
  approvalEvent,
  ENCRYPTION_KEY,
  PLATFORM_TOKEN,
  PUBLIC_CHANNEL,
  SIGNING_SECRET,
  STATE_SECRET,
  startHarness,
  TEAM,
  waitFor,
  WEBHOOK_SECRET,
  type Harness,
} from '../support/harness.ts';
import { rowsOf } from '../../src/db/client.ts';
import type { LogFormat } from '../../src/logger.ts';

type Obj = Record<string, unknown>;

let db: TestDatabase;
let h: Harness;
databasePerFile((created) => (db = created));
afterEach(async () => {
  // close() also fails the test when one of h.secrets appears in a log line.
  await h.close();
});

/** Raw rows. */
async function query(text: string): Promise<Obj[]> {
  const result = await db.db.execute(sql.raw(text));
  return rowsOf(result);
}

/** Every row of every table in the database: the app's, the migrator's, any added later. */
async function everyRow(): Promise<{ table: string; row: Obj }[]> {
  const tables = await query(
    `select table_schema as s, table_name as t from information_schema.tables
     where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`,
  );
  const out: { table: string; row: Obj }[] = [];
  for (const { s, t } of tables) {
    const name = `"${String(s)}"."${String(t)}"`;
    for (const row of await query(`select * from ${name}`)) out.push({ table: name, row });
  }
  return out;
}

/** Also the encodings a careless store or log might use. */
function variants(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), encodeURIComponent(secret)].filter((v, i, all) => all.indexOf(v) === i);
}

const stringify = (row: Obj) => JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** A JSON line's values as one text (what a log collector shows), so escaped values are searched as written. */
function decoded(line: string): string {
  return Object.values(JSON.parse(line) as Obj).map(String).join(' ');
}

/** Each line as written, and for JSON lines also decoded; a JSON format line that does not parse fails the test. */
function searchable(format: LogFormat): string[] {
  return format === 'json' ? h.logs.flatMap((l) => [l, decoded(l)]) : h.logs;
}

function expectNoSecretInLogs(secrets: Record<string, string>, format: LogFormat): void {
  const lines = searchable(format);
  expect(lines.some((l) => (format === 'json' ? /"level":"debug"/ : / debug /).test(l)), 'debug lines are logged').toBe(true);
  const leaked = Object.entries(secrets).flatMap(([name, secret]) =>
    variants(secret).flatMap((v) => lines.filter((l) => l.includes(v)).map((l) => `${name} in: ${l.replaceAll(v, '<SECRET>').slice(0, 300)}`)),
  );
  expect(leaked).toEqual([]);
  // No credential-bearing header either, whatever its value (web-api logs headers at debug, redacted).
  const unredacted = /authorization"?\s*[:=]\s*"?(?!\[\[REDACTED\]\]|\[redacted\])[^\s"]|bearer\s+(?!\[)\S{8,}|x-slack-signature"?\s*[:=]\s*"?v0=[0-9a-f]{8}|x-signature"?\s*[:=]\s*"?t=\d+,\s*v1=[0-9a-f]{8}/i;
  expect(lines.filter((l) => unredacted.test(l))).toEqual([]);
}

async function expectNoSecretInDatabase(secrets: Record<string, string>): Promise<void> {
  const all = await everyRow();
  expect(all.length).toBeGreaterThan(0);
  const found = Object.entries(secrets).flatMap(([name, secret]) =>
    all.filter(({ row }) => variants(secret).some((v) => stringify(row).includes(v))).map(({ table }) => `${name} in ${table}`),
  );
  expect(found).toEqual([]);
}

const v1 = (raw: string, t: number) => createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${raw}`).digest('hex');
const botMessages = (): FakeMessage[] => approvalMessages(h.slack, PUBLIC_CHANNEL.id);
const messageOf = (approvalId: string) => approvalMessage(h.slack, PUBLIC_CHANNEL.id, approvalId);

/** `/identity connect` as an admin, submitting `token`. */
async function connect(token: string, userId = ADMIN, teamId = TEAM.id, channelId = PUBLIC_CHANNEL.id): Promise<void> {
  const opens = h.slack.callsTo('views.open').length;
  expect((await h.client.command({ teamId, userId, channelId, text: 'connect' })).status).toBe(200);
  await waitFor(() => h.slack.callsTo('views.open').length > opens, 'the connect modal');
  const viewId = (h.slack.callsTo('views.open').at(-1)!.result as { view: { id: string } }).view.id;
  const res = await h.client.submitView({ teamId, userId, viewId, values: { platform_token: token, create_permission: 'everyone' } });
  expect(res.ack).toMatchObject({ kind: 'update' });
}

async function createIdentity(localPart: string, teamId = TEAM.id, userId = ALICE, channelId = PUBLIC_CHANNEL.id, domain = h.workspace.domains[0]!): Promise<void> {
  const opens = h.slack.callsTo('views.open').length;
  await h.client.command({ teamId, userId, channelId, text: 'new' });
  await waitFor(() => h.slack.callsTo('views.open').length > opens, 'the create modal');
  const viewId = (h.slack.callsTo('views.open').at(-1)!.result as { view: { id: string } }).view.id;
  const res = await h.client.submitView({ teamId, userId, viewId, values: { domain: { value: domain.id, text: domain.name }, local_part: localPart, display_name: 'Secret Keeper', approval_channel: channelId } });
  expect(res.ack.kind).toBe('update');
}

async function deliver(event: unknown): Promise<void> {
  const res = await h.deliver(event);
  expect(res.status).toBe(202);
  await h.drain();
}

describe.each<LogFormat>(['text', 'json'])('LOG_FORMAT=%s', (format) => {
  describe('single-workspace install (SLACK_BOT_TOKEN, IDENTITIES_API_TOKEN) with a connected team token', () => {
    beforeEach(async () => {
      h = await startHarness(db, { env: { LOG_FORMAT: format } });
    });

    it('logs no secret and stores no plaintext token through a broad flow, failures included', async () => {
      // The team's own platform token for the same platform workspace; it is in no env var,
      // so the logger's config-based redaction does not know it.
      const teamToken = 'plat_connected_team_token_4f1c9a7e52d0b3';
      h.api.addWorkspace({ token: teamToken, workspaceId: h.workspace.workspaceId });
      h.secrets.push(teamToken);
      await connect(teamToken);

      // Create an identity (with the connected token), announce it.
      await createIdentity('vault');
      const identity = h.api.identities(teamToken).find((i) => i.local_part === 'vault')!;
      expect(h.api.requestsTo('POST', '/v1/identities').at(-1)!.headers.authorization).toBe(`Bearer ${teamToken}`);
      await h.drain();

      // Approvals: approve, edit+approve, reject with a reason.
      const events = [1, 2, 3, 4, 5].map(() => approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id }));
      for (const e of events) h.api.addApproval({ approvalId: e.data.approval_id, workspaceToken: teamToken });
      for (const e of events.slice(0, 3)) await deliver(e);
      const [approve, edit, reject, unauthorized] = events.map((e) => e.data.approval_id) as [string, string, string, string];
      const click = async (action: string, approvalId: string) => {
        const message = messageOf(approvalId)!;
        const res = await h.client.blockActions({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, messageTs: message.ts, actionId: `approval_${action}`, blockId: 'approval_actions', value: approvalId });
        expect(res.status).toBe(200);
      };
      await click('approve', approve);
      await waitFor(() => h.api.decisions(approve).length === 1, 'the approval');

      let opens = h.slack.callsTo('views.open').length;
      await click('edit', edit);
      await waitFor(() => h.slack.callsTo('views.open').length > opens, 'the editor');
      await h.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId: h.slack.lastView()!.id, values: { draft_subject: 'Re: order', draft_text: 'Edited reply' } });
      await waitFor(() => h.api.decisions(edit).length === 1, 'the edited approval');

      opens = h.slack.callsTo('views.open').length;
      await click('reject', reject);
      await waitFor(() => h.slack.callsTo('views.open').length > opens, 'the reject form');
      await h.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId: h.slack.lastView()!.id, values: { reject_reason: 'Too formal.' } });
      await waitFor(() => h.api.decisions(reject).length === 1, 'the rejection');
      await h.drain();

      // The platform answers 401 to a decision report, then to a create and to the menus.
      await deliver(events[3]);
      h.api.failNext('POST /v1/approvals/{approval_id}/decision', { status: 401, body: { detail: 'Invalid token' } });
      await click('approve', unauthorized);
      await waitFor(() => h.api.requestsTo('POST', `/v1/approvals/${unauthorized}/decision`).length >= 1, 'the refused report');
      const viewId = await h.openCreateModal();
      h.api.revokeToken(teamToken);
      const refused = await h.client.submitView({
        teamId: TEAM.id,
        userId: ALICE,
        viewId,
        values: { domain: { value: h.workspace.domains[0]!.id, text: 'acme.com' }, local_part: 'revoked', display_name: 'Revoked', approval_channel: PUBLIC_CHANNEL.id },
      });
      expect(JSON.stringify(refused.ack)).toContain('missing or revoked');
      await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId: await h.openCreateModal(), actionId: 'domain', blockId: 'domain', value: '' });
      await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'list' });
      h.api.addWorkspace({ token: teamToken, workspaceId: h.workspace.workspaceId });

      // Slack errors: a refused post, a rate limit, a failed update, an expired trigger.
      h.slack.failNext('chat.postMessage', { error: 'invalid_auth' });
      await h.deliver(events[4]);
      await h.drain();
      h.slack.failNext('chat.update', { status: 429, retryAfter: 1 });
      h.slack.failNext('chat.postMessage', { status: 503 });
      await h.deliver(approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id }));
      await h.drain();
      h.slack.failNext('views.open', { error: 'expired_trigger_id' });
      await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: '' });
      await waitFor(() => h.slack.responses.some((r) => JSON.stringify(r.body).includes('took too long')), 'the note about the expired trigger');

      // Refused signatures on both entry points, and a bad token in the connect form.
      const raw = JSON.stringify(events[0]);
      expect((await h.deliver(events[0], { secret: 'wrong-webhook-secret-0123456789' })).status).toBe(401);
      expect((await fetch(`${h.baseUrl}/webhooks/approvals`, { method: 'POST', headers: { 'x-signature': `t=1,v1=${v1(raw, 1)}` }, body: raw })).status).toBe(401);
      expect((await h.client.raw({ body: 'command=%2Fidentity', sign: { secret: 'wrong-signing-secret-0123456789' } })).status).toBe(401);
      const wrongToken = 'plat_typo_token_that_the_platform_refuses_99';
      h.secrets.push(wrongToken);
      const opensBefore = h.slack.callsTo('views.open').length;
      await h.client.command({ teamId: TEAM.id, userId: ADMIN, channelId: PUBLIC_CHANNEL.id, text: 'connect' });
      await waitFor(() => h.slack.callsTo('views.open').length > opensBefore, 'the connect modal');
      const connectView = (h.slack.callsTo('views.open').at(-1)!.result as { view: { id: string } }).view.id;
      const bad = await h.client.submitView({ teamId: TEAM.id, userId: ADMIN, viewId: connectView, values: { platform_token: wrongToken, create_permission: 'admins' } });
      expect(bad.ack).toMatchObject({ kind: 'errors' });
      await h.drain();

      // The failure paths above really ran.
      const failed = (method: string, error: string) => h.slack.callsTo(method).some((c) => JSON.stringify(c.result ?? null).includes(error));
      expect(failed('chat.postMessage', 'invalid_auth')).toBe(true);
      expect(failed('views.open', 'expired_trigger_id')).toBe(true);
      expect(h.api.requestsTo('GET', '/v1/domains').length).toBeGreaterThan(0);
      expect(searchable(format).some((l) => / warn .*401|"level":"warn".*401|unauthorized/.test(l))).toBe(true);

      const secrets: Record<string, string> = {
        'the signing secret': SIGNING_SECRET,
        'the webhook secret': WEBHOOK_SECRET,
        'the bot token': TEAM.botToken,
        'the default platform token': PLATFORM_TOKEN,
        'the connected team token': teamToken,
        'a refused token typed into the connect form': wrongToken,
        'the encryption key': ENCRYPTION_KEY,
      };
      expectNoSecretInLogs(secrets, format);
      await expectNoSecretInDatabase(secrets);

      // The one stored token is ciphertext, and it decrypts only with the key (not stored here).
      const links = await query('select * from workspace_links');
      expect(links).toHaveLength(1);
      expect(String(links[0]!.api_token_ciphertext)).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+:[\w-]+$/);
      expect(await query('select * from slack_installations')).toEqual([]);
    });
  });

  describe('distributed app (OAuth installs)', () => {
    beforeEach(async () => {
      h = await startHarness(db, { oauth: true, platformToken: null, env: { LOG_FORMAT: format } });
    });

    /** Slack's "Add to Slack" flow: install page, state cookie, redirect with a code. */
    async function install(team: { id: string; installer: string }): Promise<string> {
      const page = await fetch(`${h.baseUrl}/slack/install`, { redirect: 'manual' });
      const html = await page.text();
      const cookie = page.headers.get('set-cookie')?.split(';')[0];
      const authorizeUrl = html.match(/href="(https:\/\/slack\.com[^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
      const state = new URL(authorizeUrl!).searchParams.get('state')!;
      const code = h.slack.issueOAuthCode({ teamId: team.id, userId: team.installer, scopes: BOT_SCOPES });
      const done = await fetch(`${h.baseUrl}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, { headers: { cookie: cookie! }, redirect: 'manual' });
      expect(done.status).toBe(200);
      const botToken = (h.slack.callsTo('oauth.v2.access').at(-1)!.result as { access_token: string }).access_token;
      // (Bolt logs the OAuth `code` and `state` at debug level: single-use and already redeemed, so not checked here.)
      h.secrets.push(botToken);
      return botToken;
    }

    it('stores installed bot tokens and connected platform tokens only as v1: ciphertext, and logs neither', async () => {
      const teamId = 'T0VAULT';
      const botToken = await install({ id: teamId, installer: 'U0VADMIN' });
      h.slack.addUser({ id: 'U0VADMIN', teamId, name: 'vadmin', isAdmin: true });
      h.slack.addChannel({ id: 'C0VAULT', name: 'vault-approvals', teamId, isPrivate: false, members: ['U0VADMIN'] });
      const teamToken = 'plat_oauth_team_token_8d2e6b1a90c47f';
      const workspace = h.api.addWorkspace({ token: teamToken, domains: [{ name: 'vault.example', status: 'verified' }] });
      h.secrets.push(teamToken);
      await connect(teamToken, 'U0VADMIN', teamId, 'C0VAULT');
      await createIdentity('keeper', teamId, 'U0VADMIN', 'C0VAULT', workspace.domains[0]!);
      const identity = h.api.identities(teamToken)[0]!;
      const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id });
      h.api.addApproval({ approvalId: event.data.approval_id, workspaceToken: teamToken });
      await deliver(event);
      const message = h.slack.messages('C0VAULT').find((m) => JSON.stringify(m.metadata ?? null).includes(event.data.approval_id))!;
      await h.client.blockActions({ teamId, userId: 'U0VADMIN', channelId: 'C0VAULT', messageTs: message.ts, actionId: 'approval_approve', blockId: 'approval_actions', value: event.data.approval_id });
      await waitFor(() => h.api.decisions(event.data.approval_id).length === 1, 'the decision');
      await h.drain();
      // Calls went out with the installed token (it works), yet it is nowhere at rest or in the logs.
      expect(h.slack.callsTo('chat.postMessage').at(-1)!.token).toBe(botToken);

      const secrets: Record<string, string> = {
        'the signing secret': SIGNING_SECRET,
        'the webhook secret': WEBHOOK_SECRET,
        'the OAuth client secret': h.slack.clientSecret,
        'the OAuth state secret': STATE_SECRET,
        'the installed bot token': botToken,
        'the connected team token': teamToken,
        'the encryption key': ENCRYPTION_KEY,
      };
      expectNoSecretInLogs(secrets, format);
      await expectNoSecretInDatabase(secrets);
      const installs = await query('select * from slack_installations');
      expect(installs).toHaveLength(1);
      expect(String(installs[0]!.bot_token_ciphertext)).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+:[\w-]+$/);
      const links = await query('select * from workspace_links');
      expect(links).toHaveLength(1);
      expect(String(links[0]!.api_token_ciphertext)).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+:[\w-]+$/);
    });
  });
});
