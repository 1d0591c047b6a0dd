import type { jobs } from '../db/schema.ts';

/* What the queue's store, backoff policy and worker share: the job row, what a handler answers, the defaults. */

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
