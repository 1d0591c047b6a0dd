import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approvals, auditLog, identities, jobs } from '../../src/db/schema.ts';
import { findIdentity, type StoredIdentity } from '../../src/identities/store.ts';
import { validateMessage } from '../support/block-kit.ts';
import { type TestDatabase } from '../support/database.ts';
import type { SlackEvent } from '../support/fake-slack.ts';
import { appPerTest } from '../support/lifecycle.ts';
import {
  ADMIN,
  ALICE,
  approvalEvent,
  approvalMessage,
  approvalMessages,
  BOB,
  PLATFORM_TOKEN,
  PRIVATE_WITH_BOT,
  PUBLIC_CHANNEL,
  TEAM,
  waitFor,
  type Harness,
} from '../support/harness.ts';

let db: TestDatabase;
let h: Harness;
appPerTest((ctx) => ({ db, h } = ctx));

/** ADMIN connects the team to the platform workspace (with the harness's own token), as /identity connect does. */
async function connectAsAdmin() {
  const opens = h.slack.callsTo('views.open').length;
  await h.client.command({ teamId: TEAM.id, userId: ADMIN, channelId: PUBLIC_CHANNEL.id, text: 'connect' });
  await waitFor(() => h.slack.callsTo('views.open').length > opens, 'the connect modal');
  const viewId = (h.slack.callsTo('views.open').at(-1)!.result as { view: { id: string } }).view.id;
  const submitted = await h.client.submitView({ teamId: TEAM.id, userId: ADMIN, viewId, values: { platform_token: PLATFORM_TOKEN, create_permission: 'everyone' } });
  expect(submitted.ack.kind).toBe('update');
}

/** Sends a Slack event about a channel and waits until its effect is in the database. */
async function send(event: SlackEvent, settled: () => Promise<boolean>, opts: { eventId?: string; retryNum?: number } = {}) {
  const res = await h.client.event({ teamId: TEAM.id, event, ...opts });
  expect(res.status).toBe(200);
  await expect.poll(settled).toBe(true);
  await h.drain();
  return res;
}

const mirror = async (id: string) => (await findIdentity(db.db, id))!;
const platformCopy = (id: string) => h.api.identities(PLATFORM_TOKEN).find((i) => i.id === id)!;
/** The app's PATCHes of an identity, not the tests' own setup. */
const patchesOf = (id: string) => h.api.requestsTo('PATCH', `/v1/identities/${id}`).filter((r) => !r.headers['x-test-setup']);
const auditOf = async (action: string) => (await db.db.select().from(auditLog).where(eq(auditLog.action, action))).map((a) => ({ subject: a.subjectId, details: a.details }));

/** Gives the platform's approval_channel a key another front end wrote, which a PATCH must keep. */
async function addForeignKey(identity: StoredIdentity) {
  const channel = platformCopy(identity.id).approval_channel;
  const res = await fetch(`${h.api.url}/v1/identities/${identity.id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${PLATFORM_TOKEN}`, 'content-type': 'application/json', 'x-test-setup': 'yes' },
    body: JSON.stringify({ approval_channel: { ...channel, teams_webhook: 'kept-by-other-front-end' } }),
  });
  expect(res.status).toBe(200);
}

