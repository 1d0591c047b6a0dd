import { and, asc, count, desc, eq, inArray, lt, lte, notInArray, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { preparedPerDatabase, type Database } from '../db/client.ts';
import { jobs } from '../db/schema.ts';
import { retryDelay } from './backoff.ts';
import { JOB_DEFAULTS, type Job, type JobOutcome, type JobStatus } from './job.ts';

/*
 * A small durable job queue on the `jobs` table. Every write to the table is made here,
 * or built here for a larger statement.
 *
 * - Every decision that matters lives in the row: the worker keeps only what it
 *   needs to pace itself (in-flight promises), so a crash loses nothing.
 * - All time comparisons use the database clock (`now()`), so instances with
 *   skewed clocks agree on what is due and whose lease has expired.
 * - A claim is a lease: `locked_until` passes, and any worker may run the job
 *   again. Completion only applies while the claim is still the current one.
 */

const MAX_ERROR_LENGTH = 2_000;

/** A value, or a placeholder of a prepared statement, or SQL. */
type Bound<T> = { [K in keyof T]: T[K] | SQL | Placeholder };

/** What a new job may set; the queue owns everything else in the row. */
export type NewJob = Bound<Pick<typeof jobs.$inferInsert, 'kind' | 'payload' | 'dedupeKey' | 'runAt' | 'maxAttempts'>>;

/**
 * The insert of one job, to run or to embed in a larger statement (`db.$with(…).as(insertJob(…))`)
 * so the job commits with the writes that call for it in one round trip. A dedupe key that
 * exists already makes it a no-op; it returns the id of the job it inserted.
 */
export function insertJob(db: Pick<Database, 'insert'>, job: NewJob) {
  return db.insert(jobs).values(job).onConflictDoNothing({ target: jobs.dedupeKey }).returning({ id: jobs.id });
}

/**
 * For statements written in SQL: the insert of every job `source` selects, its columns in
 * this order: kind, payload, dedupe_key, run_at. Embedded as a CTE, it queues the jobs in the
 * same statement as the writes that call for them. A dedupe key that exists already is
 * skipped; it returns the dedupe_key of each job it inserted.
 */
export function insertJobsFrom(source: SQL): SQL {
  return sql`insert into ${jobs} (kind, payload, dedupe_key, run_at)
      ${source}
      on conflict (dedupe_key) do nothing
      returning dedupe_key`;
}

export interface EnqueueInput {
  kind: string;
  payload: Record<string, unknown>;
  /** A second enqueue with the same key (ever) is a no-op. */
  dedupeKey?: string;
  /** Not before this time; default: now (database clock). */
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * Inserts a job. Pass the caller's transaction so the job commits (or rolls back)
 * with the state change that needs it. Returns false when `dedupeKey` already existed.
 */
export async function enqueue(db: Pick<Database, 'insert'>, input: EnqueueInput): Promise<boolean> {
  const inserted = await insertJob(db, {
    kind: input.kind,
    payload: input.payload,
    dedupeKey: input.dedupeKey ?? null,
    ...(input.runAt ? { runAt: input.runAt } : {}),
    ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
  });
  return inserted.length > 0;
}

export interface ClaimOptions {
  workerId: string;
  limit: number;
  leaseMs?: number;
  /** Only these kinds… */
  kinds?: readonly string[];
  /** …or any kind but these. */
  excludeKinds?: readonly string[];
}

/**
 * Claims up to `limit` ready jobs in one statement: running with an expired lease (its
 * worker died) first, then queued and due, oldest first. SKIP LOCKED lets concurrent
 * claimers pass each other instead of waiting or taking the same rows. Each kind of
 * ready row is found by its own index range scan (status, run_at, id), which stops at
 * the limit however many done or parked rows the table holds; a plain OR of the two
 * would scan and sort the whole table on every claim.
 */
export async function claimJobs(db: Pick<Database, 'select' | 'update'>, options: ClaimOptions): Promise<Job[]> {
  if (options.limit <= 0 || options.kinds?.length === 0) return [];
  return prepareClaim(db, options)({ workerId: options.workerId, limit: options.limit, leaseMs: options.leaseMs ?? JOB_DEFAULTS.leaseMs });
}

export type ClaimFilter = Pick<ClaimOptions, 'kinds' | 'excludeKinds'>;

/**
 * The claim statement of `claimJobs` for one filter, built once and run many times:
 * building it with drizzle costs more than running it (measured: about 0.45 ms a build),
 * and a worker claims after every poll and every wake.
 */
export function prepareClaim(db: Pick<Database, 'select' | 'update'>, filter: ClaimFilter): (input: { workerId: string; limit: number; leaseMs: number }) => Promise<Job[]> {
  if (filter.kinds?.length === 0) return async () => [];
  const kindFilter = filter.kinds
    ? inArray(jobs.kind, [...filter.kinds])
    : filter.excludeKinds?.length
      ? notInArray(jobs.kind, [...filter.excludeKinds])
      : undefined;
  const limit = sql.placeholder('limit');
  const stale = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.status, 'running'), lt(jobs.lockedUntil, sql`now()`), kindFilter))
    .limit(limit)
    .for('update', { skipLocked: true });
  const due = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.status, 'queued'), lte(jobs.runAt, sql`now()`), kindFilter))
    .orderBy(asc(jobs.runAt), asc(jobs.id))
    .limit(limit)
    .for('update', { skipLocked: true });
  const statement = db
    .update(jobs)
    .set({
      status: 'running',
      attempts: sql`${jobs.attempts} + 1`,
      lockedUntil: sql`now() + ${sql.placeholder('leaseMs')}::double precision * interval '1 millisecond'`,
      lockedBy: sql`${sql.placeholder('workerId')}`,
      updatedAt: sql`now()`,
    })
    // Rows locked by the subqueries beyond the first `limit` are released when the statement ends.
    .where(sql`${jobs.id} = any((array(${stale}) || array(${due}))[1:${limit}::int])`)
    .returning()
    .prepare('claim_jobs');
  return async ({ workerId, limit: n, leaseMs }) => (n <= 0 ? [] : statement.execute({ workerId, limit: Math.trunc(n), leaseMs: Math.max(0, Math.round(leaseMs)) }));
}

