import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approvals, auditLog, jobs } from '../../src/db/schema.ts';
import { validateMessage } from '../support/block-kit.ts';
import { type TestDatabase } from '../support/database.ts';
import { appPerTest } from '../support/lifecycle.ts';
import type { FakeMessage } from '../support/fake-slack.ts';
import { ADMIN, ALICE, approvalEvent, approvalMessage, approvalMessages, BOB, PLATFORM_TOKEN, PUBLIC_CHANNEL, TEAM, waitFor, WEBHOOK_SECRET, type Harness } from '../support/harness.ts';

let db: TestDatabase;
let h: Harness;
appPerTest((ctx) => ({ db, h } = ctx));

const botMessages = () => approvalMessages(h.slack, PUBLIC_CHANNEL.id);
const buttonsOf = (m: FakeMessage | undefined) => JSON.stringify(m?.blocks ?? []).match(/"action_id":"approval_(approve|edit|reject)"/g) ?? [];

async function requestApproval(opts: { draftText?: string; emailThreadId?: string; approverUserIds?: string[]; escalationUserIds?: string[]; expiresAt?: string } = {}) {
  const identity = await h.seedIdentity({
    ...(opts.approverUserIds ? { approverUserIds: opts.approverUserIds } : {}),
    ...(opts.escalationUserIds ? { settings: { escalationUserIds: opts.escalationUserIds } } : {}),
  });
  const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId, ...opts });
  h.api.addApproval({ approvalId: event.data.approval_id, workspaceToken: PLATFORM_TOKEN });
  const res = await h.deliver(event);
  expect(res.status).toBe(202);
  await h.drain();
  const message = approvalMessage(h.slack, PUBLIC_CHANNEL.id, event.data.approval_id);
  return { identity, event, approvalId: event.data.approval_id, message: message! };
}

/** `stale`: the person still sees an older copy of the message (buttons Slack has since removed). */
async function click(action: 'approve' | 'edit' | 'reject' | 'view_draft', approvalId: string, messageTs: string, opts: { userId?: string; teamId?: string; stale?: boolean } = {}) {
  const res = await h.client.blockActions({
    teamId: opts.teamId ?? TEAM.id,
    userId: opts.userId ?? ALICE,
    channelId: PUBLIC_CHANNEL.id,
    messageTs,
    actionId: `approval_${action}`,
    blockId: 'approval_actions',
    value: approvalId,
    ...(opts.stale ? { bypassClientChecks: true } : {}),
  });
  expect(res.status).toBe(200);
  return res;
}

