import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, identities } from '../../src/db/schema.ts';
import { validateView } from '../support/block-kit.ts';
import { type TestDatabase } from '../support/database.ts';
import { appPerTest } from '../support/lifecycle.ts';
import { ALICE, ADMIN, approvalEvent, approvalMessages, BOB, PLATFORM_TOKEN, PUBLIC_CHANNEL, TEAM, type Harness } from '../support/harness.ts';
import type { InputValue } from '../support/slack-client.ts';

let db: TestDatabase;
let h: Harness;
appPerTest((ctx) => ({ db, h } = ctx));

function fill(overrides: Record<string, InputValue> = {}): Record<string, InputValue> {
  const domain = h.workspace.domains.find((d) => d.name === 'acme.com')!;
  return { domain: { value: domain.id, text: domain.name }, local_part: 'support', display_name: 'Acme Support', approval_channel: PUBLIC_CHANNEL.id, ...overrides };
}

/** Submits a new create form; waits past "Creating…", which a loaded machine may show before the outcome. */
async function submit(values: Record<string, InputValue>, opts: { bypassClientChecks?: boolean } = {}) {
  const viewId = await h.openCreateModal();
  const res = await h.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId, values, ...opts });
  await expect.poll(() => JSON.stringify(h.slack.view(viewId)), { timeout: 10_000 }).not.toContain('Creating the identity');
  return res;
}

type Block = { type: string; block_id?: string; label?: { text: string }; optional?: boolean; element?: Record<string, unknown> };

describe('approval settings in the create form', () => {
  it('shows Approvals required, Remind after, Escalate to and Undo window beside Approvers, within Slack’s limits', async () => {
    await h.openCreateModal();
    const view = h.slack.lastView()!;
    expect(validateView(view)).toEqual([]);
    const blocks = view.blocks as Block[];
    const inputs = blocks.filter((b) => b.type === 'input');
    const labels = inputs.map((b) => b.label?.text);
    const at = labels.indexOf('Approvers');
    expect(labels.slice(at, at + 5)).toEqual(['Approvers', 'Approvals required', 'Remind after (minutes)', 'Escalate to', 'Undo window (seconds)']);
    const byId = Object.fromEntries(inputs.map((b) => [b.block_id, b]));
    expect(byId['required_approvals']).toMatchObject({ optional: false, element: { type: 'number_input', min_value: '1', max_value: '5', initial_value: '1' } });
    expect(byId['remind_after']).toMatchObject({ optional: true, element: { type: 'number_input', min_value: '1' } });
    expect(byId['escalate_to']).toMatchObject({ optional: true, element: { type: 'multi_users_select' } });
    expect(byId['undo_seconds']).toMatchObject({ optional: false, element: { type: 'number_input', min_value: '0', max_value: '300', initial_value: '0' } });
    expect(blocks.length).toBeLessThanOrEqual(100);
  });

  it('writes the settings into approval_channel and keeps them in the mirror', async () => {
    const res = await submit(fill({ approvers: [ALICE, BOB], required_approvals: '2', remind_after: '30', escalate_to: [ADMIN], undo_seconds: '60' }));
    expect(res.ack.kind).toBe('update');
    expect(h.api.requestsTo('POST', '/v1/identities')[0]!.body).toMatchObject({
      approval_channel: {
        type: 'slack',
        team_id: TEAM.id,
        channel_id: PUBLIC_CHANNEL.id,
        approver_user_ids: [ALICE, BOB],
        required_approvals: 2,
        remind_after_minutes: 30,
        escalation_user_ids: [ADMIN],
        undo_seconds: 60,
      },
    });
    const [row] = await db.db.select().from(identities);
    expect(row).toMatchObject({ approverUserIds: [ALICE, BOB], requiredApprovals: 2, remindAfterMinutes: 30, escalationUserIds: [ADMIN], undoSeconds: 60 });
    const [audit] = await db.db.select().from(auditLog).where(eq(auditLog.action, 'identity.created'));
    expect(audit?.details).toMatchObject({ required_approvals: 2, remind_after_minutes: 30, escalation_user_ids: [ADMIN], undo_seconds: 60 });
  });

  it('sends no setting keys when the defaults are kept, and stores the defaults', async () => {
    await submit(fill());
    const channel = (h.api.requestsTo('POST', '/v1/identities')[0]!.body as { approval_channel: Record<string, unknown> }).approval_channel;
    expect(Object.keys(channel).sort()).toEqual(['channel_id', 'channel_name', 'team_id', 'type']);
    expect((await db.db.select().from(identities))[0]).toMatchObject({ requiredApprovals: 1, remindAfterMinutes: null, escalationUserIds: [], undoSeconds: 0 });
  });

  it.each<[string, Record<string, InputValue>, Record<string, RegExp>]>([
    ['more approvals than approvers', { approvers: [ALICE, BOB], required_approvals: '3' }, { required_approvals: /number of approvers \(2\)/ }],
    ['more than one approval without approvers', { required_approvals: '2' }, { required_approvals: /needs approvers/ }],
    ['approvals required out of range', { required_approvals: '9' }, { required_approvals: /from 1 to 5/ }],
    ['a reminder of zero minutes', { remind_after: '0' }, { remind_after: /1 or more/ }],
    ['an undo window too long', { undo_seconds: '301' }, { undo_seconds: /from 0 to 300/ }],
    ['several at once', { required_approvals: '2', undo_seconds: '-1' }, { required_approvals: /needs approvers/, undo_seconds: /from 0 to 300/ }],
  ])('puts %s on the field and calls nothing', async (_name, values, expected) => {
    const res = await submit(fill(values), { bypassClientChecks: true });
    expect(res.ack.kind).toBe('errors');
    if (res.ack.kind !== 'errors') return;
    expect(res.ack.problems).toEqual([]);
    expect(Object.keys(res.ack.errors).sort()).toEqual(Object.keys(expected).sort());
    for (const [field, pattern] of Object.entries(expected)) expect(res.ack.errors[field]).toMatch(pattern);
    expect(h.api.requestsTo('POST', '/v1/identities')).toEqual([]);
  });

  it('maps a 422 on a key of approval_channel onto that setting’s field', async () => {
    h.api.failNext('POST /v1/identities', { status: 422, body: { detail: [{ loc: ['body', 'approval_channel', 'undo_seconds'], msg: 'Undo is not available on this plan', type: 'value_error' }] } });
    const res = await submit(fill({ undo_seconds: '30' }));
    expect(res.ack).toMatchObject({ kind: 'errors', errors: { undo_seconds: 'Undo is not available on this plan' } });
  });
});

