import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { and, asc, count, desc, eq, inArray, lt, lte, notInArray, sql } from 'drizzle-orm';
import { preparedPerDatabase, type Database } from '../db/client.ts';
import { jobs } from '../db/schema.ts';
import type { Logger } from '../logger.ts';

/*
 * A small durable job queue on the `jobs` table.
 *
 * - Every decision that matters lives in the row: the worker keeps only what it
 *   needs to pace itself (in-flight promises), so a crash loses nothing.
 * - All time comparisons use the database clock (`now()`), so instances with
 *   skewed clocks agree on what is due and whose lease has expired.
 * - A claim is a lease: `locked_until` passes, and any worker may run the job
 *   again. Completion only applies while the claim is still the current one.
 */

export type Job = typeof jobs.$inferSelect;
export type JobStatus = Job['status'];

/** What a handler says happened. A thrown exception counts as `retry`. */
export type JobOutcome =
  | { status: 'done' }
  /** `retryAfterMs` (e.g. Slack's Retry-After) is the minimum delay, and marks the retry as a rate limit. */
  | { status: 'retry'; error: string; retryAfterMs?: number }
  /** Permanent failure: never run again. */
  | { status: 'dead'; error: string };

export type JobHandler = (job: Job) => Promise<JobOutcome>;

export const JOB_DEFAULTS = {
  /** How long a claim lasts. A handler must finish well within it (bound its HTTP timeouts and retries). */
  leaseMs: 2 * 60_000,
  pollIntervalMs: 250,
  concurrency: 4,
  backoffBaseMs: 1_000,
  backoffCapMs: 5 * 60_000,
  /** Rate-limited retries are free for this long after the job was created; then they count like any retry. */
  rateLimitGraceMs: 60 * 60_000,
} as const;

const MAX_ERROR_LENGTH = 2_000;

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
  const inserted = await db
    .insert(jobs)
    .values({
      kind: input.kind,
      payload: input.payload,
      dedupeKey: input.dedupeKey ?? null,
      ...(input.runAt ? { runAt: input.runAt } : {}),
      ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
    })
    .onConflictDoNothing({ target: jobs.dedupeKey })
    .returning({ id: jobs.id });
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