describe('a renamed approval channel', () => {
  it('keeps the name current in the mirror and on the platform, sending approval_channel whole, once per rename', async () => {
    const identity = await h.seedIdentity();
    const other = await h.seedIdentity({ channelId: PRIVATE_WITH_BOT.id, localPart: 'sales' });
    await addForeignKey(identity);
    const before = platformCopy(identity.id).approval_channel;

    const rename = h.slack.renameChannel(PUBLIC_CHANNEL.id, 'support-drafts');
    expect(rename.type).toBe('channel_rename');
    const first = await send(rename, async () => (await mirror(identity.id)).approvalChannelName === 'support-drafts');
    await expect.poll(() => patchesOf(identity.id).length).toBe(1);
    expect(patchesOf(identity.id)[0]!.body).toEqual({ approval_channel: { ...before, channel_name: 'support-drafts' } });
    expect(platformCopy(identity.id).approval_channel).toEqual({ ...before, channel_name: 'support-drafts' });
    expect(await auditOf('identity.channel_renamed')).toEqual([{ subject: identity.id, details: { channel_id: PUBLIC_CHANNEL.id, channel_name: 'support-drafts' } }]);

    // Slack redelivers the same event: nothing more is sent.
    await send(rename, async () => true, { eventId: first.eventId, retryNum: 1 });
    expect(patchesOf(identity.id)).toHaveLength(1);
    // The identity approved elsewhere is untouched.
    expect((await mirror(other.id)).approvalChannelName).toBe(PRIVATE_WITH_BOT.name);
    expect(patchesOf(other.id)).toEqual([]);

    // A private channel's rename comes as group_rename; renamed back, it is sent again.
    const privateRename = h.slack.renameChannel(PRIVATE_WITH_BOT.id, 'vip-drafts');
    expect(privateRename.type).toBe('group_rename');
    await send(privateRename, async () => (await mirror(other.id)).approvalChannelName === 'vip-drafts');
    await send(h.slack.renameChannel(PUBLIC_CHANNEL.id, PUBLIC_CHANNEL.name), async () => (await mirror(identity.id)).approvalChannelName === PUBLIC_CHANNEL.name);
    await expect.poll(() => platformCopy(identity.id).approval_channel.channel_name).toBe(PUBLIC_CHANNEL.name);
    await expect.poll(() => platformCopy(other.id).approval_channel.channel_name).toBe('vip-drafts');
    expect(patchesOf(identity.id)).toHaveLength(2);
  });

  it('sends the name once the platform answers again', async () => {
    const identity = await h.seedIdentity();
    // The client's own retry and the job's first run both fail.
    h.api.failNext('PATCH /v1/identities/{identity_id}', { status: 503 }, 2);
    await send(h.slack.renameChannel(PUBLIC_CHANNEL.id, 'support-drafts'), async () => (await mirror(identity.id)).approvalChannelName === 'support-drafts');
    await expect.poll(() => platformCopy(identity.id).approval_channel.channel_name, { timeout: 10_000 }).toBe('support-drafts');
    expect(patchesOf(identity.id)).toHaveLength(3);
    await expect.poll(async () => (await db.db.select().from(jobs).where(eq(jobs.kind, 'identity.channel_name')))[0]).toMatchObject({ status: 'done', attempts: 2, lastError: expect.stringContaining('503') });
  });
});