describe('approval requests', () => {
  it('posts a requested draft once to the identity’s channel, with buttons and a text fallback', async () => {
    const { approvalId, message } = await requestApproval();
    expect(botMessages()).toHaveLength(1);
    expect(message.text).toContain('carol@customer.example');
    expect(validateMessage({ text: message.text, blocks: message.blocks })).toEqual([]);
    expect(buttonsOf(message)).toHaveLength(3);
    const [row] = await db.db.select().from(approvals).where(eq(approvals.id, approvalId));
    expect(row).toMatchObject({ status: 'pending', messageTs: message.ts, channelId: PUBLIC_CHANNEL.id });
  });

  it('stores a delivery made twice, or twice at once, as one approval and one message', async () => {
    const identity = await h.seedIdentity();
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    const results = await Promise.all([h.deliver(event), h.deliver(event), h.deliver(event)]);
    expect(results.map((r) => r.status)).toEqual([202, 202, 202]);
    expect((await h.deliver(event)).body).toEqual({ status: 'duplicate' });
    // The same approval under a new event id (a platform retry with a fresh id) is still one.
    expect((await h.deliver({ ...event, id: 'evt_other' })).status).toBe(202);
    await h.drain();
    expect(await db.db.select().from(approvals)).toHaveLength(1);
    expect(botMessages()).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('answers 404 for an identity this app does not serve, storing nothing', async () => {
    const res = await h.deliver(approvalEvent({ identityId: '3c90c3cc-0d44-4b50-8888-8dd25736052a', workspaceId: h.workspace.workspaceId }));
    expect(res.status).toBe(404);
    expect(await db.db.select().from(approvals)).toEqual([]);
    expect(await db.db.select().from(jobs)).toEqual([]);
  });

  it('answers 400 for a body that is not an approval event, storing nothing', async () => {
    const identity = await h.seedIdentity();
    const good = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    for (const bad of [{ ...good, type: 'approval.exploded' }, { ...good, data: { ...good.data, approval_id: 'not-a-uuid' } }, { id: 'x' }]) {
      expect((await h.deliver(bad)).status).toBe(400);
    }
    const { draft: _draft, ...withoutDraft } = good.data;
    expect(await h.deliver({ ...good, data: withoutDraft })).toMatchObject({ status: 400, body: { error: 'approval.requested needs data.draft' } });
    expect((await h.deliver(null, { rawBody: '{not json' })).status).toBe(400);
    expect(await db.db.select().from(approvals)).toEqual([]);
  });

  it('answers 413 to a body over 2 MiB, on a connection that still works, storing nothing', async () => {
    const identity = await h.seedIdentity();
    const huge = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId, draftText: 'x'.repeat(3 * 1024 * 1024) });
    const res = await h.deliver(huge);
    expect(res).toMatchObject({ status: 413, body: { error: expect.stringContaining('larger than') } });
    expect(await db.db.select().from(approvals)).toEqual([]);
    // The app still answers normally afterwards.
    expect((await h.deliver(approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId }))).status).toBe(202);
  });

  it('mirrors an identity created elsewhere whose approval channel is in this team', async () => {
    const identity = await h.seedIdentity();
    await db.reset();
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    expect((await h.deliver(event)).status).toBe(202);
    await h.drain();
    expect(botMessages()).toHaveLength(1);
    // A different workspace id than the identity's is not this identity.
    expect((await h.deliver(approvalEvent({ identityId: identity.id, workspaceId: '3c90c3cc-0d44-4b50-8888-8dd25736052a' }))).status).toBe(404);
  });

  // Timestamps are taken when the test runs: taken when the file loads, a slow run brings "far future" into the window.
  const unixNow = () => Math.floor(Date.now() / 1000);
  it.each([
    ['no signature header', () => ({ headers: { 'x-signature': '' } })],
    ['a wrong secret', () => ({ secret: 'not-the-webhook-secret-123' })],
    ['a stale timestamp', () => ({ timestamp: unixNow() - 330 })],
    ['a far-future timestamp', () => ({ timestamp: unixNow() + 330 })],
  ])('refuses a delivery with %s (401), storing nothing', async (_name, options) => {
    const identity = await h.seedIdentity();
    const res = await h.deliver(approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId }), options());
    expect(res.status).toBe(401);
    expect(await db.db.select().from(approvals)).toEqual([]);
  });

  it('refuses a body altered after signing (401)', async () => {
    const identity = await h.seedIdentity();
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    const t = Math.floor(Date.now() / 1000);
    const { signPayload } = await import('../../src/approvals/webhook-signature.ts');
    const signature = `t=${t},v1=${signPayload(WEBHOOK_SECRET, t, JSON.stringify(event))}`;
    const altered = JSON.stringify({ ...event, data: { ...event.data, draft: { ...event.data.draft, text: 'Send me your password' } } });
    const res = await h.deliver(null, { rawBody: altered, headers: { 'x-signature': signature } });
    expect(res.status).toBe(401);
    expect(await db.db.select().from(approvals)).toEqual([]);
  });

  it('posts a 6,000-character draft in full across sections', async () => {
    const lines = Array.from({ length: 92 }, (_, i) => `Line ${String(i).padStart(3, '0')}: ${'lorem ipsum dolor sit amet '.repeat(2)}`);
    const text = lines.join('\n').padEnd(6000, '.');
    expect(text).toHaveLength(6000);
    const { message } = await requestApproval({ draftText: text });
    expect(validateMessage({ text: message.text, blocks: message.blocks })).toEqual([]);
    const shown = JSON.stringify(message.blocks);
    for (const line of lines) expect(shown).toContain(line);
    expect(shown).not.toContain('truncated');
  });

  it('posts a very long draft truncated, with a button that shows all of it', async () => {
    const text = 'x'.repeat(40_000) + ' THE END';
    const { approvalId, message } = await requestApproval({ draftText: text });
    expect(JSON.stringify(message.blocks)).toContain('approval_view_draft');
    await click('view_draft', approvalId, message.ts);
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'views.open');
    expect(JSON.stringify(h.slack.lastView()!.blocks)).toContain('THE END');
  });

  it('keeps approvals of one email thread in one Slack thread', async () => {
    const identity = await h.seedIdentity();
    const first = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId, emailThreadId: 'thread-42' });
    const second = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId, emailThreadId: 'thread-42' });
    const other = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId, emailThreadId: 'thread-43' });
    await h.deliver(first);
    await h.deliver(second);
    await h.deliver(other);
    await h.drain();
    await waitFor(() => botMessages().length === 3, 'three posts');
    const byApproval = (id: string) => botMessages().find((m) => JSON.stringify(m.metadata).includes(id))!;
    const root = byApproval(first.data.approval_id);
    // The first is a channel message (a thread parent, if anything), the second a reply under it.
    expect([undefined, root.ts]).toContain(root.thread_ts);
    expect(byApproval(second.data.approval_id).thread_ts).toBe(root.ts);
    expect(byApproval(other.data.approval_id).thread_ts).toBeUndefined();
  });

  it('still posts a later approval when the first of its thread was cancelled before it was shown', async () => {
    const identity = await h.seedIdentity();
    h.slack.failNext('chat.postMessage', { status: 503 }, 3);
    const first = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId, emailThreadId: 'thread-7' });
    await h.deliver(first);
    await h.deliver(approvalEvent({ type: 'approval.cancelled', approvalId: first.data.approval_id, identityId: identity.id, workspaceId: identity.workspaceId }));
    const second = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId, emailThreadId: 'thread-7' });
    await h.deliver(second);
    await waitFor(() => botMessages().length === 1, 'the second approval', 15_000);
    const [only] = botMessages();
    expect(JSON.stringify(only!.metadata)).toContain(second.data.approval_id);
    expect(only!.thread_ts).toBeUndefined();
  });
});