/** Exponential with "equal jitter": half fixed, half random, so the delay is never ~0. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(JOB_DEFAULTS.backoffCapMs, JOB_DEFAULTS.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return exp / 2 + random() * (exp / 2);
}

/** Retry-After is a floor; a little jitter spreads the jobs a rate limit stopped together. */
function rateLimitDelayMs(retryAfterMs: number, random: () => number): number {
  return retryAfterMs + random() * Math.min(1_000, retryAfterMs * 0.1);
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
  const random = options.random ?? Math.random;
  const rateLimited = outcome.status === 'retry' && Number.isFinite(outcome.retryAfterMs) && (outcome.retryAfterMs ?? 0) >= 0;
  const delayMs =
    outcome.status !== 'retry' ? 0 : rateLimited ? rateLimitDelayMs(outcome.retryAfterMs ?? 0, random) : backoffMs(claimed.attempts, random);
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

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function isOutcome(value: unknown): value is JobOutcome {
  if (!value || typeof value !== 'object') return false;
  const o = value as { status?: unknown; error?: unknown };
  return o.status === 'done' || ((o.status === 'retry' || o.status === 'dead') && typeof o.error === 'string');
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

/** A set of kinds with its own slots, so a slow kind cannot occupy the slots of the others. */
export interface Lane {
  kinds: readonly string[];
  concurrency: number;
}

export interface WorkerOptions {
  db: Database;
  handlers: Record<string, JobHandler>;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Written to locked_by; unique per process. */
  workerId?: string;
  /** Slots for kinds not in any lane. */
  concurrency?: number;
  pollIntervalMs?: number;
  leaseMs?: number;
  lanes?: readonly Lane[];
  rateLimitGraceMs?: number;
}

export interface Worker {
  readonly workerId: string;
  /** Starts polling. */
  start(): void;
  /** Stops claiming and resolves once every running handler has finished and been recorded. */
  stop(): Promise<void>;
  /** Runs jobs until none is ready now and none is running here (tests). */
  drain(): Promise<void>;
  /** Polls now instead of at the next interval (call after an enqueue). */
  wake(): void;
}

interface Slots {
  claim: ReturnType<typeof prepareClaim>;
  concurrency: number;
  running: Set<Promise<void>>;
  /** The last claim got every job it asked for, so more may be ready. */
  full: boolean;
}

export function createWorker(options: WorkerOptions): Worker {
  const { db, handlers, logger } = options;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? JOB_DEFAULTS.leaseMs;
  const pollIntervalMs = options.pollIntervalMs ?? JOB_DEFAULTS.pollIntervalMs;
  const laneKinds = (options.lanes ?? []).flatMap((lane) => lane.kinds);
  const slots: Slots[] = [
    ...(options.lanes ?? []).map((lane) => ({ claim: prepareClaim(db, { kinds: lane.kinds }), concurrency: lane.concurrency, running: new Set<Promise<void>>(), full: false })),
    { claim: prepareClaim(db, { excludeKinds: laneKinds }), concurrency: options.concurrency ?? JOB_DEFAULTS.concurrency, running: new Set<Promise<void>>(), full: false },
  ];

  let started = false;
  let stopped = false;
  let loop: Promise<void> | undefined;
  // A wake that arrives while the loop is busy is remembered, not lost.
  let woken = false;
  let interruptSleep: (() => void) | undefined;
  // Claims are serialised so the loop and drain() never overfill the slots.
  let filling: Promise<unknown> = Promise.resolve();

  const wake = () => {
    woken = true;
    interruptSleep?.();
  };

  const sleep = () =>
    new Promise<void>((resolve) => {
      if (woken) return resolve();
      const timer = setTimeout(done, pollIntervalMs);
      function done() {
        clearTimeout(timer);
        interruptSleep = undefined;
        resolve();
      }
      interruptSleep = done;
    });

  const allRunning = () => slots.flatMap((s) => [...s.running]);

  async function execute(job: Job): Promise<JobOutcome> {
    const handler = Object.hasOwn(handlers, job.kind) ? handlers[job.kind] : undefined;
    if (!handler) return { status: 'dead', error: `no handler for job kind "${job.kind}"` };
    // Every earlier claim ended without a result (the process died mid-run): stop retrying it.
    if (job.attempts > job.maxAttempts) {
      return { status: 'dead', error: `${job.attempts - 1} attempts never finished (lease expired); giving up` };
    }
    try {
      const outcome = await handler(job);
      return isOutcome(outcome) ? outcome : { status: 'retry', error: `handler for "${job.kind}" returned no valid outcome` };
    } catch (err) {
      return { status: 'retry', error: errorMessage(err) };
    }
  }

  async function run(job: Job): Promise<void> {
    const outcome = await execute(job);
    try {
      const status = await settleJob(db, job, outcome, { rateLimitGraceMs: options.rateLimitGraceMs });
      if (status === null) {
        logger.warn('job result discarded: lease lost to another run', { id: job.id, kind: job.kind, workerId });
      } else if (status === 'dead') {
        logger.error('job dead', { id: job.id, kind: job.kind, attempts: job.attempts, error: 'error' in outcome ? outcome.error : undefined });
      } else if (status === 'queued' && outcome.status === 'retry') {
        logger.debug('job retry', { id: job.id, kind: job.kind, attempts: job.attempts, error: outcome.error });
      }
    } catch (err) {
      // The row stays running; once the lease expires another run picks it up.
      logger.error('job result not recorded', { id: job.id, kind: job.kind, error: errorMessage(err) });
    }
  }

  async function fillOnce(): Promise<number> {
    let claimed = 0;
    for (const s of slots) {
      if (stopped) break;
      const free = s.concurrency - s.running.size;
      if (free <= 0) continue;
      const batch = await s.claim({ workerId, limit: free, leaseMs });
      claimed += batch.length;
      s.full = batch.length === free;
      for (const job of batch) {
        const p: Promise<void> = run(job).finally(() => {
          s.running.delete(p);
          // A freed slot claims at once only when jobs may be waiting for it; otherwise
          // the next poll or wake() does, instead of an empty claim per finished job.
          if (s.full) wake();
        });
        s.running.add(p);
      }
    }
    return claimed;
  }

  /** Claims into every free slot and starts the handlers; resolves to how many were claimed. */
  function fill(): Promise<number> {
    const next = filling.then(fillOnce, fillOnce);
    filling = next.catch(() => {});
    return next;
  }

  async function pollLoop(): Promise<void> {
    while (!stopped) {
      woken = false;
      try {
        await fill();
      } catch (err) {
        logger.warn('job claim failed', { workerId, error: errorMessage(err) });
      }
      if (stopped) break;
      // Woken early when a slot frees up while jobs may be waiting, or by wake().
      await sleep();
    }
  }

  return {
    workerId,
    wake,
    start() {
      if (started || stopped) return;
      started = true;
      loop = pollLoop();
    },
    async stop() {
      stopped = true;
      wake();
      await loop;
      await filling;
      while (allRunning().length > 0) await Promise.all(allRunning());
    },
    async drain() {
      for (;;) {
        const claimed = await fill();
        const running = allRunning();
        if (claimed === 0 && running.length === 0) return;
        if (running.length > 0) await Promise.race(running);
      }
    },
  };
}
