import { eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/audit-log.ts';
import { openDatabase } from '../../src/db/client.ts';
import { approvalEvents, approvals, auditLog, jobs } from '../../src/db/schema.ts';
import { enqueue } from '../../src/jobs/store.ts';
import { pruneOnce, RETENTION_LOCK_KEY } from '../../src/retention.ts';
import { serverUrl, type TestDatabase } from '../support/database.ts';
import { appPerTest } from '../support/lifecycle.ts';
import { approvalEvent, approvalMessage, PLATFORM_TOKEN, PUBLIC_CHANNEL, TEAM, type Harness } from '../support/harness.ts';

let db: TestDatabase;
let h: Harness;
appPerTest((ctx) => ({ db, h } = ctx));

const windows = { days: 30, auditDays: 365 };
const daysAgo = (days: number) => sql`now() - make_interval(days => ${days}::int)`;

/** A job in `status`, last changed `age` days ago. */
async function jobAged(key: string, status: 'queued' | 'running' | 'done' | 'dead', age: number) {
  await enqueue(db.db, { kind: 'test.noop', payload: {}, dedupeKey: key, runAt: new Date(Date.now() + 3_600_000) });
  await db.db.update(jobs).set({ status, updatedAt: daysAgo(age), createdAt: daysAgo(age) }).where(eq(jobs.dedupeKey, key));
}

async function ageEvents(eventIds: string[], age: number) {
  await db.db.update(approvalEvents).set({ receivedAt: daysAgo(age) }).where(inArray(approvalEvents.eventId, eventIds));
}

async function auditAged(subjectId: string, age: number) {
  await recordAudit(db.db, { teamId: TEAM.id, actorUserId: null, action: 'test.entry', subjectType: 'test', subjectId });
  await db.db.update(auditLog).set({ createdAt: daysAgo(age) }).where(eq(auditLog.subjectId, subjectId));
}

/** An approval requested and posted; its event id. */
async function postedApproval() {
  const identity = await h.seedIdentity();
  const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
  h.api.addApproval({ approvalId: event.data.approval_id, workspaceToken: PLATFORM_TOKEN });
  expect((await h.deliver(event)).status).toBe(202);
  await h.drain();
  expect(approvalMessage(h.slack, PUBLIC_CHANNEL.id, event.data.approval_id)).toBeDefined();
  return { identity, event };
}

describe('retention', () => {
  it('deletes done jobs past the window and keeps younger ones, unfinished ones and dead letters', async () => {
    await jobAged('old-done', 'done', 31);
    await jobAged('young-done', 'done', 29);
    await jobAged('old-queued', 'queued', 31);
    await jobAged('old-running', 'running', 31);
    await jobAged('old-dead', 'dead', 31);

    expect(await pruneOnce(db.db, windows)).toMatchObject({ ran: true, jobs: 1 });

    const left = await db.db.select({ key: jobs.dedupeKey }).from(jobs).where(eq(jobs.kind, 'test.noop'));
    expect(left.map((j) => j.key).sort()).toEqual(['old-dead', 'old-queued', 'old-running', 'young-done']);
    // The dedupe key of a queued job still makes a second enqueue a no-op.
    expect(await enqueue(db.db, { kind: 'test.noop', payload: {}, dedupeKey: 'old-queued' })).toBe(false);
  });

  it('deletes in batches until nothing past the window is left', async () => {
    for (let i = 0; i < 7; i++) await jobAged(`old-${i}`, 'done', 40);
    expect(await pruneOnce(db.db, windows, { batchSize: 2 })).toMatchObject({ ran: true, jobs: 7 });
    expect(await db.db.select().from(jobs).where(eq(jobs.kind, 'test.noop'))).toEqual([]);
  });

  it('bounds one run to its batches; the next run goes on', async () => {
    for (let i = 0; i < 5; i++) await jobAged(`old-${i}`, 'done', 40);
    expect(await pruneOnce(db.db, windows, { batchSize: 2, maxBatches: 2 })).toMatchObject({ jobs: 4 });
    expect(await pruneOnce(db.db, windows, { batchSize: 2, maxBatches: 2 })).toMatchObject({ jobs: 1 });
  });

  it('keeps the events of a pending approval, so an old redelivery is still a duplicate', async () => {
    const { event } = await postedApproval();
    await ageEvents([event.id], 31);

    expect(await pruneOnce(db.db, windows)).toMatchObject({ ran: true, events: 0 });

    expect((await h.deliver(event)).body).toEqual({ status: 'duplicate' });
    expect(await db.db.select().from(approvalEvents).where(eq(approvalEvents.eventId, event.id))).toHaveLength(1);
  });

  it('deletes the old events of closed approvals and keeps recent ones, which still absorb redeliveries', async () => {
    const old = await postedApproval();
    const cancel = approvalEvent({ type: 'approval.cancelled', approvalId: old.event.data.approval_id, identityId: old.identity.id, workspaceId: old.identity.workspaceId });
    expect((await h.deliver(cancel)).status).toBe(202);
    await h.drain();
    await ageEvents([old.event.id, cancel.id], 31);

    const recent = approvalEvent({ identityId: old.identity.id, workspaceId: old.identity.workspaceId });
    const recentCancel = approvalEvent({ type: 'approval.cancelled', approvalId: recent.data.approval_id, identityId: old.identity.id, workspaceId: old.identity.workspaceId });
    h.api.addApproval({ approvalId: recent.data.approval_id, workspaceToken: PLATFORM_TOKEN });
    expect((await h.deliver(recent)).status).toBe(202);
    expect((await h.deliver(recentCancel)).status).toBe(202);
    await h.drain();
    const postsBefore = h.slack.callsTo('chat.postMessage').length;

    expect(await pruneOnce(db.db, windows)).toMatchObject({ ran: true, events: 2 });

    const kept = await db.db.select({ id: approvalEvents.eventId }).from(approvalEvents);
    expect(kept.map((e) => e.id).sort()).toEqual([recent.id, recentCancel.id].sort());
    expect((await h.deliver(recent)).body).toEqual({ status: 'duplicate' });
    expect((await h.deliver(recentCancel)).body).toEqual({ status: 'duplicate' });
    await h.drain();
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(postsBefore);
    // The approvals themselves are not pruned.
    expect(await db.db.select().from(approvals)).toHaveLength(2);
  });

  it('keeps audit entries for their own, longer window', async () => {
    await auditAged('forty-days', 40);
    await auditAged('a-year-and-more', 366);
    await auditAged('today', 0);

    expect(await pruneOnce(db.db, windows)).toMatchObject({ ran: true, audit: 1 });
    const left = await db.db.select({ id: auditLog.subjectId }).from(auditLog).where(eq(auditLog.subjectType, 'test'));
    expect(left.map((e) => e.id).sort()).toEqual(['forty-days', 'today']);

    expect(await pruneOnce(db.db, { days: 30, auditDays: 30 })).toMatchObject({ audit: 1 });
  });

  it.skipIf(!serverUrl())('on PostgreSQL, a run skips while another instance holds it', async () => {
    await jobAged('old-done', 'done', 31);
    const other = await openDatabase(db.url!, { maxConnections: 2 });
    try {
      await db.db.transaction(async (tx) => {
        // As a run of another instance holds it.
        await tx.execute(sql`select pg_advisory_xact_lock(${RETENTION_LOCK_KEY})`);
        expect(await pruneOnce(other.db, windows)).toEqual({ ran: false, jobs: 0, events: 0, audit: 0 });
        expect(await tx.select().from(jobs).where(eq(jobs.dedupeKey, 'old-done'))).toHaveLength(1);
      });
      expect(await pruneOnce(other.db, windows)).toMatchObject({ ran: true, jobs: 1 });

      // Two at once: one deletes everything, the other skips or finds nothing left.
      for (let i = 0; i < 6; i++) await jobAged(`again-${i}`, 'done', 31);
      const both = await Promise.all([pruneOnce(db.db, windows, { batchSize: 1 }), pruneOnce(other.db, windows, { batchSize: 1 })]);
      expect(both.map((r) => r.jobs).sort()).toEqual([0, 6]);
    } finally {
      await other.close();
    }
  });
});
