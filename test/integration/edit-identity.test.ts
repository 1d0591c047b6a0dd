import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, identities, jobs } from '../../src/db/schema.ts';
import type { StoredIdentity } from '../../src/identities/store.ts';
import { validateView } from '../support/block-kit.ts';
import { type TestDatabase } from '../support/database.ts';
import { appPerTest } from '../support/lifecycle.ts';
import {
  ADMIN,
  ALICE,
  approvalEvent,
  approvalMessage,
  approvalMessages,
  BOB,
  PLATFORM_TOKEN,
  PRIVATE_CHANNEL,
  PRIVATE_WITH_BOT,
  PUBLIC_CHANNEL,
  TEAM,
  type Harness,
  waitFor,
} from '../support/harness.ts';
import type { InputValue } from '../support/slack-client.ts';

let db: TestDatabase;
let h: Harness;
appPerTest((ctx) => ({ db, h } = ctx));

const PATCH_ROUTE = 'PATCH /v1/identities/{identity_id}';
const viewText = (viewId: string) => JSON.stringify(h.slack.view(viewId));
const patches = () => h.api.requestsTo('PATCH', '/v1/identities/');
/** A key another front end keeps in approval_channel; an edit must send it back untouched. */
const THEIR_KEY = { teams_front_end: { channel: '19:abc@thread.tacv2', notify: true } };

