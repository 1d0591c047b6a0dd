import { and, desc, eq, inArray, lt, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';

/* The `audit_log` table: every write to it is made here, or built here for a larger statement. */

export interface AuditEntry {
  teamId: string;
  actorUserId: string | null;
  /** Namespaced verb, e.g. `identity.created`. */
  action: string;
  subjectType: string;
  subjectId: string;
  details?: Record<string, unknown>;
}

/** An entry whose fields may also be placeholders of a prepared statement, or SQL. */
export type BoundAuditEntry = { [K in keyof Required<AuditEntry>]: AuditEntry[K] | SQL | Placeholder };

/**
 * The insert of one entry, to run or to embed in a larger statement (`db.$with(…).as(insertAudit(…))`)
 * so the entry commits with the change it records in one round trip.
 */
export function insertAudit(db: Pick<Database, 'insert'>, entry: BoundAuditEntry) {
  return db.insert(auditLog).values(entry);
}

/** Accepts the database or an open transaction, so the entry commits with the change it records. */
export async function recordAudit(db: Pick<Database, 'insert'>, entry: AuditEntry): Promise<void> {
  await insertAudit(db, { ...entry, details: entry.details ?? {} });
}

export async function auditTrail(db: Database, filter: { teamId: string; subjectType?: string; subjectId?: string }) {
  const conditions = [eq(auditLog.teamId, filter.teamId)];
  if (filter.subjectType) conditions.push(eq(auditLog.subjectType, filter.subjectType));
  if (filter.subjectId) conditions.push(eq(auditLog.subjectId, filter.subjectId));
  return db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.id));
}

/** Deletes up to `limit` entries written more than `olderThanDays` days ago; returns how many. */
export async function deleteAuditEntries(db: Pick<Database, 'select' | 'delete'>, input: { olderThanDays: number; limit: number }): Promise<number> {
  const old = db
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(lt(auditLog.createdAt, sql`now() - make_interval(days => ${input.olderThanDays}::int)`))
    .limit(input.limit);
  const deleted = await db.delete(auditLog).where(inArray(auditLog.id, old)).returning({ id: auditLog.id });
  return deleted.length;
}