describe('posting through Slack failures', () => {
  it('waits out a 429 with Retry-After and posts once', async () => {
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const identity = await h.seedIdentity();
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    const delivered = Date.now();
    await h.deliver(event);
    await waitFor(() => botMessages().length === 1, 'the post after Retry-After', 10_000);
    const posts = h.slack.callsTo('chat.postMessage');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(posts[1]!.at).toBeGreaterThan(delivered);
  });

  it('does not let a rate-limited post delay opening a modal', async () => {
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 30 }, 5);
    const identity = await h.seedIdentity();
    await h.deliver(approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId }));
    await waitFor(() => h.slack.callsTo('chat.postMessage').length >= 1, 'the rate-limited post');
    // The fake expires trigger ids after 3 s, as Slack does: a views.open held behind the 429 would fail.
    await h.openCreateModal();
    expect(h.slack.callsTo('views.open')[0]!.result).toMatchObject({ ok: true });
  });

  it('retries after Slack 5xx and posts once', async () => {
    h.slack.failNext('chat.postMessage', { status: 503 }, 2);
    const identity = await h.seedIdentity();
    await h.deliver(approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId }));
    await waitFor(() => botMessages().length === 1, 'the post after 5xx', 15_000);
    await h.drain();
    expect(botMessages()).toHaveLength(1);
  });

  it('finds its own message instead of posting again when Slack posted but the answer was lost', async () => {
    h.slack.failNext('chat.postMessage', { lostResponse: true });
    const identity = await h.seedIdentity();
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    await h.deliver(event);
    await waitFor(() => h.slack.callsTo('conversations.history').length === 1, 'the look-up after the lost answer', 10_000);
    await h.drain();
    expect(botMessages()).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    const [row] = await db.db.select().from(approvals);
    expect(row!.messageTs).toBe(botMessages()[0]!.ts);
  });
});