async function platform(method: 'GET' | 'PATCH' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${h.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${PLATFORM_TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** An identity at the platform and in the mirror, approved in the public channel by Alice, with another front end's key. */
async function seed(opts: { approverUserIds?: string[] } = {}): Promise<StoredIdentity> {
  const identity = await h.seedIdentity({ approverUserIds: opts.approverUserIds ?? [ALICE] });
  const current = await platform('GET', `/v1/identities/${identity.id}`);
  await platform('PATCH', `/v1/identities/${identity.id}`, { approval_channel: { ...(current['approval_channel'] as object), ...THEIR_KEY } });
  return identity;
}

/** `/identity edit`, then the identity chosen in the picker; resolves with the view once it holds the form. */
async function openEdit(identityId: string, userId = ALICE): Promise<string> {
  const before = h.slack.callsTo('views.open').length;
  await h.client.command({ teamId: TEAM.id, userId, channelId: PUBLIC_CHANNEL.id, text: 'edit' });
  await waitFor(() => h.slack.callsTo('views.open').length > before, 'views.open after /identity edit');
  const viewId = (h.slack.callsTo('views.open').at(-1)!.result as { view: { id: string } }).view.id;
  expect(h.slack.view(viewId)?.callback_id).toBe('identity_edit_pick');
  await h.client.blockActions({ teamId: TEAM.id, userId, viewId, actionId: 'identity_pick', blockId: 'identity_pick', value: { value: identityId, text: 'support@acme.com' } });
  await expect.poll(() => h.slack.view(viewId)?.callback_id, { timeout: 8000 }).toBe('identity_edit');
  return viewId;
}

/**
 * Submits the form; unless `settle` is false, also waits until the modal shows the outcome:
 * on a loaded machine the platform may answer after the ack budget, behind "Saving…".
 */
async function save(viewId: string, values: Record<string, InputValue>, opts: { userId?: string; bypassClientChecks?: boolean; settle?: boolean } = {}) {
  const res = await h.client.submitView({ teamId: TEAM.id, userId: opts.userId ?? ALICE, viewId, values, ...(opts.bypassClientChecks ? { bypassClientChecks: true } : {}) });
  if (opts.settle !== false) await expect.poll(() => viewText(viewId), { timeout: 10_000 }).not.toContain('Saving the changes');
  return res;
}

const channelOf = (identity: StoredIdentity, extra: Record<string, unknown> = {}) => ({
  type: 'slack',
  team_id: TEAM.id,
  channel_id: identity.approvalChannelId,
  channel_name: PUBLIC_CHANNEL.name,
  approver_user_ids: [ALICE],
  ...THEIR_KEY,
  ...extra,
});

describe('/identity edit opens a picker of this workspace’s identities', () => {
  it('offers the mirror’s and the platform’s identities of this team, filtered by what is typed, within Slack’s option limits', async () => {
    const support = await seed();
    // Created elsewhere and never mirrored: found through the platform's list.
    await platform('POST', '/v1/identities', { domain_id: h.workspace.domains[0]!.id, local_part: 'sales', display_name: 'Sales', approval_channel: { type: 'slack', team_id: TEAM.id, channel_id: PUBLIC_CHANNEL.id, channel_name: null } });
    // Another Slack team's identity on the same platform workspace: never offered.
    await platform('POST', '/v1/identities', { domain_id: h.workspace.domains[0]!.id, local_part: 'theirs', display_name: 'Theirs', approval_channel: { type: 'slack', team_id: 'T0OTHER', channel_id: 'C0OTHER', channel_name: 'x' } });
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'edit' });
    await waitFor(() => h.slack.callsTo('views.open').length > 0, 'the picker');
    const viewId = (h.slack.callsTo('views.open')[0]!.result as { view: { id: string } }).view.id;
    expect(validateView(h.slack.view(viewId)!)).toEqual([]);

    const all = await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'identity_pick', blockId: 'identity_pick', value: '' });
    expect(all.problems).toEqual([]);
    const options = (all.body as { options: { text: { text: string }; value: string }[] }).options;
    expect(options.map((o) => o.text.text)).toEqual(['sales@acme.com (Sales)', 'support@acme.com (Acme Support)']);
    expect(options[1]!.value).toBe(support.id);
    const typed = await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'identity_pick', blockId: 'identity_pick', value: 'SUPP' });
    expect((typed.body as { options: { value: string }[] }).options.map((o) => o.value)).toEqual([support.id]);
  });

  it('keeps to 100 options of at most 75 characters when there are many', async () => {
    const domain = h.workspace.domains[0]!.id;
    for (let i = 0; i < 105; i++) {
      await platform('POST', '/v1/identities', { domain_id: domain, local_part: `agent${String(i).padStart(3, '0')}`, display_name: `A rather long display name for agent number ${i} of the support team`, approval_channel: { type: 'slack', team_id: TEAM.id, channel_id: PUBLIC_CHANNEL.id, channel_name: null } });
    }
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'edit' });
    await waitFor(() => h.slack.callsTo('views.open').length > 0, 'the picker');
    const viewId = (h.slack.callsTo('views.open')[0]!.result as { view: { id: string } }).view.id;
    const res = await h.client.blockSuggestion({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'identity_pick', blockId: 'identity_pick', value: 'agent' });
    expect(res.problems).toEqual([]);
    const options = (res.body as { options: { text: { text: string } }[] }).options;
    expect(options).toHaveLength(100);
    expect(Math.max(...options.map((o) => o.text.text.length))).toBeLessThanOrEqual(75);
  });

  it('fills the same form with the platform’s current values, not the mirror’s, and shows the address as text', async () => {
    const identity = await seed();
    // Changed elsewhere since it was mirrored: the platform's copy is what the form shows, and the mirror follows.
    const current = await platform('GET', `/v1/identities/${identity.id}`);
    await platform('PATCH', `/v1/identities/${identity.id}`, {
      display_name: 'Support Desk',
      signature_text: 'Thanks!',
      approval_channel: { ...(current['approval_channel'] as object), approver_user_ids: [ALICE, BOB], required_approvals: 2, remind_after_minutes: 20, escalation_user_ids: [ADMIN], undo_seconds: 30 },
    });
    const gets = h.api.requestsTo('GET', `/v1/identities/${identity.id}`).length;
    const viewId = await openEdit(identity.id);
    expect(h.api.requestsTo('GET', `/v1/identities/${identity.id}`).length).toBeGreaterThan(gets);
    const view = h.slack.view(viewId)!;
    expect(validateView(view)).toEqual([]);
    expect(view.submit).toMatchObject({ text: 'Save' });
    const blocks = view.blocks as { type: string; block_id?: string; element?: Record<string, unknown> }[];
    const input = (id: string) => blocks.find((b) => b.block_id === id)?.element;
    expect(input('domain')).toBeUndefined();
    expect(input('local_part')).toBeUndefined();
    expect(JSON.stringify(blocks)).toContain('*Address:* support@acme.com');
    expect(input('display_name')).toMatchObject({ initial_value: 'Support Desk' });
    expect(input('signature_text')).toMatchObject({ initial_value: 'Thanks!' });
    expect(input('assistant')).toMatchObject({ initial_option: { value: h.workspace.assistants[0]!.id, text: { text: 'Support assistant' } } });
    expect(input('approval_channel')).toMatchObject({ initial_conversation: PUBLIC_CHANNEL.id });
    expect(input('approvers')).toMatchObject({ initial_users: [ALICE, BOB] });
    expect(input('required_approvals')).toMatchObject({ initial_value: '2' });
    expect(input('remind_after')).toMatchObject({ initial_value: '20' });
    expect(input('escalate_to')).toMatchObject({ initial_users: [ADMIN] });
    expect(input('undo_seconds')).toMatchObject({ initial_value: '30' });
    expect(input('thread_depth')).toMatchObject({ initial_value: '10' });
    const [row] = await db.db.select().from(identities).where(eq(identities.id, identity.id));
    expect(row).toMatchObject({ displayName: 'Support Desk', approverUserIds: [ALICE, BOB], requiredApprovals: 2, remindAfterMinutes: 20, escalationUserIds: [ADMIN], undoSeconds: 30 });
  });

  it('says so, with a way to try again, when the current values cannot be read, and never shows older ones', async () => {
    const identity = await seed();
    h.api.failNext('GET /v1/identities/{identity_id}', { status: 503 }, 2);
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'edit' });
    await waitFor(() => h.slack.callsTo('views.open').length > 0, 'the picker');
    const viewId = (h.slack.callsTo('views.open')[0]!.result as { view: { id: string } }).view.id;
    await h.client.blockActions({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'identity_pick', blockId: 'identity_pick', value: { value: identity.id, text: 'support@acme.com' } });
    await expect.poll(() => viewText(viewId), { timeout: 8000 }).toContain('The platform did not answer (server)');
    expect(h.slack.view(viewId)!.submit ?? undefined).toBeUndefined();
    expect(viewText(viewId)).not.toContain('Acme Support');

    await h.client.blockActions({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'identity_edit_retry', blockId: 'identity_edit_retry' });
    await expect.poll(() => h.slack.view(viewId)?.callback_id, { timeout: 8000 }).toBe('identity_edit');
    expect(viewText(viewId)).toContain('"initial_value":"Acme Support"');
  });
});

