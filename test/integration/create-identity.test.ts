import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, identities, identityCreations } from '../../src/db/schema.ts';
import { type TestDatabase } from '../support/database.ts';
import { appPerTest, type AppPerTest } from '../support/lifecycle.ts';
import {
  ALICE,
  ARCHIVED_CHANNEL,
  BOB,
  PLATFORM_TOKEN,
  PRIVATE_CHANNEL,
  PRIVATE_WITH_BOT,
  PUBLIC_CHANNEL,
  TEAM,
  type Harness,
  waitFor,
} from '../support/harness.ts';
import { validateView } from '../support/block-kit.ts';
import type { InputValue } from '../support/slack-client.ts';

let db: TestDatabase;
let h: Harness;
let restart: AppPerTest['restart'];
appPerTest((ctx) => ({ db, h, restart } = ctx));

const viewText = (view: unknown) => JSON.stringify(view);

function fill(h: Harness, overrides: Record<string, InputValue> = {}): Record<string, InputValue> {
  const domain = h.workspace.domains.find((d) => d.name === 'acme.com')!;
  return {
    domain: { value: domain.id, text: domain.name },
    local_part: 'support',
    display_name: 'Acme Support',
    approval_channel: PUBLIC_CHANNEL.id,
    ...overrides,
  };
}

async function submit(viewId: string, values: Record<string, InputValue>, opts: { userId?: string; bypassClientChecks?: boolean } = {}) {
  return h.client.submitView({ teamId: TEAM.id, userId: opts.userId ?? ALICE, viewId, values, ...(opts.bypassClientChecks ? { bypassClientChecks: true } : {}) });
}

describe('/identity opens the create modal', () => {
  it('acks and opens the modal with the trigger id before any platform call, preselecting the channel', async () => {
    const res = await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'new' });
    expect(res.status).toBe(200);
    await waitFor(() => h.slack.callsTo('views.open').length > 0, 'views.open');
    const [open] = h.slack.callsTo('views.open');
    expect(open?.args.trigger_id).toBe(res.triggerId);
    expect(open?.result).toMatchObject({ ok: true });
    const view = h.slack.lastView()!;
    expect(view.callback_id).toBe('identity_create');
    expect(validateView(view)).toEqual([]);
    const channelBlock = view.blocks.find((b) => (b as { block_id?: string }).block_id === 'approval_channel') as { element: { initial_conversation?: string } };
    expect(channelBlock.element.initial_conversation).toBe(PUBLIC_CHANNEL.id);
    const firstApiCall = h.api.requests[0];
    if (firstApiCall) expect(firstApiCall.at).toBeGreaterThanOrEqual(open!.at);
  });

  it('opens the modal even when the platform is slow, and never waits for it', async () => {
    h.api.setLatency('*', 2500);
    // The fake expires trigger ids after 3 s, as Slack does: a late views.open fails.
    await h.openCreateModal();
    expect(h.slack.callsTo('views.open')[0]?.result).toMatchObject({ ok: true });
  });

  it('offers only verified domains, filtered by what the person types', async () => {
    const viewId = await h.openCreateModal();
    const all = await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'domain', blockId: 'domain', value: '' });
    expect(all.problems).toEqual([]);
    expect((all.body as { options: { text: { text: string } }[] }).options.map((o) => o.text.text)).toEqual(['acme.com', 'acme.io']);
    const filtered = await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'domain', blockId: 'domain', value: '.IO' });
    expect((filtered.body as { options: { text: { text: string } }[] }).options.map((o) => o.text.text)).toEqual(['acme.io']);
  });

  it('answers the domain menu within Slack’s window even while the platform is slow', async () => {
    h.api.setLatency('GET /v1/domains', 4000);
    const viewId = await h.openCreateModal();
    const res = await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'domain', blockId: 'domain', value: '' });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('Could not load the list');
  });

  it('offers the workspace’s assistants', async () => {
    const viewId = await h.openCreateModal();
    const res = await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'assistant', blockId: 'assistant', value: '' });
    expect((res.body as { options: { text: { text: string }; value: string }[] }).options).toEqual(
      h.workspace.assistants.map((a) => expect.objectContaining({ value: a.id, text: expect.objectContaining({ text: a.name }) })),
    );
  });

  it('explains in the menu when the domain list cannot be loaded', async () => {
    h.api.setDown(true);
    const viewId = await h.openCreateModal();
    const res = await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'domain', blockId: 'domain', value: '' });
    expect(res.problems).toEqual([]);
    expect(JSON.stringify(res.body)).toContain('Could not load the list');
  });

  it('replaces the form with the reason when the workspace has no verified domain', async () => {
    await restart({ platformToken: 'plat_only_pending_domains_token' });
    h.api.addWorkspace({ token: 'plat_only_pending_domains_token', domains: [{ name: 'later.example', status: 'pending' }] });
    const viewId = await h.openCreateModal();
    await expect.poll(() => viewText(h.slack.view(viewId))).toContain('no verified domain');
    expect(viewText(h.slack.view(viewId))).toContain('later.example');
    expect(h.slack.view(viewId)!.submit ?? undefined).toBeUndefined();
  });

  it('replaces the form when the platform refuses the workspace token', async () => {
    h.api.revokeToken(PLATFORM_TOKEN);
    const viewId = await h.openCreateModal();
    await expect.poll(() => viewText(h.slack.view(viewId))).toContain('refused this workspace’s API token');
  });

  it('says the workspace is not connected when there is no platform token', async () => {
    await restart({ platformToken: null });
    const viewId = await h.openCreateModal();
    expect(viewText(h.slack.view(viewId))).toContain('not connected to a platform workspace');
    expect(h.api.requests).toEqual([]);
  });

  it('tells the person privately when Slack refuses to open the modal', async () => {
    h.slack.failNext('views.open', { error: 'expired_trigger_id' });
    const res = await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id });
    expect(res.status).toBe(200);
    await expect.poll(() => h.slack.responses.map((r) => JSON.stringify(r.body)).join()).toContain('Slack took too long to open the form');
  });
});