describe('decisions', () => {
  it('ends showing the latest state even when an older update lands last', async () => {
    const { approvalId, message } = await requestApproval();
    const shown = () => JSON.stringify(botMessages()[0]!.blocks);
    // The order is arranged, not raced: the report waits until the "decided" update is on its
    // way to Slack, and that update is held until the "sent" one has landed.
    let releaseReport!: () => void;
    let releaseDecidedUpdate!: () => void;
    h.api.failNext('POST /v1/approvals/{approval_id}/decision', { heldUntil: new Promise<void>((r) => (releaseReport = r)) });
    h.slack.failNext('chat.update', { heldUntil: new Promise<void>((r) => (releaseDecidedUpdate = r)) });
    await click('approve', approvalId, message.ts);
    await waitFor(() => h.slack.callsTo('chat.update').length === 1, 'the "decided" update to reach Slack');
    const decidedUpdate = h.slack.callsTo('chat.update')[0]!;
    expect(JSON.stringify(decidedUpdate.args.blocks)).not.toContain('Sent.');
    releaseReport();
    await waitFor(() => shown().includes('Sent.'), 'the "sent" update to land');
    releaseDecidedUpdate();
    // The older update lands, then the app puts the latest state back.
    await waitFor(() => decidedUpdate.result !== undefined && shown().includes('Sent.'), 'the latest state after the older update landed', 10_000);
    await h.drain();
    expect(shown()).toContain('Sent.');
    expect(h.api.decisions(approvalId)).toHaveLength(1);
    expect((await db.db.select().from(approvals).where(eq(approvals.id, approvalId)))[0]).toMatchObject({ status: 'approved', reportStatus: 'accepted' });
  });

  it('approve: one decision reported with an idempotency key, then the message says who approved and that it was sent', async () => {
    const { approvalId, message } = await requestApproval();
    await click('approve', approvalId, message.ts);
    await waitFor(() => h.api.decisions(approvalId).length === 1, 'the decision at the platform');
    await h.drain();
    const [decision] = h.api.decisions(approvalId);
    expect(decision!.decision).toEqual({ decision: 'approve', decided_by: { type: 'slack', team_id: TEAM.id, user_id: ALICE, name: null }, draft: null });
    expect(decision!.idempotencyKey).toBe(`slack-decision:${approvalId}`);
    const updated = botMessages()[0]!;
    expect(buttonsOf(updated)).toEqual([]);
    expect(JSON.stringify(updated.blocks)).toContain(`*Approved* by <@${ALICE}>`);
    expect(JSON.stringify(updated.blocks)).toMatch(/Sent/);
    expect(await db.db.select().from(auditLog).where(eq(auditLog.action, 'approval.approved'))).toEqual([expect.objectContaining({ actorUserId: ALICE, subjectId: approvalId })]);
  });

  it('two people clicking approve at once make one decision; the other is told who won', async () => {
    const { approvalId, message } = await requestApproval();
    await Promise.all([click('approve', approvalId, message.ts, { userId: ALICE }), click('approve', approvalId, message.ts, { userId: BOB })]);
    await waitFor(() => h.slack.responses.length === 1, 'the loser’s private note');
    await h.drain();
    expect(h.api.decisions(approvalId)).toHaveLength(1);
    const winner = h.api.decisions(approvalId)[0]!.decision as { decided_by: { user_id: string } };
    expect(JSON.stringify(h.slack.responses[0]!.body)).toContain(`Already approved by <@${winner.decided_by.user_id}>`);
    expect(await db.db.select().from(auditLog).where(eq(auditLog.subjectId, approvalId))).toHaveLength(1);
  });

  it('refuses and logs a click from another Slack team, changing nothing', async () => {
    h.slack.addTeam({ id: 'T0OTHER', botToken: 'xoxb-2222-other-team-token', botUserId: 'U0BOT2', botId: 'B0BOT2' });
    h.slack.addUser({ id: 'U0MALLORY', teamId: 'T0OTHER', name: 'mallory' });
    const { approvalId, message } = await requestApproval();
    await click('approve', approvalId, message.ts, { teamId: 'T0OTHER', userId: 'U0MALLORY' });
    await waitFor(() => h.slack.responses.length === 1, 'the refusal');
    expect(JSON.stringify(h.slack.responses[0]!.body)).toContain('belongs to another Slack workspace');
    expect(h.logs.join('\n')).toMatch(/click from team T0OTHER, approval belongs to T0TEAMONE/);
    const [row] = await db.db.select().from(approvals);
    expect(row!.status).toBe('pending');
    expect(h.api.decisions(approvalId)).toEqual([]);
  });

  it('tells someone who is not an approver who can decide, changing nothing', async () => {
    const { approvalId, message } = await requestApproval({ approverUserIds: [BOB] });
    await click('approve', approvalId, message.ts, { userId: ALICE });
    await waitFor(() => h.slack.responses.length === 1, 'the refusal');
    expect(JSON.stringify(h.slack.responses[0]!.body)).toContain(`Only <@${BOB}> can decide`);
    expect((await db.db.select().from(approvals))[0]!.status).toBe('pending');
    await click('approve', approvalId, message.ts, { userId: BOB });
    await waitFor(() => h.api.decisions(approvalId).length === 1, 'the approver’s decision');
  });

  it('lets an Escalate to person decide beside the approvers, and names them to anyone else', async () => {
    const { approvalId, message } = await requestApproval({ approverUserIds: [BOB], escalationUserIds: [ADMIN] });
    await click('approve', approvalId, message.ts, { userId: ALICE });
    await waitFor(() => h.slack.responses.length === 1, 'the refusal');
    expect(JSON.stringify(h.slack.responses[0]!.body)).toContain(`Only <@${BOB}>, <@${ADMIN}> can decide`);
    await click('reject', approvalId, message.ts, { userId: ADMIN });
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'the reject modal');
    const view = h.slack.lastView()!;
    await h.client.submitView({ teamId: TEAM.id, userId: ADMIN, viewId: view.id, values: {} });
    await waitFor(() => h.api.decisions(approvalId).length === 1, 'the escalation contact’s decision');
    const [row] = await db.db.select().from(approvals).where(eq(approvals.id, approvalId));
    expect(row).toMatchObject({ status: 'rejected', decidedByUserId: ADMIN });
  });

  it('edit: opens the draft in a modal and approves the edited reply', async () => {
    const { approvalId, message } = await requestApproval();
    await click('edit', approvalId, message.ts);
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'the editor');
    const view = h.slack.lastView()!;
    expect(JSON.stringify(view.blocks)).toContain('Hi Carol, your order ships tomorrow.');
    const res = await h.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId: view.id, values: { draft_subject: 'Re: Your order', draft_text: 'Hi Carol, it ships today!' } });
    expect(res.ack.kind).toBe('clear');
    await waitFor(() => h.api.decisions(approvalId).length === 1, 'the edited decision');
    await h.drain();
    expect(h.api.decisions(approvalId)[0]!.decision).toMatchObject({ decision: 'approve', draft: { subject: 'Re: Your order', text: 'Hi Carol, it ships today!' } });
    const shown = JSON.stringify(botMessages()[0]!.blocks);
    expect(shown).toContain('it ships today!');
    expect(shown).toContain('edited');
  });

  it('edit: says clearly when a draft is too long to edit in Slack', async () => {
    const { approvalId, message } = await requestApproval({ draftText: 'y'.repeat(3500) });
    await click('edit', approvalId, message.ts);
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'the explanation');
    const view = h.slack.lastView()!;
    expect(view.callback_id).toBe('approval_draft_too_long');
    expect(JSON.stringify(view.blocks)).toMatch(/3,000/);
  });

  it('reject: asks for an optional reason and reports it', async () => {
    const { approvalId, message } = await requestApproval();
    await click('reject', approvalId, message.ts);
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'the reject form');
    const view = h.slack.lastView()!;
    await h.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId: view.id, values: { reject_reason: 'Offer a refund instead.' } });
    await waitFor(() => h.api.decisions(approvalId).length === 1, 'the rejection');
    await h.drain();
    expect(h.api.decisions(approvalId)[0]!.decision).toMatchObject({ decision: 'reject', reason: 'Offer a refund instead.' });
    const shown = JSON.stringify(botMessages()[0]!.blocks);
    expect(shown).toContain(`*Rejected* by <@${ALICE}>`);
    expect(shown).toContain('Offer a refund instead.');
    expect(buttonsOf(botMessages()[0])).toEqual([]);
  });

  it('delivers a decision made while the platform is down once it is back, exactly once', async () => {
    const { approvalId, message } = await requestApproval();
    h.api.setDown(true);
    await click('approve', approvalId, message.ts);
    await waitFor(() => h.api.requestsTo('POST', `/v1/approvals/${approvalId}/decision`).length >= 1, 'a failed report');
    await h.drain();
    expect(JSON.stringify(botMessages()[0]!.blocks)).not.toMatch(/Sent\./);
    h.api.setDown(false);
    await waitFor(() => h.api.decisions(approvalId).length === 1, 'the report after recovery', 15_000);
    await h.drain();
    expect(h.api.decisions(approvalId)).toHaveLength(1);
    const keys = new Set(h.api.requestsTo('POST', `/v1/approvals/${approvalId}/decision`).map((r) => r.headers['idempotency-key']));
    expect(keys).toEqual(new Set([`slack-decision:${approvalId}`]));
    await waitFor(() => JSON.stringify(botMessages()[0]!.blocks).includes('Sent'), 'the message saying sent');
  });

  it('says the platform did not accept a decision it answered 409 to, never claiming sent', async () => {
    const { approvalId, message } = await requestApproval();
    h.api.failNext('POST /v1/approvals/{approval_id}/decision', { status: 409, body: { detail: 'Approval already expired' } });
    await click('approve', approvalId, message.ts);
    await waitFor(() => (h.slack.messages(PUBLIC_CHANNEL.id)[0]?.blocks ?? []).length > 0 && JSON.stringify(botMessages()[0]!.blocks).includes('Approval already expired'), 'the refusal on the message');
    const shown = JSON.stringify(botMessages()[0]!.blocks);
    expect(shown).not.toMatch(/\bSent\b/);
    expect((await db.db.select().from(approvals))[0]).toMatchObject({ reportStatus: 'refused' });
  });

  it('answers a click on an approval that is no longer pending privately', async () => {
    const { approvalId, message } = await requestApproval();
    await click('approve', approvalId, message.ts, { userId: BOB });
    await waitFor(() => h.api.decisions(approvalId).length === 1, 'the first decision');
    await click('reject', approvalId, message.ts, { userId: ALICE, stale: true });
    await waitFor(() => h.slack.responses.length === 1, 'the private answer');
    expect(JSON.stringify(h.slack.responses[0]!.body)).toContain(`Already approved by <@${BOB}>`);
    expect(h.slack.callsTo('views.open')).toEqual([]);
  });
});