describe('saving the edit form sends only what changed', () => {
  it.each<[string, Record<string, InputValue>, (identity: StoredIdentity) => Record<string, unknown>]>([
    ['the display name', { display_name: 'Help Desk' }, () => ({ display_name: 'Help Desk' })],
    ['the assistant', {}, () => ({})], // filled in below: needs the fixture's second assistant
    ['the reply-to address', { reply_to: 'help@acme.com' }, () => ({ reply_to_email: 'help@acme.com' })],
    ['the plain-text signature', { signature_text: '— The Acme team' }, () => ({ signature_text: '— The Acme team' })],
    ['the HTML signature', { signature_html: '<p>Acme</p>' }, () => ({ signature_html: '<p>Acme</p>' })],
    ['the thread history depth', { thread_depth: '3' }, () => ({ thread_history_depth: 3 })],
    ['the approvers', { approvers: [ALICE, BOB] }, (i) => ({ approval_channel: channelOf(i, { approver_user_ids: [ALICE, BOB] }) })],
    ['no approvers', { approvers: [] }, (i) => ({ approval_channel: (({ approver_user_ids: _a, ...rest }) => rest)(channelOf(i)) })],
    ['Approvals required', { approvers: [ALICE, BOB], required_approvals: '2' }, (i) => ({ approval_channel: channelOf(i, { approver_user_ids: [ALICE, BOB], required_approvals: 2 }) })],
    ['Remind after (minutes)', { remind_after: '45' }, (i) => ({ approval_channel: channelOf(i, { remind_after_minutes: 45 }) })],
    ['Escalate to', { escalate_to: [BOB, ADMIN] }, (i) => ({ approval_channel: channelOf(i, { escalation_user_ids: [BOB, ADMIN] }) })],
    ['Undo window (seconds)', { undo_seconds: '120' }, (i) => ({ approval_channel: channelOf(i, { undo_seconds: 120 }) })],
  ])('%s', async (name, values, expected) => {
    const identity = await seed();
    const second = h.workspace.assistants[1]!;
    const assistantCase = name === 'the assistant';
    const viewId = await openEdit(identity.id);
    const res = await save(viewId, assistantCase ? { assistant: { value: second.id, text: second.name } } : values);
    expect(res.ack).toMatchObject({ kind: 'update', problems: [] });
    expect(viewText(viewId)).toContain('is saved');

    const sent = patches();
    expect(sent).toHaveLength(2); // the seed's own PATCH, then the form's
    expect(sent[1]!.body).toEqual(assistantCase ? { assistant_id: second.id } : expected(identity));
    expect(sent[1]!.headers['idempotency-key']).toMatch(new RegExp(`^slack-identity-edit:${viewId}:`));

    const [audit] = await db.db.select().from(auditLog).where(eq(auditLog.action, 'identity.updated'));
    expect(audit).toMatchObject({ actorUserId: ALICE, subjectId: identity.id, details: { email_address: 'support@acme.com' } });
    expect(Object.keys((audit!.details as { changes: object }).changes).length).toBeGreaterThan(0);
    expect(JSON.stringify(audit!.details)).not.toContain(PLATFORM_TOKEN);
  });

  it('keeps the mirror in step and audits each changed field before and after', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    await save(viewId, { display_name: 'Help Desk', approvers: [ALICE, BOB], required_approvals: '2', remind_after: '30', escalate_to: [ADMIN], undo_seconds: '15' });
    const [row] = await db.db.select().from(identities).where(eq(identities.id, identity.id));
    expect(row).toMatchObject({ displayName: 'Help Desk', approvalChannelId: PUBLIC_CHANNEL.id, approverUserIds: [ALICE, BOB], requiredApprovals: 2, remindAfterMinutes: 30, escalationUserIds: [ADMIN], undoSeconds: 15, createdByUserId: ALICE });
    const [audit] = await db.db.select().from(auditLog).where(eq(auditLog.action, 'identity.updated'));
    expect((audit!.details as { changes: unknown }).changes).toEqual({
      display_name: { before: 'Acme Support', after: 'Help Desk' },
      approver_user_ids: { before: [ALICE], after: [ALICE, BOB].sort() },
      required_approvals: { before: 1, after: 2 },
      remind_after_minutes: { before: null, after: 30 },
      escalation_user_ids: { before: [], after: [ADMIN] },
      undo_seconds: { before: 0, after: 15 },
    });
    expect(h.api.identities(PLATFORM_TOKEN)[0]!.approval_channel).toEqual(
      channelOf(identity, { approver_user_ids: [ALICE, BOB], required_approvals: 2, remind_after_minutes: 30, escalation_user_ids: [ADMIN], undo_seconds: 15 }),
    );
  });

  it('putting a setting back to its default removes its key', async () => {
    const identity = await seed();
    const first = await openEdit(identity.id);
    await save(first, { undo_seconds: '60' });
    const second = await openEdit(identity.id);
    await save(second, { undo_seconds: '0' });
    expect(patches().at(-1)!.body).toEqual({ approval_channel: channelOf(identity) });
  });

  it('says nothing changed, and calls nothing, when the form is saved as it was filled', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    const calls = h.api.requests.length;
    const res = await save(viewId, {});
    expect(res.ack.kind).toBe('update');
    expect(viewText(viewId)).toContain('Nothing was changed, so nothing was saved');
    expect(h.api.requests).toHaveLength(calls);
  });

  it('keeps the form open with the errors on the fields for bad values, calling nothing', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    const calls = h.api.requests.length;
    const res = await save(viewId, { required_approvals: '3', undo_seconds: '999' }, { bypassClientChecks: true });
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { required_approvals: expect.stringMatching(/number of approvers \(1\)/), undo_seconds: expect.stringMatching(/0 to 300/) } });
    expect(h.api.requests).toHaveLength(calls);
  });
});

