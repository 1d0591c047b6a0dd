import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.ts';

/** The backlog at one moment, as the gauges show it. */
export interface QueueCounts {
  pendingApprovals: number;
  /** Live jobs: due now (`ready`), waiting for their time (`scheduled`, e.g. parked posts and retries), being run (`running`). */
  jobs: { ready: number; scheduled: number; running: number };
  /** Jobs that gave up and wait for a person. */
  deadLetters: number;
}

/** Each count stops here, so a scrape's cost has a ceiling however large a backlog grows; a count that reaches it reads as this. */
export const COUNT_CEILING = 100_000;

const capped = (rows: string) => sql.raw(`(select count(*) from (select 1 from ${rows} limit ${COUNT_CEILING}) c)::int`);

/**
 * One statement. Each count reads one range of an index that leads with `status`: pending
 * approvals from approvals_expiry_idx, jobs from jobs_ready_idx (status, run_at, id), so
 * none touches the done jobs and decided approvals, which are most of both tables.
 */
export async function countQueue(db: Pick<Database, 'execute'>): Promise<QueueCounts> {
  const result = await db.execute(sql`select
    ${capped(`approvals where status = 'pending'`)} as pending,
    ${capped(`jobs where status = 'queued' and run_at <= now()`)} as ready,
    ${capped(`jobs where status = 'queued' and run_at > now()`)} as scheduled,
    ${capped(`jobs where status = 'running'`)} as running,
    ${capped(`jobs where status = 'dead'`)} as dead`);
  const [row] = rowsOf<{ pending: number; ready: number; scheduled: number; running: number; dead: number }>(result);
  if (!row) throw new Error('the queue counts came back empty');
  return { pendingApprovals: row.pending, jobs: { ready: row.ready, scheduled: row.scheduled, running: row.running }, deadLetters: row.dead };
}