export interface SettleOptions {
  rateLimitGraceMs?: number;
  random?: () => number;
}

/**
 * Records a claimed job's outcome, only if that claim is still the current one (same
 * worker, same attempt, still running): a worker whose lease expired and was
 * re-claimed cannot overwrite the newer run. Returns the new status, or null when
 * the claim was lost.
 *
 * Retries: when the attempts are used up the job becomes dead. A rate-limited retry
 * (`retryAfterMs`) gives its attempt back while the job is younger than
 * `rateLimitGraceMs`, so Slack throttling cannot exhaust the budget; after that it
 * counts, so a job cannot be throttled forever.
 */
export async function settleJob(
  db: Pick<Database, 'update'>,
  claimed: Job,
  outcome: JobOutcome,
  options: SettleOptions = {},
): Promise<JobStatus | null> {
  const { delayMs, rateLimited } = retryDelay(outcome, claimed.attempts, options.random);
  const [row] = await settleStatement(db).execute({
    id: claimed.id,
    lockedBy: claimed.lockedBy ?? '',
    attempts: claimed.attempts,
    outcome: outcome.status,
    lastError: 'error' in outcome ? truncate(outcome.error) : null,
    delayMs: Math.max(0, Math.round(delayMs)),
    // Only a rate-limited retry can give its attempt back, and only within the grace period.
    graceMs: rateLimited ? (options.rateLimitGraceMs ?? JOB_DEFAULTS.rateLimitGraceMs) : -1,
  });
  return row?.status ?? null;
}

/**
 * One statement for every outcome (drizzle's query building costs more than the update).
 * Whether a retry uses up its attempt is decided on the database clock: it counts unless
 * it is rate-limited (graceMs ≥ 0) and the job is younger than the grace period.
 */
const settleStatement = preparedPerDatabase((db: Pick<Database, 'update'>) => {
  const outcome = sql`${sql.placeholder('outcome')}::text`;
  const counts = sql`(${sql.placeholder('graceMs')}::double precision < 0 or ${jobs.createdAt} <= now() - ${sql.placeholder('graceMs')}::double precision * interval '1 millisecond')`;
  return db
    .update(jobs)
    .set({
      status: sql`case ${outcome} when 'done' then 'done' when 'dead' then 'dead'
        else case when ${counts} and ${jobs.attempts} >= ${jobs.maxAttempts} then 'dead' else 'queued' end end`,
      attempts: sql`case when ${outcome} = 'retry' and not ${counts} then ${jobs.attempts} - 1 else ${jobs.attempts} end`,
      runAt: sql`case when ${outcome} = 'retry' then now() + ${sql.placeholder('delayMs')}::double precision * interval '1 millisecond' else ${jobs.runAt} end`,
      lastError: sql`case when ${outcome} = 'done' then ${jobs.lastError} else ${sql.placeholder('lastError')}::text end`,
      lockedUntil: null,
      updatedAt: sql`now()`,
    })
    // Only while this claim is still the current one (same worker, same attempt, still running).
    .where(
      and(
        eq(jobs.id, sql.placeholder('id')),
        eq(jobs.lockedBy, sql.placeholder('lockedBy')),
        eq(jobs.attempts, sql.placeholder('attempts')),
        eq(jobs.status, 'running'),
      ),
    )
    .returning({ status: jobs.status })
    .prepare('settle_job');
});

function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

/** Dead letters, newest first. */
export async function deadJobs(db: Pick<Database, 'select'>, limit = 100): Promise<Job[]> {
  return db.select().from(jobs).where(eq(jobs.status, 'dead')).orderBy(desc(jobs.updatedAt), desc(jobs.id)).limit(limit);
}

/** Number of jobs per status (every status present, 0 when none). */
export async function jobCounts(db: Pick<Database, 'select'>): Promise<Record<JobStatus, number>> {
  const rows = await db.select({ status: jobs.status, n: count() }).from(jobs).groupBy(jobs.status);
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, dead: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/**
 * Deletes up to `limit` done jobs last changed more than `olderThanDays` days ago; returns
 * how many. Only done jobs: a queued or running job's dedupe key still guards work to come,
 * and dead letters stay until an operator has looked at them (`npm run admin -- jobs`).
 */
export async function deleteFinishedJobs(db: Pick<Database, 'select' | 'delete'>, input: { olderThanDays: number; limit: number }): Promise<number> {
  const old = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.status, 'done'), lt(jobs.updatedAt, sql`now() - make_interval(days => ${input.olderThanDays}::int)`)))
    .limit(input.limit);
  const deleted = await db.delete(jobs).where(inArray(jobs.id, old)).returning({ id: jobs.id });
  return deleted.length;
}