describe('moving the approval channel', () => {
  it('notes the move in both channels, audits it, sends the next approval to the new channel and leaves pending ones where they are', async () => {
    const identity = await seed();
    // An approval pending in the old channel before the move.
    const pending = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    h.api.addApproval({ approvalId: pending.data.approval_id, workspaceToken: PLATFORM_TOKEN });
    expect((await h.deliver(pending)).status).toBe(202);
    await h.drain();
    expect(approvalMessage(h.slack, PUBLIC_CHANNEL.id, pending.data.approval_id)).toBeDefined();

    const viewId = await openEdit(identity.id);
    const res = await save(viewId, { approval_channel: PRIVATE_WITH_BOT.id });
    expect(res.ack.kind).toBe('update');
    expect(viewText(viewId)).toContain(`<#${PRIVATE_WITH_BOT.id}>`);
    expect(patches().at(-1)!.body).toEqual({ approval_channel: channelOf(identity, { channel_id: PRIVATE_WITH_BOT.id, channel_name: PRIVATE_WITH_BOT.name }) });

    await h.drain();
    const notes = (channel: string) => h.slack.messages(channel).filter((m) => m.user === TEAM.botUserId && m.text.includes('moved by'));
    expect(notes(PRIVATE_WITH_BOT.id).map((m) => m.text)).toEqual([`Approvals for support@acme.com now come here, moved by <@${ALICE}>.`]);
    expect(notes(PUBLIC_CHANNEL.id).map((m) => m.text)).toEqual([`Approvals for support@acme.com now go to <#${PRIVATE_WITH_BOT.id}>, moved by <@${ALICE}>.`]);

    const [audit] = await db.db.select().from(auditLog).where(eq(auditLog.action, 'identity.updated'));
    expect(audit).toMatchObject({ actorUserId: ALICE, details: { changes: { channel_id: { before: PUBLIC_CHANNEL.id, after: PRIVATE_WITH_BOT.id } } } });
    expect(await db.db.select().from(identities)).toEqual([expect.objectContaining({ id: identity.id, approvalChannelId: PRIVATE_WITH_BOT.id, approvalChannelName: PRIVATE_WITH_BOT.name })]);

    const next = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    expect((await h.deliver(next)).status).toBe(202);
    await h.drain();
    expect(approvalMessage(h.slack, PRIVATE_WITH_BOT.id, next.data.approval_id)).toBeDefined();
    expect(approvalMessage(h.slack, PUBLIC_CHANNEL.id, next.data.approval_id)).toBeUndefined();
    expect(approvalMessages(h.slack, PUBLIC_CHANNEL.id).map((m) => m.ts)).toEqual([approvalMessage(h.slack, PUBLIC_CHANNEL.id, pending.data.approval_id)!.ts]);
  });

  it('refuses a private channel the app is not in, on the channel field, changing nothing', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    const res = await save(viewId, { approval_channel: PRIVATE_CHANNEL.id });
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { approval_channel: expect.stringMatching(/invite me.*press Save again/) } });
    expect(patches()).toHaveLength(1);
    expect(await db.db.select().from(jobs).where(eq(jobs.kind, 'identity.moved'))).toEqual([]);
  });
});