describe('submitting the create modal', () => {
  it('creates exactly one identity with the Slack approval channel, stores it, shows it and announces it', async () => {
    const viewId = await h.openCreateModal();
    const assistant = h.workspace.assistants[0]!;
    const res = await submit(viewId, fill(h, { assistant: { value: assistant.id, text: assistant.name }, reply_to: 'help@acme.com', thread_depth: '5', signature_text: '— Acme' }));
    expect(res.status).toBe(200);
    expect(res.ack.kind).toBe('update');

    const [created] = h.api.requestsTo('POST', '/v1/identities');
    expect(h.api.requestsTo('POST', '/v1/identities')).toHaveLength(1);
    expect(created!.headers.authorization).toBe(`Bearer ${PLATFORM_TOKEN}`);
    expect(created!.headers['idempotency-key']).toMatch(new RegExp(`^slack-identity-create:${viewId}:`));
    expect(created!.body).toEqual({
      domain_id: h.workspace.domains[0]!.id,
      local_part: 'support',
      display_name: 'Acme Support',
      assistant_id: assistant.id,
      reply_to_email: 'help@acme.com',
      signature_text: '— Acme',
      signature_html: null,
      thread_history_depth: 5,
      approval_channel: { type: 'slack', team_id: TEAM.id, channel_id: PUBLIC_CHANNEL.id, channel_name: PUBLIC_CHANNEL.name },
    });

    const identity = h.api.identities(PLATFORM_TOKEN)[0]!;
    expect(identity.email_address).toBe('support@acme.com');
    expect(viewText(h.slack.view(viewId))).toContain('support@acme.com');
    expect(viewText(h.slack.view(viewId))).toContain(`<#${PUBLIC_CHANNEL.id}>`);

    const rows = await db.db.select().from(identities);
    expect(rows).toEqual([expect.objectContaining({ id: identity.id, teamId: TEAM.id, emailAddress: 'support@acme.com', approvalChannelId: PUBLIC_CHANNEL.id, createdByUserId: ALICE })]);
    const audit = await db.db.select().from(auditLog).where(eq(auditLog.action, 'identity.created'));
    expect(audit).toEqual([expect.objectContaining({ actorUserId: ALICE, subjectId: identity.id })]);

    await h.drain();
    const notes = h.slack.messages(PUBLIC_CHANNEL.id).filter((m) => m.user === TEAM.botUserId);
    expect(notes.map((m) => m.text)).toEqual([expect.stringContaining(`<@${ALICE}> created support@acme.com`)]);
  });

  it('sends the chosen approvers as approver_user_ids', async () => {
    const viewId = await h.openCreateModal();
    await submit(viewId, fill(h, { approvers: [ALICE, BOB] }));
    expect(h.api.requestsTo('POST', '/v1/identities')[0]!.body).toMatchObject({
      approval_channel: { type: 'slack', team_id: TEAM.id, channel_id: PUBLIC_CHANNEL.id, channel_name: PUBLIC_CHANNEL.name, approver_user_ids: [ALICE, BOB] },
    });
  });

  it('puts validation errors on their fields and calls nothing', async () => {
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h, { local_part: 'sales team', reply_to: 'nope@', display_name: ' ' }), { bypassClientChecks: true });
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { local_part: expect.stringMatching(/letters, digits/), reply_to: expect.stringMatching(/valid email/), display_name: expect.any(String) } });
    expect(h.api.requestsTo('POST', '/v1/identities')).toEqual([]);
  });

  it('joins a public channel it is not in before creating', async () => {
    const viewId = await h.openCreateModal();
    h.slack.channel(PUBLIC_CHANNEL.id)!.members.splice(0);
    await submit(viewId, fill(h));
    expect(h.slack.callsTo('conversations.join').map((c) => c.args.channel)).toEqual([PUBLIC_CHANNEL.id]);
    expect(h.api.identities(PLATFORM_TOKEN)).toHaveLength(1);
  });

  it('asks to be invited to a private channel it is not in, and creates nothing', async () => {
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h, { approval_channel: PRIVATE_CHANNEL.id }));
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { approval_channel: expect.stringMatching(/invite me/) } });
    expect(h.api.requestsTo('POST', '/v1/identities')).toEqual([]);
    expect(await db.db.select().from(identities)).toEqual([]);
  });

  it('accepts a private channel the bot was invited to', async () => {
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h, { approval_channel: PRIVATE_WITH_BOT.id }));
    expect(res.ack.kind).toBe('update');
    expect(h.api.identities(PLATFORM_TOKEN)[0]!.approval_channel).toMatchObject({ channel_id: PRIVATE_WITH_BOT.id, channel_name: PRIVATE_WITH_BOT.name });
  });

  it('refuses an archived channel', async () => {
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h, { approval_channel: ARCHIVED_CHANNEL.id }));
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { approval_channel: expect.stringMatching(/archived/) } });
  });

  it('maps a 422 from the platform onto the field named by loc', async () => {
    h.api.failNext('POST /v1/identities', { status: 422, body: { detail: [{ loc: ['body', 'display_name'], msg: 'Display name is reserved', type: 'value_error' }] } });
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h));
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { display_name: 'Display name is reserved' } });
    expect(await db.db.select().from(identities)).toEqual([]);
  });

  it('shows a 422 that names no field of the form above the form, keeping the entries', async () => {
    h.api.failNext('POST /v1/identities', { status: 422, body: { detail: [{ loc: ['body', 'mystery'], msg: 'Mystery failed', type: 'value_error' }] } });
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h));
    expect(res.ack.kind).toBe('update');
    const view = viewText(h.slack.view(viewId));
    expect(view).toContain('mystery: Mystery failed');
    expect(view).toContain('"initial_value":"support"');
  });

  it('puts a taken address (409) on the local part', async () => {
    const first = await h.openCreateModal();
    await submit(first, fill(h));
    const second = await h.openCreateModal();
    const res = await submit(second, fill(h, { display_name: 'Another' }));
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { local_part: expect.stringMatching(/already exists/) } });
    expect(h.api.identities(PLATFORM_TOKEN)).toHaveLength(1);
    expect(await db.db.select().from(identities)).toHaveLength(1);
  });

  it('puts an unknown domain (404) on the domain and an unknown assistant on the assistant', async () => {
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h, { domain: { value: '3c90c3cc-0d44-4b50-8888-8dd25736052a', text: 'gone.com' } }));
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { domain: expect.stringMatching(/no longer exists/) } });
    const again = await submit(viewId, fill(h, { assistant: { value: '3c90c3cc-0d44-4b50-8888-8dd25736052b', text: 'Gone' } }));
    expect(again.ack).toMatchObject({ kind: 'errors', errors: { assistant: expect.stringMatching(/no longer exists/) } });
  });

  it('says the workspace token is missing or revoked (401) and how to fix it, storing nothing', async () => {
    const viewId = await h.openCreateModal();
    await waitFor(() => h.api.requestsTo('GET', '/v1/domains').length > 0, 'domains loaded');
    h.api.revokeToken(PLATFORM_TOKEN);
    const res = await submit(viewId, fill(h));
    expect(res.ack.kind).toBe('update');
    const view = viewText(h.slack.view(viewId));
    expect(view).toContain('missing or revoked');
    expect(view).toContain('IDENTITIES_API_TOKEN');
    expect(await db.db.select().from(identities)).toEqual([]);
  });

  it('says a server error is temporary, stores nothing, and a retry creates exactly one', async () => {
    // Two: the first try and the client's own retry.
    h.api.failNext('POST /v1/identities', { status: 503 }, 2);
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h));
    expect(res.ack.kind).toBe('update');
    expect(viewText(h.slack.view(viewId))).toContain('press Create to try again');
    expect(await db.db.select().from(identities)).toEqual([]);
    expect(h.api.identities(PLATFORM_TOKEN)).toEqual([]);

    const retry = await submit(viewId, {});
    expect(retry.ack.kind).toBe('update');
    expect(viewText(h.slack.view(viewId))).toContain('support@acme.com');
    expect(h.api.identities(PLATFORM_TOKEN)).toHaveLength(1);
    expect(await db.db.select().from(identities)).toHaveLength(1);
  });

  it('says so when the platform cannot be reached at all', async () => {
    const viewId = await h.openCreateModal();
    h.api.setDown(true);
    const res = await submit(viewId, fill(h));
    expect(res.ack.kind).toBe('update');
    expect(viewText(h.slack.view(viewId))).toMatch(/did not answer \(connection\)/);
    expect(await db.db.select().from(identities)).toEqual([]);
  });

  it('switches to "creating…" when the platform is slower than the ack budget, then shows the outcome', async () => {
    const viewId = await h.openCreateModal();
    h.api.setLatency('POST /v1/identities', 3200);
    const res = await submit(viewId, fill(h));
    expect(res.ack.kind).toBe('update');
    expect(viewText(h.slack.view(viewId))).toContain('Creating the identity');
    await expect.poll(() => viewText(h.slack.view(viewId)), { timeout: 8000 }).toContain('support@acme.com');
    expect(h.api.identities(PLATFORM_TOKEN)).toHaveLength(1);
    expect(await db.db.select().from(identities)).toHaveLength(1);
  });

  it('after "creating…", shows a late failure on the form with the entries kept', async () => {
    const viewId = await h.openCreateModal();
    await submit(viewId, fill(h));
    const second = await h.openCreateModal();
    h.api.setLatency('POST /v1/identities', 3200);
    await submit(second, fill(h));
    await expect.poll(() => viewText(h.slack.view(second)), { timeout: 8000 }).toContain('Address: That address already exists');
    expect(viewText(h.slack.view(second))).toContain('"initial_value":"support"');
  });

  it('messages the person when the modal was closed before a slow creation finished', async () => {
    const viewId = await h.openCreateModal();
    h.api.setLatency('POST /v1/identities', 3200);
    await submit(viewId, fill(h));
    h.slack.applyViewSubmissionAck(viewId, '');
    await expect.poll(() => h.slack.callsTo('chat.postMessage').map((c) => `${c.args.channel} ${c.args.text}`).join('\n'), { timeout: 8000 }).toContain(
      `${ALICE} Your email identity *support@acme.com* is ready`,
    );
  });

  it('creates one identity from a double click (two concurrent submissions of one modal)', async () => {
    const viewId = await h.openCreateModal();
    h.api.setLatency('POST /v1/identities', 500);
    const values = fill(h);
    const [a, b] = await Promise.all([submit(viewId, values), submit(viewId, values)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // The second never reaches the platform: the first holds the modal's claim.
    expect(h.api.requestsTo('POST', '/v1/identities')).toHaveLength(1);
    expect(h.api.identities(PLATFORM_TOKEN)).toHaveLength(1);
    expect(await db.db.select().from(identities)).toHaveLength(1);
    const creations = await db.db.select().from(identityCreations).where(and(eq(identityCreations.viewId, viewId), eq(identityCreations.status, 'succeeded')));
    expect(creations).toHaveLength(1);
  });

  it('posts the announcement later when Slack rate-limits it, and the identity is created regardless', async () => {
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const viewId = await h.openCreateModal();
    const res = await submit(viewId, fill(h));
    expect(res.ack.kind).toBe('update');
    expect(viewText(h.slack.view(viewId))).toContain('support@acme.com');
    await waitFor(() => h.slack.messages(PUBLIC_CHANNEL.id).some((m) => m.user === TEAM.botUserId), 'the announcement after Retry-After', 10_000);
    expect(h.slack.messages(PUBLIC_CHANNEL.id).filter((m) => m.user === TEAM.botUserId)).toHaveLength(1);
  });

  it('retries an announcement Slack refused with an error it may not refuse again, and posts it once', async () => {
    h.slack.failNext('chat.postMessage', { error: 'an_error_this_app_does_not_know' });
    const viewId = await h.openCreateModal();
    expect((await submit(viewId, fill(h))).ack.kind).toBe('update');
    await waitFor(() => h.slack.messages(PUBLIC_CHANNEL.id).some((m) => m.user === TEAM.botUserId), 'the announcement after its retry', 10_000);
    expect(h.slack.messages(PUBLIC_CHANNEL.id).filter((m) => m.user === TEAM.botUserId)).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage').length).toBeGreaterThanOrEqual(2);
  });

  it('a replayed submission of a finished modal shows the same identity and creates nothing new', async () => {
    const viewId = await h.openCreateModal();
    const first = await submit(viewId, fill(h));
    const calls = h.api.requestsTo('POST', '/v1/identities').length;
    const replay = await h.client.interactive(first.payload);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ response_action: 'update', view: { title: { text: 'Identity created' } } });
    expect(JSON.stringify(replay.body)).toContain('support@acme.com');
    expect(h.api.requestsTo('POST', '/v1/identities')).toHaveLength(calls);
    expect(h.api.identities(PLATFORM_TOKEN)).toHaveLength(1);
  });
});

