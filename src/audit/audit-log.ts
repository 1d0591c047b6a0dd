import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';

export interface AuditEntry {
  teamId: string;
  actorUserId: string | null;
  /** Namespaced verb, e.g. `identity.created`. */
  action: string;
  subjectType: string;
  subjectId: string;
  details?: Record<string, unknown>;
}

/** Accepts the database or an open transaction, so the entry commits with the change it records. */
export async function recordAudit(db: Pick<Database, 'insert'>, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...entry, details: entry.details ?? {} });
}

export async function auditTrail(db: Database, filter: { teamId: string; subjectType?: string; subjectId?: string }) {
  const conditions = [eq(auditLog.teamId, filter.teamId)];
  if (filter.subjectType) conditions.push(eq(auditLog.subjectType, filter.subjectType));
  if (filter.subjectId) conditions.push(eq(auditLog.subjectId, filter.subjectId));
  return db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.id));
}