describe('refusals from the platform keep the form and the entries', () => {
  it.each<[string, { status: number; body?: unknown }, Record<string, RegExp> | RegExp]>([
    ['a 422 on a field', { status: 422, body: { detail: [{ loc: ['body', 'display_name'], msg: 'Display name is reserved', type: 'value_error' }] } }, { display_name: /Display name is reserved/ }],
    ['a 422 on a setting', { status: 422, body: { detail: [{ loc: ['body', 'approval_channel', 'remind_after_minutes'], msg: 'Too often', type: 'value_error' }] } }, { remind_after: /Too often/ }],
    ['a 404 for the assistant', { status: 404, body: { detail: 'Assistant not found' } }, { assistant: /no longer exists/ }],
    ['a 409', { status: 409, body: { detail: 'Identity is being migrated' } }, /refused the change: Identity is being migrated.*press Save to try again/],
    ['a 401', { status: 401, body: { detail: 'Invalid token' } }, /missing or revoked. Nothing was changed/],
  ])('%s', async (_name, fault, expected) => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    h.api.failNext(PATCH_ROUTE, fault);
    const res = await save(viewId, { display_name: 'Help Desk', remind_after: '5' });
    if (expected instanceof RegExp) {
      expect(res.ack.kind).toBe('update');
      expect(viewText(viewId)).toMatch(expected);
      expect(viewText(viewId)).toContain('"initial_value":"Help Desk"');
    } else {
      expect(res.ack).toMatchObject({ kind: 'errors', problems: [] });
      for (const [field, pattern] of Object.entries(expected)) expect((res.ack as { errors: Record<string, string> }).errors[field]).toMatch(pattern);
    }
    expect(h.api.identities(PLATFORM_TOKEN)[0]!.display_name).toBe('Acme Support');
    expect((await db.db.select().from(identities))[0]!.displayName).toBe('Acme Support');
    expect(await db.db.select().from(auditLog).where(eq(auditLog.action, 'identity.updated'))).toEqual([]);
  });

  it('says the identity no longer exists on a 404 for it', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    h.api.failNext(PATCH_ROUTE, { status: 404, body: { detail: 'Identity not found' } });
    await save(viewId, { display_name: 'Help Desk' });
    expect(viewText(viewId)).toContain('no longer exists');
  });

  it('says a failing platform is temporary, changes nothing, and saving again changes it once', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    h.api.failNext(PATCH_ROUTE, { status: 503 }, 2);
    const res = await save(viewId, { display_name: 'Help Desk' });
    expect(res.ack.kind).toBe('update');
    expect(viewText(viewId)).toContain('did not answer (server)');
    expect(h.api.identities(PLATFORM_TOKEN)[0]!.display_name).toBe('Acme Support');
    const again = await save(viewId, {});
    expect(again.ack.kind).toBe('update');
    expect(viewText(viewId)).toContain('is saved');
    expect(h.api.identities(PLATFORM_TOKEN)[0]!.display_name).toBe('Help Desk');
    expect(await db.db.select().from(auditLog).where(eq(auditLog.action, 'identity.updated'))).toHaveLength(1);
  });
});