describe('cancel and expiry', () => {
  it.each(['approval.cancelled', 'approval.expired'] as const)('%s removes the buttons and says why', async (type) => {
    const { identity, approvalId, message } = await requestApproval();
    const res = await h.deliver(approvalEvent({ type, approvalId, identityId: identity.id, workspaceId: identity.workspaceId, reason: 'Customer replied again' }));
    expect(res.status).toBe(202);
    await h.drain();
    const updated = botMessages().find((m) => m.ts === message.ts)!;
    expect(buttonsOf(updated)).toEqual([]);
    expect(JSON.stringify(updated.blocks)).toMatch(type === 'approval.cancelled' ? /Cancelled/ : /Expired/);
    expect((await db.db.select().from(approvals))[0]!.status).toBe(type === 'approval.cancelled' ? 'cancelled' : 'expired');
    await click('approve', approvalId, message.ts, { stale: true });
    await waitFor(() => h.slack.responses.length === 1, 'the private answer');
    expect(h.api.decisions(approvalId)).toEqual([]);
  });

  it.each(['approval.cancelled', 'approval.expired'] as const)('%s that overtakes its request stores it closed and posts nothing', async (type) => {
    const identity = await h.seedIdentity();
    const request = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId, draftText: 'Overtaken draft' });
    const close = approvalEvent({ type, approvalId: request.data.approval_id, identityId: identity.id, workspaceId: identity.workspaceId, reason: 'Answered by phone' });
    expect((await h.deliver(close)).body).toEqual({ status: 'stored' });
    expect((await h.deliver(request)).body).toEqual({ status: 'stored' });
    expect((await h.deliver(request)).body).toEqual({ status: 'duplicate' });
    await h.drain();
    const [row] = await db.db.select().from(approvals);
    expect(row).toMatchObject({ status: type === 'approval.cancelled' ? 'cancelled' : 'expired', closedReason: 'Answered by phone', messageTs: null });
    // The request's content is kept, for the record.
    expect(JSON.stringify(row!.request)).toContain('Overtaken draft');
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(await db.db.select().from(jobs)).toEqual([]);
  });

  it('a request and its cancel delivered at the same moment always end cancelled, with no live buttons', async () => {
    const identity = await h.seedIdentity();
    const pairs = Array.from({ length: 12 }, () => {
      const request = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
      const cancel = approvalEvent({ type: 'approval.cancelled', approvalId: request.data.approval_id, identityId: identity.id, workspaceId: identity.workspaceId });
      return { request, cancel };
    });
    // Both orders of arrival, all at once.
    const results = await Promise.all(pairs.flatMap(({ request, cancel }, i) => (i % 2 ? [h.deliver(request), h.deliver(cancel)] : [h.deliver(cancel), h.deliver(request)])));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 202));
    await h.drain();
    const rows = await db.db.select().from(approvals);
    expect(rows.map((r) => r.status).sort()).toEqual(pairs.map(() => 'cancelled'));
    // Whatever was posted before its cancel landed shows it was cancelled.
    for (const m of botMessages()) expect(buttonsOf(m)).toEqual([]);
  });

  it('expires an approval whose expires_at passes with no event', async () => {
    const { approvalId, message } = await requestApproval({ expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(buttonsOf(message)).toHaveLength(3);
    expect((await db.db.select().from(approvals).where(eq(approvals.id, approvalId)))[0]!.status).toBe('pending');
    // The window ends: moved into the past rather than waited for, so a slow machine cannot expire it before it is posted.
    await db.db.update(approvals).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(approvals.id, approvalId));
    await waitFor(() => buttonsOf(botMessages()[0]).length === 0, 'the expiry update', 10_000);
    await h.drain();
    expect(JSON.stringify(botMessages()[0]!.blocks)).toMatch(/Expired/);
    expect((await db.db.select().from(approvals).where(eq(approvals.id, approvalId)))[0]).toMatchObject({ status: 'expired', closedReason: expect.stringMatching(/window ended/) });
    expect(h.api.decisions(approvalId)).toEqual([]);
  });
});