describe('an approval channel that stops working', () => {
  const problemOf = async (id: string) => (await mirror(id)).channelProblem;

  /** Each way a channel stops working, as Slack reports it. */
  const cases: { name: string; problem: string; channel: () => { id: string; name: string }; events: () => SlackEvent[]; fix: RegExp }[] = [
    { name: 'archived', problem: 'archived', channel: () => PUBLIC_CHANNEL, events: () => [h.slack.archiveChannel(PUBLIC_CHANNEL.id, BOB)], fix: /Unarchive <#C0APPROVE>.*`\/identity edit`/ },
    { name: 'deleted', problem: 'deleted', channel: () => PUBLIC_CHANNEL, events: () => [h.slack.deleteChannel(PUBLIC_CHANNEL.id, BOB)], fix: /#support-approvals was deleted.*`\/identity edit`/ },
    {
      name: 'left by the app, public (channel_left and member_left_channel)',
      problem: 'bot_removed',
      channel: () => PUBLIC_CHANNEL,
      events: () => h.slack.removeFromChannel(PUBLIC_CHANNEL.id, TEAM.botUserId, BOB),
      fix: /Invite me back: in <#C0APPROVE>, type `\/invite`.*`\/identity edit`/,
    },
    {
      name: 'left by the app, private (group_left and member_left_channel)',
      problem: 'bot_removed',
      channel: () => PRIVATE_WITH_BOT,
      events: () => h.slack.removeFromChannel(PRIVATE_WITH_BOT.id, TEAM.botUserId, ALICE),
      fix: /Invite me back: in <#G0WITHBOT>/,
    },
  ];

  it.each(cases)('$name: marks the identity and tells its creator and the workspace’s connector, once each', async ({ problem, channel, events, fix }) => {
    await connectAsAdmin();
    const identity = await h.seedIdentity({ channelId: channel().id });
    const bystander = await h.seedIdentity({ channelId: channel().id === PUBLIC_CHANNEL.id ? PRIVATE_WITH_BOT.id : PUBLIC_CHANNEL.id, localPart: 'sales' });
    const sent = [];
    for (const event of events()) sent.push(await send(event, async () => (await problemOf(identity.id)) === problem));
    // Redelivered: no second mark, no second message.
    for (const first of sent) await send(first.envelope.event as SlackEvent, async () => true, { eventId: first.eventId, retryNum: 1 });

    const row = await mirror(identity.id);
    expect(row).toMatchObject({ channelProblem: problem, channelProblemAt: expect.any(Date) });
    expect((await mirror(bystander.id)).channelProblem).toBeNull();
    expect(await auditOf('identity.channel_unusable')).toEqual([{ subject: identity.id, details: { channel_id: channel().id, problem, told: [ALICE, ADMIN] } }]);
    for (const person of [ALICE, ADMIN]) {
      const dms = h.slack.directMessages(person);
      expect(dms).toHaveLength(1);
      expect(dms[0]!.text).toContain(identity.emailAddress);
      expect(dms[0]!.text).toMatch(fix);
      expect(validateMessage({ text: dms[0]!.text, blocks: dms[0]!.blocks })).toEqual([]);
    }
    // The two messages are separate jobs, run in either order.
    expect(h.slack.callsTo('conversations.open').map((c) => c.args.users).sort()).toEqual([ADMIN, ALICE].sort());
  });

  it('tells a person who both created the identity and connected the workspace once', async () => {
    await connectAsAdmin();
    const identity = await h.seedIdentity();
    await db.db.update(identities).set({ createdByUserId: ADMIN }).where(eq(identities.id, identity.id));
    await send(h.slack.archiveChannel(PUBLIC_CHANNEL.id, BOB), async () => (await problemOf(identity.id)) === 'archived');
    expect(h.slack.directMessages(ADMIN)).toHaveLength(1);
    expect(h.slack.callsTo('conversations.open')).toHaveLength(1);
  });

  it('clears the mark when the channel is unarchived, or the app invited back; a new problem is told again', async () => {
    const identity = await h.seedIdentity();
    await send(h.slack.archiveChannel(PUBLIC_CHANNEL.id, BOB), async () => (await problemOf(identity.id)) === 'archived');
    await send(h.slack.unarchiveChannel(PUBLIC_CHANNEL.id, BOB), async () => (await problemOf(identity.id)) === null);
    expect(await mirror(identity.id)).toMatchObject({ channelProblem: null, channelProblemAt: null });

    for (const event of h.slack.removeFromChannel(PUBLIC_CHANNEL.id, TEAM.botUserId, BOB)) await send(event, async () => (await problemOf(identity.id)) === 'bot_removed');
    await send(h.slack.inviteToChannel(PUBLIC_CHANNEL.id, TEAM.botUserId, ALICE), async () => (await problemOf(identity.id)) === null);
    // Archived again: a new occurrence, told again (no workspace link in this test: the creator only).
    await send(h.slack.archiveChannel(PUBLIC_CHANNEL.id, BOB), async () => (await problemOf(identity.id)) === 'archived');
    expect(h.slack.directMessages(ALICE).map((m) => m.text.match(/was archived|I was removed/)?.[0])).toEqual(['was archived', 'I was removed', 'was archived']);
    expect((await auditOf('identity.channel_usable')).map((a) => a.subject)).toEqual([identity.id, identity.id]);
  });

  it('ignores another person leaving, and a problem fixed before its message went out is not told', async () => {
    const identity = await h.seedIdentity();
    const [left] = h.slack.removeFromChannel(PUBLIC_CHANNEL.id, BOB, ALICE);
    expect((await h.client.event({ teamId: TEAM.id, event: left! })).status).toBe(200);
    // Slack refuses every DM while the channel is archived; it is unarchived before any goes out.
    h.slack.failNext('conversations.open', { error: 'internal_error' }, 100);
    await send(h.slack.archiveChannel(PUBLIC_CHANNEL.id, BOB), async () => (await problemOf(identity.id)) === 'archived');
    await send(h.slack.unarchiveChannel(PUBLIC_CHANNEL.id, BOB), async () => (await problemOf(identity.id)) === null);
    await expect.poll(async () => (await db.db.select().from(jobs).where(eq(jobs.kind, 'identity.channel_problem_notice')))[0]?.status, { timeout: 10_000 }).toBe('done');
    expect(h.slack.directMessages(ALICE)).toEqual([]);
    expect(await auditOf('identity.channel_unusable')).toHaveLength(1);
  });
});

describe('Slack refusing a post', () => {
  async function requestApproval(identity: StoredIdentity) {
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    expect((await h.deliver(event)).status).toBe(202);
    await h.drain();
    return event.data.approval_id;
  }

  it('channel_not_found: marks the identity and tells the people; the approval is kept', async () => {
    await connectAsAdmin();
    const identity = await h.seedIdentity();
    // Deleted without the app hearing of it.
    h.slack.deleteChannel(PUBLIC_CHANNEL.id, BOB);
    const approvalId = await requestApproval(identity);

    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === PUBLIC_CHANNEL.id).map((c) => c.result)).toEqual([{ ok: false, error: 'channel_not_found' }]);
    expect((await mirror(identity.id)).channelProblem).toBe('channel_not_found');
    const [approval] = await db.db.select().from(approvals).where(eq(approvals.id, approvalId));
    expect(approval).toMatchObject({ status: 'pending', messageTs: null });
    expect((await db.db.select().from(jobs).where(eq(jobs.kind, 'approval.post')))[0]).toMatchObject({ status: 'dead', lastError: 'chat.postMessage: channel_not_found' });
    for (const person of [ALICE, ADMIN]) {
      expect(h.slack.directMessages(person).map((m) => m.text)).toEqual([expect.stringMatching(/cannot find its approval channel <#C0APPROVE>.*invite me back.*`\/identity edit`/)]);
    }

    // The next approval is refused the same way: nobody is told twice.
    await requestApproval(identity);
    expect(h.slack.directMessages(ALICE)).toHaveLength(1);
  });

  it('not_in_channel: the app was removed without the app hearing of it', async () => {
    const identity = await h.seedIdentity();
    h.slack.removeFromChannel(PUBLIC_CHANNEL.id, TEAM.botUserId, BOB);
    await requestApproval(identity);
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === PUBLIC_CHANNEL.id).map((c) => c.result)).toEqual([{ ok: false, error: 'not_in_channel' }]);
    expect((await mirror(identity.id)).channelProblem).toBe('bot_removed');
    expect(h.slack.directMessages(ALICE).map((m) => m.text)).toEqual([expect.stringMatching(/I was removed from its approval channel <#C0APPROVE>.*`\/invite`/)]);
  });

  it('a refusal (is_archived) after an archive the app heard of adds nothing; a post that goes through clears the mark', async () => {
    const identity = await h.seedIdentity();
    await send(h.slack.archiveChannel(PUBLIC_CHANNEL.id, BOB), async () => (await mirror(identity.id)).channelProblem === 'archived');
    await requestApproval(identity);
    expect((await mirror(identity.id)).channelProblem).toBe('archived');
    expect(h.slack.directMessages(ALICE)).toHaveLength(1);

    // Unarchived without the app hearing of it: the next post works and the mark goes.
    h.slack.channel(PUBLIC_CHANNEL.id)!.isArchived = false;
    const approvalId = await requestApproval(identity);
    expect(approvalMessage(h.slack, PUBLIC_CHANNEL.id, approvalId)).toBeDefined();
    expect((await mirror(identity.id)).channelProblem).toBeNull();
  });
});

describe('an identity edited elsewhere', () => {
  /** Moves the identity on the platform, as another front end would, and ages the mirror past its sync interval. */
  async function moveOnPlatform(identity: StoredIdentity, opts: { age?: string } = {}) {
    const channel = platformCopy(identity.id).approval_channel;
    const res = await fetch(`${h.api.url}/v1/identities/${identity.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${PLATFORM_TOKEN}`, 'content-type': 'application/json', 'x-test-setup': 'yes' },
      body: JSON.stringify({
        display_name: 'Acme VIP Support',
        approval_channel: { ...channel, channel_id: PRIVATE_WITH_BOT.id, channel_name: PRIVATE_WITH_BOT.name, approver_user_ids: [ALICE, BOB], required_approvals: 2, undo_seconds: 30 },
      }),
    });
    expect(res.status).toBe(200);
    await db.db.update(identities).set({ syncedAt: sql`now() - ${opts.age ?? '2 minutes'}::interval` }).where(eq(identities.id, identity.id));
  }

  async function requestApproval(identity: StoredIdentity) {
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    expect((await h.deliver(event)).status).toBe(202);
    await h.drain();
    return event.data.approval_id;
  }

  it('posts the next approval in the platform’s current channel, and the mirror follows', async () => {
    const identity = await h.seedIdentity();
    await requestApproval(identity);
    await moveOnPlatform(identity);
    const approvalId = await requestApproval(identity);

    expect(approvalMessage(h.slack, PRIVATE_WITH_BOT.id, approvalId)).toBeDefined();
    expect(approvalMessages(h.slack, PUBLIC_CHANNEL.id)).toHaveLength(1);
    const [approval] = await db.db.select().from(approvals).where(eq(approvals.id, approvalId));
    expect(approval!.channelId).toBe(PRIVATE_WITH_BOT.id);
    expect(await mirror(identity.id)).toMatchObject({
      displayName: 'Acme VIP Support',
      approvalChannelId: PRIVATE_WITH_BOT.id,
      approvalChannelName: PRIVATE_WITH_BOT.name,
      approverUserIds: [ALICE, BOB],
      requiredApprovals: 2,
      undoSeconds: 30,
    });
    expect(await auditOf('identity.followed_platform')).toEqual([
      { subject: identity.id, details: { changed: ['display_name', 'channel_id', 'channel_name', 'approver_user_ids', 'required_approvals', 'undo_seconds'], approval_channel_id: PRIVATE_WITH_BOT.id } },
    ]);

    // Read once: the approvals after it use the fresh mirror.
    const reads = h.api.requestsTo('GET', `/v1/identities/${identity.id}`).length;
    const next = await requestApproval(identity);
    expect(approvalMessage(h.slack, PRIVATE_WITH_BOT.id, next)).toBeDefined();
    expect(h.api.requestsTo('GET', `/v1/identities/${identity.id}`)).toHaveLength(reads);
  });

  it('does not ask the platform while the mirror is fresh', async () => {
    const identity = await h.seedIdentity();
    await moveOnPlatform(identity, { age: '10 seconds' });
    const approvalId = await requestApproval(identity);
    expect(approvalMessage(h.slack, PUBLIC_CHANNEL.id, approvalId)).toBeDefined();
    expect(h.api.requestsTo('GET', `/v1/identities/${identity.id}`)).toEqual([]);
  });

  it('posts with the mirror’s copy when the platform cannot be read', async () => {
    const identity = await h.seedIdentity();
    await moveOnPlatform(identity);
    h.api.failNext('GET /v1/identities/{identity_id}', { status: 500 }, 2);
    const approvalId = await requestApproval(identity);
    expect(approvalMessage(h.slack, PUBLIC_CHANNEL.id, approvalId)).toBeDefined();
    expect(h.api.requestsTo('GET', `/v1/identities/${identity.id}`)).toHaveLength(2);
    expect((await mirror(identity.id)).approvalChannelId).toBe(PUBLIC_CHANNEL.id);
  });
});