describe('a slow platform', () => {
  it('gets "Saving…", then the outcome, never Slack’s generic error', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    h.api.setLatency(PATCH_ROUTE, 3200);
    const res = await save(viewId, { approval_channel: PRIVATE_WITH_BOT.id }, { settle: false });
    expect(res.ack).toMatchObject({ kind: 'update', problems: [] });
    expect(viewText(viewId)).toContain('Saving the changes');
    await expect.poll(() => viewText(viewId), { timeout: 10_000 }).toContain('is saved');
    expect((await db.db.select().from(identities))[0]!.approvalChannelId).toBe(PRIVATE_WITH_BOT.id);
  });

  it('after "Saving…", shows a late refusal on the form with the entries kept', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    h.api.setLatency(PATCH_ROUTE, 3200);
    h.api.failNext(PATCH_ROUTE, { status: 422, body: { detail: [{ loc: ['body', 'display_name'], msg: 'Display name is reserved', type: 'value_error' }] } });
    await save(viewId, { display_name: 'Help Desk' }, { settle: false });
    await expect.poll(() => viewText(viewId), { timeout: 10_000 }).toContain('Display name: Display name is reserved');
    expect(viewText(viewId)).toContain('"initial_value":"Help Desk"');
  });

  it('makes one PATCH for a double click (two concurrent submissions of one form)', async () => {
    const identity = await seed();
    const viewId = await openEdit(identity.id);
    h.api.setLatency(PATCH_ROUTE, 500);
    const values = { display_name: 'Help Desk', approval_channel: PRIVATE_WITH_BOT.id };
    const [a, b] = await Promise.all([save(viewId, values), save(viewId, values)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(patches()).toHaveLength(2); // the seed's, and one from the form
    await h.drain();
    expect(h.slack.messages(PRIVATE_WITH_BOT.id).filter((m) => m.text.includes('moved by'))).toHaveLength(1);
    expect(await db.db.select().from(auditLog).where(eq(auditLog.action, 'identity.updated'))).toHaveLength(1);
  });
});

