import { and, asc, eq, inArray, isNull, lt, notExists, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { approvalEvents, approvals, identities, type ApprovalStatus } from '../db/schema.ts';
import type { StoredIdentity } from '../identities/store.ts';

export type StoredApproval = typeof approvals.$inferSelect;

export async function findApproval(db: Database, id: string): Promise<StoredApproval | undefined> {
  const [row] = await db.select().from(approvals).where(eq(approvals.id, id));
  return row;
}

/** The approval and its identity in one round trip (every job needs both). */
export async function findApprovalWithIdentity(db: Database, id: string): Promise<{ approval: StoredApproval; identity: StoredIdentity | null } | undefined> {
  const [row] = await db.select({ approval: approvals, identity: identities }).from(approvals).leftJoin(identities, eq(identities.id, approvals.identityId)).where(eq(approvals.id, id));
  return row;
}

/**
 * The approval whose Slack message starts the thread for this one's email thread:
 * the earliest other approval of the same email thread in the same channel.
 */
export async function threadRootOf(db: Database, approval: StoredApproval): Promise<StoredApproval | undefined> {
  if (!approval.emailThreadId) return undefined;
  const [root] = await db
    .select()
    .from(approvals)
    .where(
      and(
        eq(approvals.teamId, approval.teamId),
        eq(approvals.channelId, approval.channelId),
        eq(approvals.emailThreadId, approval.emailThreadId),
        // One closed before it was ever posted will never have a message to thread under.
        sql`(${approvals.messageTs} is not null or ${approvals.status} = 'pending')`,
        // Compared in SQL: JS dates drop the microseconds PostgreSQL keeps.
        sql`(${approvals.createdAt}, ${approvals.id}) < (select a.created_at, a.id from approvals a where a.id = ${approval.id})`,
      ),
    )
    .orderBy(asc(approvals.createdAt), asc(approvals.id))
    .limit(1);
  return root;
}

/**
 * Moves an approval not yet posted, nor tried, to its identity's current channel; returns
 * it moved, or undefined when it was posted, tried or moved meanwhile (a post that may have
 * gone out must be looked for where it was tried).
 */
export async function moveUnpostedApproval(db: Database, id: string, move: { from: string; to: string }): Promise<StoredApproval | undefined> {
  const [row] = await db
    .update(approvals)
    .set({ channelId: move.to, updatedAt: sql`now()` })
    .where(and(eq(approvals.id, id), eq(approvals.channelId, move.from), isNull(approvals.messageTs), isNull(approvals.postAttemptedAt)))
    .returning();
  return row;
}

/** Keeps the first attempt's time: a later retry must search from the earliest possible post. */
export async function markPostAttempt(db: Database, id: string): Promise<void> {
  await db.update(approvals).set({ postAttemptedAt: sql`coalesce(${approvals.postAttemptedAt}, now())` }).where(eq(approvals.id, id));
}

export async function clearPostAttempt(db: Database, id: string): Promise<void> {
  await db.update(approvals).set({ postAttemptedAt: null }).where(eq(approvals.id, id));
}

/**
 * Records where the message is and when it was posted. Returns the approval's version now,
 * to tell whether it changed meanwhile, and how long after its request was stored the
 * message went out (both times on the database clock).
 */
export async function savePostedMessage(db: Database, id: string, message: { ts: string; threadTs: string | null }): Promise<{ version: number; secondsSinceStored: number } | undefined> {
  const [row] = await db
    .update(approvals)
    .set({ messageTs: message.ts, threadTs: message.threadTs, postedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(approvals.id, id))
    .returning({ version: approvals.version, secondsSinceStored: sql<number>`extract(epoch from ${approvals.postedAt} - ${approvals.createdAt})::float8` });
  return row;
}

export async function setReport(db: Database, id: string, report: { status: 'accepted' | 'refused' | 'failed'; detail: string | null }): Promise<void> {
  await db.update(approvals).set({ reportStatus: report.status, reportDetail: report.detail, version: bumpVersion, updatedAt: sql`now()` }).where(eq(approvals.id, id));
}

/** Every update that changes what the message shows sets this. */
export const bumpVersion = sql`${approvals.version} + 1`;

export type DecidedStatus = Extract<ApprovalStatus, 'approved' | 'rejected'>;


/**
 * Deletes up to `limit` stored webhook events received more than `olderThanDays` days ago;
 * returns how many. They de-duplicate deliveries, and the webhook's signature check refuses
 * a delivery older than 300 s, so an event that old cannot come again. Events of an approval
 * still pending are kept all the same: they are what absorbs its redeliveries.
 */
export async function deleteOldEvents(db: Pick<Database, 'select' | 'delete'>, input: { olderThanDays: number; limit: number }): Promise<number> {
  const pending = db
    .select({ one: sql`1` })
    .from(approvals)
    .where(and(eq(approvals.id, approvalEvents.approvalId), eq(approvals.status, 'pending')));
  const old = db
    .select({ eventId: approvalEvents.eventId })
    .from(approvalEvents)
    .where(and(lt(approvalEvents.receivedAt, sql`now() - make_interval(days => ${input.olderThanDays}::int)`), notExists(pending)))
    .limit(input.limit);
  const deleted = await db.delete(approvalEvents).where(inArray(approvalEvents.eventId, old)).returning({ eventId: approvalEvents.eventId });
  return deleted.length;
}