describe('/identity list and help', () => {
  it('lists this workspace’s identities and their channels privately', async () => {
    const viewId = await h.openCreateModal();
    await submit(viewId, fill(h, { approvers: [BOB] }));
    const res = await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'list' });
    expect(res.status).toBe(200);
    await expect.poll(() => h.slack.responses.length).toBe(1);
    const body = h.slack.responses[0]!;
    expect(body.problems).toEqual([]);
    expect(body.body).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(body.body)).toContain(`*support@acme.com* (Acme Support) → <#${PUBLIC_CHANNEL.id}> · approvers: <@${BOB}>`);
  });

  it('does not list identities whose approval channel is in another Slack team', async () => {
    const token = PLATFORM_TOKEN;
    await fetch(`${h.api.url}/v1/identities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ domain_id: h.workspace.domains[0]!.id, local_part: 'other', display_name: 'Other', approval_channel: { type: 'slack', team_id: 'T0OTHER', channel_id: 'C0OTHER', channel_name: 'x' } }),
    });
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'list' });
    await expect.poll(() => h.slack.responses.length).toBe(1);
    const text = JSON.stringify(h.slack.responses[0]!.body);
    expect(text).not.toContain('other@acme.com');
    expect(text).toContain('No identity has its approval channel in this Slack workspace');
    expect(text).toContain('1 other identity has its approval channel elsewhere');
  });

  it('falls back to the identities created here when the platform is down, saying so', async () => {
    const viewId = await h.openCreateModal();
    await submit(viewId, fill(h));
    h.api.setDown(true);
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'list' });
    await expect.poll(() => h.slack.responses.length, { timeout: 8000 }).toBe(1);
    const text = JSON.stringify(h.slack.responses[0]!.body);
    expect(text).toContain('The platform did not answer');
    expect(text).toContain('support@acme.com');
  });

  it.each(['help', 'frobnicate now'])('answers "/identity %s" with usage', async (text) => {
    const res = await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/identity list') });
    if (text !== 'help') expect(JSON.stringify(res.body)).toContain('I don’t know `frobnicate now`');
  });
});

describe('secrets', () => {
  it('never logs the platform token or the bot token', async () => {
    const viewId = await h.openCreateModal();
    await submit(viewId, fill(h));
    h.api.revokeToken(PLATFORM_TOKEN);
    const again = await h.openCreateModal();
    await submit(again, fill(h, { local_part: 'sales' }));
    const logs = h.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(PLATFORM_TOKEN);
    expect(logs).not.toContain(TEAM.botToken);
  });
});
