import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { outOfOffice } from '../db/schema.ts';

/* The `out_of_office` table: every write to it is made here. */

/** While it runs (until `endsAt`), `delegateUserId` may decide whatever `userId` may. */
export interface OutOfOffice {
  teamId: string;
  userId: string;
  delegateUserId: string;
  endsAt: Date;
}

export type Delegation = Pick<OutOfOffice, 'userId' | 'delegateUserId' | 'endsAt'>;

/** Starts or replaces this person's out-of-office. */
export async function setOutOfOffice(db: Pick<Database, 'insert'>, entry: OutOfOffice): Promise<void> {
  await db
    .insert(outOfOffice)
    .values(entry)
    .onConflictDoUpdate({ target: [outOfOffice.teamId, outOfOffice.userId], set: { delegateUserId: entry.delegateUserId, endsAt: entry.endsAt, updatedAt: sql`now()` } });
}

/** Ends it now; false when there was none. */
export async function clearOutOfOffice(db: Pick<Database, 'delete'>, teamId: string, userId: string): Promise<boolean> {
  const gone = await db.delete(outOfOffice).where(and(eq(outOfOffice.teamId, teamId), eq(outOfOffice.userId, userId))).returning({ userId: outOfOffice.userId });
  return gone.length > 0;
}

/** This person's out-of-office if it still runs. */
export async function findOutOfOffice(db: Pick<Database, 'select'>, teamId: string, userId: string): Promise<OutOfOffice | undefined> {
  const [row] = await db
    .select({ teamId: outOfOffice.teamId, userId: outOfOffice.userId, delegateUserId: outOfOffice.delegateUserId, endsAt: outOfOffice.endsAt })
    .from(outOfOffice)
    .where(and(eq(outOfOffice.teamId, teamId), eq(outOfOffice.userId, userId), gt(outOfOffice.endsAt, sql`now()`)));
  return row;
}

/** The running out-of-offices that name `delegateUserId` as delegate. */
export async function delegationsTo(db: Pick<Database, 'select'>, teamId: string, delegateUserId: string): Promise<Delegation[]> {
  return db
    .select({ userId: outOfOffice.userId, delegateUserId: outOfOffice.delegateUserId, endsAt: outOfOffice.endsAt })
    .from(outOfOffice)
    .where(and(eq(outOfOffice.teamId, teamId), eq(outOfOffice.delegateUserId, delegateUserId), gt(outOfOffice.endsAt, sql`now()`)));
}

/** The running out-of-offices of these people (to name their delegates in reminders). */
export async function delegationsFrom(db: Pick<Database, 'select'>, teamId: string, userIds: string[]): Promise<Delegation[]> {
  if (userIds.length === 0) return [];
  return db
    .select({ userId: outOfOffice.userId, delegateUserId: outOfOffice.delegateUserId, endsAt: outOfOffice.endsAt })
    .from(outOfOffice)
    .where(and(eq(outOfOffice.teamId, teamId), inArray(outOfOffice.userId, userIds), gt(outOfOffice.endsAt, sql`now()`)));
}
