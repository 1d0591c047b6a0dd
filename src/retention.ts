import { sql } from 'drizzle-orm';
import { deleteOldEvents } from './approvals/store.ts';
import { deleteAuditEntries } from './audit/audit-log.ts';
import { rowsOf, type Database } from './db/client.ts';
import { deleteFinishedJobs } from './jobs/store.ts';

/** How long rows are kept, in days: finished jobs and stored events, and audit entries. */
export interface RetentionWindows {
  days: number;
  auditDays: number;
}

export interface PruneOptions {
  /** Rows per delete statement. */
  batchSize?: number;
  /** Statements per table and run, so one run stays short however much has piled up. */
  maxBatches?: number;
}

export interface PruneResult {
  /** False when another instance held the run. */
  ran: boolean;
  jobs: number;
  events: number;
  audit: number;
}

// Any constant works; it only has to be the same for every instance (the migrator uses 727_001).
export const RETENTION_LOCK_KEY = 727_002;

/**
 * Deletes what is past its window, in batches, in one transaction holding an advisory lock,
 * so one instance prunes at a time and the others skip the run instead of waiting. The
 * transaction locks only rows nobody writes any more (done jobs, old events and entries).
 */
export async function pruneOnce(db: Database, windows: RetentionWindows, options: PruneOptions = {}): Promise<PruneResult> {
  const limit = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 50;
  return db.transaction(async (tx) => {
    const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${RETENTION_LOCK_KEY}) as locked`));
    if (!lock?.locked) return { ran: false, jobs: 0, events: 0, audit: 0 };
    const inBatches = async (deleteBatch: () => Promise<number>) => {
      let total = 0;
      for (let i = 0; i < maxBatches; i++) {
        const n = await deleteBatch();
        total += n;
        if (n < limit) break;
      }
      return total;
    };
    return {
      ran: true,
      jobs: await inBatches(() => deleteFinishedJobs(tx, { olderThanDays: windows.days, limit })),
      events: await inBatches(() => deleteOldEvents(tx, { olderThanDays: windows.days, limit })),
      audit: await inBatches(() => deleteAuditEntries(tx, { olderThanDays: windows.auditDays, limit })),
    };
  });
}