describe('who may edit', () => {
  async function adminsOnly(): Promise<string> {
    const token = 'plat_team_one_admins_only_token_edit';
    h.secrets.push(token);
    h.api.addWorkspace({ token, workspaceId: h.workspace.workspaceId });
    const before = h.slack.callsTo('views.open').length;
    await h.client.command({ teamId: TEAM.id, userId: ADMIN, channelId: PUBLIC_CHANNEL.id, text: 'connect' });
    await waitFor(() => h.slack.callsTo('views.open').length > before, 'the connect modal');
    const viewId = (h.slack.callsTo('views.open').at(-1)!.result as { view: { id: string } }).view.id;
    await h.client.submitView({ teamId: TEAM.id, userId: ADMIN, viewId, values: { platform_token: token, create_permission: 'admins' } });
    return token;
  }

  it('refuses /identity edit privately to someone who may not create identities', async () => {
    await seed();
    await adminsOnly();
    const opens = h.slack.callsTo('views.open').length;
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'edit' });
    await waitFor(() => h.slack.responses.length > 0, 'the refusal');
    expect(JSON.stringify(h.slack.responses.at(-1)!.body)).toContain('only admins and owners');
    expect(h.slack.callsTo('views.open')).toHaveLength(opens);
  });

  it('refuses a submission by someone who may not create, changing nothing', async () => {
    const identity = await seed();
    await adminsOnly();
    const viewId = await openEdit(identity.id, ADMIN);
    const res = await save(viewId, { display_name: 'Hijacked' }, { userId: ALICE });
    expect(res.ack.kind).toBe('update');
    expect(viewText(viewId)).toContain('only admins and owners');
    expect(patches()).toHaveLength(1);
    expect(h.api.identities(PLATFORM_TOKEN)[0]!.display_name).toBe('Acme Support');

    await save(viewId, { display_name: 'By the admin' }, { userId: ADMIN });
    expect(h.api.identities(PLATFORM_TOKEN)[0]!.display_name).toBe('By the admin');
  });

  it('refuses an identity of another Slack team, from forged metadata, changing nothing', async () => {
    const ours = await seed();
    const theirs = await platform('POST', '/v1/identities', {
      domain_id: h.workspace.domains[0]!.id,
      local_part: 'theirs',
      display_name: 'Theirs',
      approval_channel: { type: 'slack', team_id: 'T0OTHER', channel_id: 'C0OTHER', channel_name: 'their-approvals' },
    });
    const viewId = await openEdit(ours.id);
    // A first submission that fails validation, to get a well-formed payload to forge.
    const first = await save(viewId, { undo_seconds: '999' }, { bypassClientChecks: true });
    expect(first.ack.kind).toBe('errors');
    const payload = structuredClone(first.payload) as { view: { private_metadata: string; state: { values: Record<string, Record<string, { value?: string }>> } } };
    payload.view.private_metadata = payload.view.private_metadata.replace(ours.id, String(theirs['id']));
    payload.view.state.values['undo_seconds']!['undo_seconds']!.value = '0';
    payload.view.state.values['display_name']!['display_name']!.value = 'Hijacked';
    const forged = await h.client.interactive(payload);
    expect(forged.status).toBe(200);
    expect(JSON.stringify(forged.body)).toContain('cannot be edited from here');
    expect(patches()).toHaveLength(1);
    expect(h.api.identities(PLATFORM_TOKEN).map((i) => i.display_name).sort()).toEqual(['Acme Support', 'Theirs']);

    // The Edit button with their id (a forged click) is refused the same way.
    await h.client.blockActions({ teamId: TEAM.id, userId: ALICE, viewId, actionId: 'identity_edit_retry', blockId: 'identity_edit_retry', value: String(theirs['id']), bypassClientChecks: true });
    await expect.poll(() => viewText(viewId), { timeout: 8000 }).toContain('cannot be edited from here');
    expect(viewText(viewId)).not.toContain('Theirs');
  });
});

describe('the Edit button in /identity list', () => {
  it('opens the same form, filled with the identity’s current values', async () => {
    const identity = await seed();
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'list' });
    await waitFor(() => h.slack.responses.length === 1, 'the list');
    const list = h.slack.responses[0]!;
    expect(list.problems).toEqual([]);
    const blocks = (list.body as { blocks: { accessory?: { action_id: string; value: string; text: { text: string } } }[] }).blocks;
    const button = blocks.find((b) => b.accessory?.action_id === 'identity_edit_open')?.accessory;
    expect(button).toMatchObject({ value: identity.id, text: { text: 'Edit' } });
    const opens = h.slack.callsTo('views.open').length;
    const click = await h.client.blockActions({
      teamId: TEAM.id,
      userId: ALICE,
      channelId: PUBLIC_CHANNEL.id,
      messageTs: '1700000000.000100',
      message: { ts: '1700000000.000100', blocks },
      actionId: 'identity_edit_open',
      blockId: (blocks.find((b) => b.accessory?.action_id === 'identity_edit_open') as { block_id: string }).block_id,
    });
    expect(click.status).toBe(200);
    await waitFor(() => h.slack.callsTo('views.open').length > opens, 'views.open after Edit');
    const open = h.slack.callsTo('views.open').at(-1)!;
    expect(open.args.trigger_id).toBe(click.triggerId);
    const viewId = (open.result as { view: { id: string } }).view.id;
    await expect.poll(() => h.slack.view(viewId)?.callback_id, { timeout: 8000 }).toBe('identity_edit');
    expect(viewText(viewId)).toContain('*Address:* support@acme.com');
    await save(viewId, { display_name: 'From the list' });
    expect(h.api.identities(PLATFORM_TOKEN)[0]!.display_name).toBe('From the list');
    expect(await db.db.select().from(auditLog).where(and(eq(auditLog.action, 'identity.updated'), eq(auditLog.subjectId, identity.id)))).toHaveLength(1);
  });
});
