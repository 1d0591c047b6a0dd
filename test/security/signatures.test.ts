// Who may talk to the app: a signature matrix for both signed entry points,
// POST /slack/events (Bolt verifies X-Slack-Signature) and POST /webhooks/approvals
// (the app verifies X-Signature), and what a replayed request does.
//
// Every refused request must be answered 401 and leave no trace: no approval, no
// event, no job, no identity, no Slack call, no platform call.

import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approvals } from '../../src/db/schema.ts';
import { type TestDatabase } from '../support/database.ts';
import { appPerTest } from '../support/lifecycle.ts';
import { ALICE, approvalEvent, filledCreateForm, PLATFORM_TOKEN, PUBLIC_CHANNEL, SIGNING_SECRET, TEAM, waitFor, WEBHOOK_SECRET, type Harness } from '../support/harness.ts';
import { signSlackRequest } from '../support/slack-client.ts';
import { rowsOf } from '../../src/db/client.ts';

type Obj = Record<string, unknown>;

let db: TestDatabase;
let h: Harness;
appPerTest((ctx) => ({ db, h } = ctx));

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Raw rows, read with SQL rather than through the app's code. */
async function rows(table: string): Promise<Obj[]> {
  const result = await db.db.execute(sql.raw(`select * from ${table}`));
  return rowsOf(result);
}

/** Every table the app writes, all empty. */
async function expectNothingStored(): Promise<void> {
  for (const table of ['approvals', 'approval_events', 'jobs', 'identities', 'identity_creations', 'audit_log', 'workspace_links']) {
    expect(await rows(table), table).toEqual([]);
  }
}

/** Gives work that would follow an ack (views.open, API calls) time to happen, then checks none did. */
async function expectNoSideEffects(): Promise<void> {
  await sleep(300);
  expect(h.slack.calls.map((c) => c.method)).toEqual([]);
  expect(h.slack.responses).toEqual([]);
  expect(h.api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  await expectNothingStored();
}

// ---------------------------------------------------------------------------
// POST /slack/events

/** A slash command body exactly as Slack sends it: `/identity` with no text opens the create modal. */
function commandBody(text = ''): string {
  const team = h.slack.team(TEAM.id)!;
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: TEAM.id,
    team_domain: team.domain,
    channel_id: PUBLIC_CHANNEL.id,
    channel_name: PUBLIC_CHANNEL.name,
    user_id: ALICE,
    user_name: 'alice',
    command: '/identity',
    text,
    api_app_id: h.slack.appId,
    is_enterprise_install: 'false',
    response_url: h.slack.issueResponseUrl({ teamId: TEAM.id, channelId: PUBLIC_CHANNEL.id, userId: ALICE }),
    trigger_id: h.slack.issueTriggerId(TEAM.id, ALICE),
  }).toString();
}

/** Posts a body to /slack/events with exactly these headers (no signing by the client). */
function slackPost(body: string, headers: Record<string, string>) {
  return h.client.raw({ body, sign: false, headers });
}

const slackHeaders = (body: string, o: { secret?: string; timestamp?: number | string; signature?: string } = {}) => {
  const t = o.timestamp ?? now();
  return {
    'x-slack-request-timestamp': String(t),
    'x-slack-signature': o.signature ?? signSlackRequest(o.secret ?? SIGNING_SECRET, Number(t), body),
  };
};

