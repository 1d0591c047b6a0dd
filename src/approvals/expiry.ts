import { and, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { approvals } from '../db/schema.ts';
import { enqueue } from '../jobs/store.ts';
import { ApprovalJob, dedupeKey } from './job-kinds.ts';
import { bumpVersion } from './store.ts';

/**
 * Closes pending approvals whose expires_at has passed without an event from the
 * platform. Safe to run from every instance at once: the update is conditional.
 */
export async function expireOverdue(db: Database): Promise<string[]> {
  return db.transaction(async (tx) => {
    const expired = await tx
      .update(approvals)
      .set({ status: 'expired', closedReason: 'The approval window ended before anyone decided.', version: bumpVersion, updatedAt: sql`now()` })
      .where(and(eq(approvals.status, 'pending'), lt(approvals.expiresAt, sql`now()`)))
      .returning({ id: approvals.id });
    for (const { id } of expired) {
      await enqueue(tx, { kind: ApprovalJob.refresh, payload: { approvalId: id }, dedupeKey: dedupeKey.refresh(id, 'expired') });
    }
    return expired.map((e) => e.id);
  });
}