describe('settings of an identity created elsewhere', () => {
  it('are read back from the platform when the identity is mirrored for its first approval', async () => {
    h.slack.channel(PUBLIC_CHANNEL.id)!.members.push(TEAM.botUserId);
    const res = await fetch(`${h.api.url}/v1/identities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PLATFORM_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        domain_id: h.workspace.domains[0]!.id,
        local_part: 'billing',
        display_name: 'Billing',
        approval_channel: {
          type: 'slack',
          team_id: TEAM.id,
          channel_id: PUBLIC_CHANNEL.id,
          channel_name: PUBLIC_CHANNEL.name,
          approver_user_ids: [ALICE, BOB],
          required_approvals: 2,
          remind_after_minutes: 15,
          escalation_user_ids: [ADMIN],
          undo_seconds: 10,
          another_front_end: { keeps: 'this' },
        },
      }),
    });
    const created = (await res.json()) as { id: string; workspace_id: string };
    expect(await db.db.select().from(identities)).toEqual([]);
    expect((await h.deliver(approvalEvent({ identityId: created.id, workspaceId: created.workspace_id }))).status).toBe(202);
    await h.drain();
    expect(approvalMessages(h.slack, PUBLIC_CHANNEL.id)).toHaveLength(1);
    expect(await db.db.select().from(identities)).toEqual([
      expect.objectContaining({ id: created.id, approverUserIds: [ALICE, BOB], requiredApprovals: 2, remindAfterMinutes: 15, escalationUserIds: [ADMIN], undoSeconds: 10 }),
    ]);
  });
});