describe('POST /slack/events signatures', () => {
  it('accepts a correctly signed command (the control for the matrix below)', async () => {
    const body = commandBody();
    const res = await slackPost(body, slackHeaders(body));
    expect(res.status).toBe(200);
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'views.open');
    expect(h.slack.callsTo('views.open')[0]!.result).toMatchObject({ ok: true });
  });

  const hex = (s: string) => createHmac('sha256', SIGNING_SECRET).update(s).digest('hex');
  const refused: [string, (body: string) => { body?: string; headers: Record<string, string> }][] = [
    ['no X-Slack-Signature header', (body) => ({ headers: { 'x-slack-request-timestamp': String(now()) } })],
    ['no X-Slack-Request-Timestamp header', (body) => ({ headers: { 'x-slack-signature': signSlackRequest(SIGNING_SECRET, now(), body) } })],
    ['no signature headers at all', () => ({ headers: {} })],
    ['an empty X-Slack-Signature', (body) => ({ headers: slackHeaders(body, { signature: '' }) })],
    ['a signature made with another secret', (body) => ({ headers: slackHeaders(body, { secret: 'not-the-signing-secret-0123456789' }) })],
    ['a body altered after signing', (body) => ({ body: body.replace('command=%2Fidentity', 'command=%2Fidentity&text=list'), headers: slackHeaders(body) })],
    ['a signature over a different timestamp than the header', (body) => ({ headers: { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': signSlackRequest(SIGNING_SECRET, now() - 10, body) } })],
    ['a stale timestamp (6 minutes old, correctly signed)', (body) => ({ headers: slackHeaders(body, { timestamp: now() - 360 }) })],
    ['a stale timestamp (a day old, correctly signed)', (body) => ({ headers: slackHeaders(body, { timestamp: now() - 86_400 }) })],
    ['a timestamp that is not a number (t=abc)', (body) => ({ headers: { 'x-slack-request-timestamp': 'abc', 'x-slack-signature': signSlackRequest(SIGNING_SECRET, now(), body) } })],
    ['the bare hex digest without "v0="', (body) => ({ headers: { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': signSlackRequest(SIGNING_SECRET, now(), body).slice(3) } })],
    ['a "v1=" scheme with the right digest', (body) => ({ headers: { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': signSlackRequest(SIGNING_SECRET, now(), body).replace('v0=', 'v1=') } })],
    ['"v0=" followed by non-hex', (body) => ({ headers: slackHeaders(body, { signature: `v0=${'z'.repeat(64)}` }) })],
    ['a digest of the body alone (no "v0:<t>:" prefix)', (body) => ({ headers: slackHeaders(body, { signature: `v0=${hex(body)}` }) })],
    // Slack sends one signature; Bolt compares the whole header, so a list is refused even when one entry is right.
    ['two v0 values, one of them right', (body) => ({ headers: slackHeaders(body, { signature: `v0=${'0'.repeat(64)},${signSlackRequest(SIGNING_SECRET, now(), body)}` }) })],
  ];

  it.each(refused)('refuses a command with %s (401), and nothing happens', async (_name, make) => {
    const body = commandBody();
    const sent = make(body);
    const res = await slackPost(sent.body ?? body, sent.headers);
    expect(res.status).toBe(401);
    await expectNoSideEffects();
  });

  it('runs nothing smuggled into an unsigned ssl_check request', async () => {
    // Bolt skips verification for Slack's `ssl_check=1` probes but strips the rest of the body.
    const body = `ssl_check=1&${commandBody()}`;
    const res = await slackPost(body, { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': 'v0=bogus' });
    expect(res.status).toBe(200);
    await expectNoSideEffects();
  });

  it('documents Bolt: a far-future timestamp is accepted (Bolt refuses only stale ones)', async () => {
    // Bolt's verifySlackRequest checks `timestamp < now - 5 min` only. A correctly signed
    // request dated 10 minutes ahead is therefore served. Only the holder of the signing
    // secret (Slack) can produce one, so this widens the replay window for a captured
    // request, no more. The webhook route below refuses both directions.
    const body = commandBody();
    const res = await slackPost(body, slackHeaders(body, { timestamp: now() + 600 }));
    expect(res.status).toBe(200);
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'views.open');
  });
});

/** The create modal's view_submission exactly as Slack would send it, filled in. */
function createSubmission(viewId: string, localPart: string): Obj {
  const view = h.slack.view(viewId)!;
  const domain = h.workspace.domains[0]!;
  return {
    type: 'view_submission',
    team: { id: TEAM.id, domain: h.slack.team(TEAM.id)!.domain },
    user: { id: ALICE, username: 'alice', name: 'alice', team_id: TEAM.id },
    api_app_id: h.slack.appId,
    token: 'legacy-verification-token',
    trigger_id: h.slack.issueTriggerId(TEAM.id, ALICE, viewId),
    view: {
      ...view,
      state: { values: filledCreateForm({ domain, localPart, displayName: localPart, channelId: PUBLIC_CHANNEL.id }) },
    },
    response_urls: [],
  };
}

describe('replayed Slack requests', () => {
  it('a replayed slash command (same body, same signature) is served again by Bolt, but the single-use trigger opens only one modal', async () => {
    // Bolt has no replay protection inside its 5-minute window. What limits the damage:
    // trigger_id is single use at Slack, so the second views.open fails and the person is told privately.
    const body = commandBody();
    const headers = slackHeaders(body);
    const first = await slackPost(body, headers);
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'the first views.open');
    const second = await slackPost(body, headers);
    expect([first.status, second.status]).toEqual([200, 200]);
    await waitFor(() => h.slack.callsTo('views.open').length === 2, 'the replay’s views.open');
    const results = h.slack.callsTo('views.open').map((c) => c.result as Obj);
    expect(results.filter((r) => r.ok === true)).toHaveLength(1);
    expect(results[1]).toMatchObject({ ok: false, error: 'exchanged_trigger_id' });
    await waitFor(() => h.slack.responses.length === 1, 'the private note about the refused modal');
    expect(h.slack.responses[0]!.problems).toEqual([]);
  });

  it('a replayed view_submission (same signature, then re-signed, then several at once) creates at most one identity', async () => {
    const viewId = await h.openCreateModal();
    const payload = createSubmission(viewId, 'replay');
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const t = now();
    const first = await h.client.raw({ body, sign: { timestamp: t } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(first.body)).toContain('replay@acme.com');

    // The very same request again (same timestamp, so the same signature), then re-signed copies.
    const sameSignature = await h.client.raw({ body, sign: { timestamp: t } });
    const resigned = [await h.client.interactive(payload), await h.client.interactive(payload)];
    const together = await Promise.all([1, 2, 3].map(() => h.client.interactive(payload)));
    for (const r of [sameSignature, ...resigned, ...together]) {
      expect(r.status).toBe(200);
      // A replay of a finished submission shows the same outcome; it never creates again.
      expect(JSON.stringify(r.body)).not.toContain('errors');
    }
    expect(h.api.identities(PLATFORM_TOKEN).map((i) => i.email_address)).toEqual(['replay@acme.com']);
    expect(await rows('identities')).toHaveLength(1);
    expect(await rows('identity_creations')).toHaveLength(1);
    expect(h.api.requestsTo('POST', '/v1/identities')).toHaveLength(1);
    await h.drain();
    // One announcement in the channel, not one per replay.
    expect(h.slack.messages(PUBLIC_CHANNEL.id).filter((m) => m.user === TEAM.botUserId && m.text.includes('replay@acme.com'))).toHaveLength(1);
  });

  it('the same view_submission delivered several times at once, while the platform is slow, creates one identity', async () => {
    const viewId = await h.openCreateModal();
    const body = new URLSearchParams({ payload: JSON.stringify(createSubmission(viewId, 'race')) }).toString();
    h.api.setLatency('POST /v1/identities', 400);
    const t = now();
    const results = await Promise.all([1, 2, 3, 4].map(() => h.client.raw({ body, sign: { timestamp: t } })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await waitFor(() => h.api.identities(PLATFORM_TOKEN).length === 1, 'the identity');
    await sleep(600);
    expect(h.api.identities(PLATFORM_TOKEN).map((i) => i.email_address)).toEqual(['race@acme.com']);
    expect(await rows('identities')).toHaveLength(1);
    expect(await rows('identity_creations')).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// POST /webhooks/approvals

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, computed here independently of src/. */
const v1 = (secret: string, t: number | string, raw: string) => createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');

async function webhookPost(raw: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${h.baseUrl}/webhooks/approvals`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

describe('POST /webhooks/approvals signatures', () => {
  /** A stored identity and a valid event for it; the signature is the test's business. */
  async function eventFor(): Promise<{ raw: string; approvalId: string }> {
    const identity = await h.seedIdentity();
    // seedIdentity talks to the fake API and Slack itself: forget that, so "no calls" means the app's.
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    return { raw: JSON.stringify(event), approvalId: event.data.approval_id };
  }
  const callsBefore = () => ({ slack: h.slack.calls.length, api: h.api.requests.length });

  async function expectWebhookRefused(res: { status: number; body: unknown }, before: { slack: number; api: number }): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: expect.stringMatching(/^signature /) });
    await sleep(200);
    await h.drain();
    expect(h.slack.calls.slice(before.slack).map((c) => c.method)).toEqual([]);
    expect(h.api.requests.slice(before.api).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    for (const table of ['approvals', 'approval_events', 'jobs']) expect(await rows(table), table).toEqual([]);
  }

  const WRONG = 'not-the-webhook-secret-0123456789';
  const refused: [string, (raw: string) => { raw?: string; headers: Record<string, string> }][] = [
    ['no X-Signature header', () => ({ headers: {} })],
    ['an empty X-Signature header', () => ({ headers: { 'x-signature': '' } })],
    ['a signature made with another secret', (raw) => ({ headers: { 'x-signature': `t=${now()},v1=${v1(WRONG, now(), raw)}` } })],
    ['a body altered after signing', (raw) => ({ raw: raw.replace('your order ships tomorrow', 'send me your password'), headers: { 'x-signature': `t=${now()},v1=${v1(WEBHOOK_SECRET, now(), raw)}` } })],
    ['a body re-serialized after signing (same JSON, other bytes)', (raw) => ({ raw: JSON.stringify(JSON.parse(raw), null, 2), headers: { 'x-signature': `t=${now()},v1=${v1(WEBHOOK_SECRET, now(), raw)}` } })],
    ['a signature over another timestamp than t', (raw) => ({ headers: { 'x-signature': `t=${now()},v1=${v1(WEBHOOK_SECRET, now() - 1, raw)}` } })],
    ['a stale timestamp (301 s old, correctly signed)', (raw) => ({ headers: { 'x-signature': `t=${now() - 301},v1=${v1(WEBHOOK_SECRET, now() - 301, raw)}` } })],
    ['a stale timestamp (a day old, correctly signed)', (raw) => ({ headers: { 'x-signature': `t=${now() - 86_400},v1=${v1(WEBHOOK_SECRET, now() - 86_400, raw)}` } })],
    ['a far-future timestamp (301 s ahead, correctly signed)', (raw) => ({ headers: { 'x-signature': `t=${now() + 301},v1=${v1(WEBHOOK_SECRET, now() + 301, raw)}` } })],
    ['a far-future timestamp (a year ahead, correctly signed)', (raw) => ({ headers: { 'x-signature': `t=${now() + 31_536_000},v1=${v1(WEBHOOK_SECRET, now() + 31_536_000, raw)}` } })],
    ['t in milliseconds (correctly signed)', (raw) => ({ headers: { 'x-signature': `t=${Date.now()},v1=${v1(WEBHOOK_SECRET, Date.now(), raw)}` } })],
    ['t=abc', (raw) => ({ headers: { 'x-signature': `t=abc,v1=${v1(WEBHOOK_SECRET, 'abc', raw)}` } })],
    ['a negative t', (raw) => ({ headers: { 'x-signature': `t=-${now()},v1=${v1(WEBHOOK_SECRET, `-${now()}`, raw)}` } })],
    ['a fractional t', (raw) => ({ headers: { 'x-signature': `t=${now()}.5,v1=${v1(WEBHOOK_SECRET, `${now()}.5`, raw)}` } })],
    ['no t', (raw) => ({ headers: { 'x-signature': `v1=${v1(WEBHOOK_SECRET, now(), raw)}` } })],
    ['no v1', () => ({ headers: { 'x-signature': `t=${now()}` } })],
    ['an empty v1', () => ({ headers: { 'x-signature': `t=${now()},v1=` } })],
    ['a v1 that is not hex', () => ({ headers: { 'x-signature': `t=${now()},v1=${'z'.repeat(64)}` } })],
    ['a truncated v1 (63 hex digits)', (raw) => ({ headers: { 'x-signature': `t=${now()},v1=${v1(WEBHOOK_SECRET, now(), raw).slice(0, 63)}` } })],
    ['a v1 with extra hex digits', (raw) => ({ headers: { 'x-signature': `t=${now()},v1=${v1(WEBHOOK_SECRET, now(), raw)}00` } })],
    ['the right digest under another scheme name (v0=)', (raw) => ({ headers: { 'x-signature': `t=${now()},v0=${v1(WEBHOOK_SECRET, now(), raw)}` } })],
    ['a digest of the body alone (no "<t>." prefix)', (raw) => ({ headers: { 'x-signature': `t=${now()},v1=${createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')}` } })],
    ['several v1 values, none right', (raw) => ({ headers: { 'x-signature': `t=${now()},v1=${'0'.repeat(64)},v1=${v1(WRONG, now(), raw)}` } })],
    ['a captured stale signature with a fresh t appended', (raw) => ({ headers: { 'x-signature': `t=${now() - 600},v1=${v1(WEBHOOK_SECRET, now() - 600, raw)},t=${now()}` } })],
    ['a fresh t before a captured stale one', (raw) => ({ headers: { 'x-signature': `t=${now()},t=${now() - 600},v1=${v1(WEBHOOK_SECRET, now() - 600, raw)}` } })],
    ['Slack’s scheme instead (X-Slack-Signature, correctly signed)', (raw) => ({ headers: { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': signSlackRequest(WEBHOOK_SECRET, now(), raw) } })],
  ];

  it.each(refused)('refuses a delivery with %s (401), storing and posting nothing', async (_name, make) => {
    const { raw } = await eventFor();
    const before = callsBefore();
    const sent = make(raw);
    const res = await webhookPost(sent.raw ?? raw, sent.headers);
    await expectWebhookRefused(res, before);
  });

  const accepted: [string, (raw: string) => Record<string, string>][] = [
    ['a correct signature (the control)', (raw) => ({ 'x-signature': `t=${now()},v1=${v1(WEBHOOK_SECRET, now(), raw)}` })],
    ['several v1 values where one is right (secret rotation)', (raw) => ({ 'x-signature': `t=${now()},v1=${v1(WRONG, now(), raw)},v1=${v1(WEBHOOK_SECRET, now(), raw)}` })],
    ['the right v1 first, then a wrong one', (raw) => ({ 'x-signature': `t=${now()},v1=${v1(WEBHOOK_SECRET, now(), raw)},v1=${'0'.repeat(64)}` })],
    ['v1 before t, with spaces after the commas', (raw) => ({ 'x-signature': `v1=${v1(WEBHOOK_SECRET, now(), raw)}, t=${now()}` })],
    ['upper-case hex', (raw) => ({ 'x-signature': `t=${now()},v1=${v1(WEBHOOK_SECRET, now(), raw).toUpperCase()}` })],
    ['a timestamp 290 s old', (raw) => ({ 'x-signature': `t=${now() - 290},v1=${v1(WEBHOOK_SECRET, now() - 290, raw)}` })],
    ['a timestamp 290 s ahead', (raw) => ({ 'x-signature': `t=${now() + 290},v1=${v1(WEBHOOK_SECRET, now() + 290, raw)}` })],
  ];

  it.each(accepted)('accepts a delivery with %s (202) and posts it once', async (_name, make) => {
    const { raw, approvalId } = await eventFor();
    const res = await webhookPost(raw, make(raw));
    expect(res).toMatchObject({ status: 202, body: { status: 'stored' } });
    await h.drain();
    expect((await db.db.select().from(approvals)).map((a) => a.id)).toEqual([approvalId]);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('replayed webhook deliveries', () => {
  it('absorbs a captured delivery sent again within 300 s: 202 duplicate, one approval, one Slack message', async () => {
    const identity = await h.seedIdentity();
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    const raw = JSON.stringify(event);
    const t = now();
    const captured = { 'x-signature': `t=${t},v1=${v1(WEBHOOK_SECRET, t, raw)}` };

    expect(await webhookPost(raw, captured)).toEqual({ status: 202, body: { status: 'stored' } });
    await h.drain();
    expect(await webhookPost(raw, captured)).toEqual({ status: 202, body: { status: 'duplicate' } });
    // …and several copies at once, as an attacker (or an eager platform) might send them.
    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => webhookPost(raw, captured)));
    expect(burst.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(burst.every((r) => (r.body as Obj).status === 'duplicate')).toBe(true);
    await h.drain();

    expect((await db.db.select().from(approvals)).map((a) => a.id)).toEqual([event.data.approval_id]);
    expect(await rows('approval_events')).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(h.slack.messages(PUBLIC_CHANNEL.id).filter((m) => m.user === TEAM.botUserId)).toHaveLength(1);
  });

  it('a captured cancellation replayed after a new request for the same approval changes nothing more', async () => {
    const identity = await h.seedIdentity();
    const request = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    const cancel = approvalEvent({ type: 'approval.cancelled', approvalId: request.data.approval_id, identityId: identity.id, workspaceId: identity.workspaceId, reason: 'customer replied' });
    const sign = (e: unknown) => {
      const raw = JSON.stringify(e);
      const t = now();
      return { raw, headers: { 'x-signature': `t=${t},v1=${v1(WEBHOOK_SECRET, t, raw)}` } };
    };
    const r = sign(request);
    const c = sign(cancel);
    expect((await webhookPost(r.raw, r.headers)).status).toBe(202);
    await h.drain();
    expect((await webhookPost(c.raw, c.headers)).status).toBe(202);
    await h.drain();
    const updates = h.slack.callsTo('chat.update').length;
    // Replays of both: duplicates, no new message, no further update.
    expect((await webhookPost(c.raw, c.headers)).body).toEqual({ status: 'duplicate' });
    expect((await webhookPost(r.raw, r.headers)).body).toEqual({ status: 'duplicate' });
    await h.drain();
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(h.slack.callsTo('chat.update')).toHaveLength(updates);
    expect((await db.db.select().from(approvals))[0]!.status).toBe('cancelled');
  });
});
