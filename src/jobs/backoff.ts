import { JOB_DEFAULTS, type JobOutcome } from './job.ts';

/** Exponential with "equal jitter": half fixed, half random, so the delay is never ~0. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(JOB_DEFAULTS.backoffCapMs, JOB_DEFAULTS.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return exp / 2 + random() * (exp / 2);
}

/** Retry-After is a floor; a little jitter spreads the jobs a rate limit stopped together. */
function rateLimitDelayMs(retryAfterMs: number, random: () => number): number {
  return retryAfterMs + random() * Math.min(1_000, retryAfterMs * 0.1);
}

export interface RetryDelay {
  /** How long until the job runs again (0 unless the outcome is a retry). */
  delayMs: number;
  /** The retry carries a Retry-After: it may give its attempt back (see `settleJob`). */
  rateLimited: boolean;
}

/** When a job that ended with `outcome` on its `attempt`-th run runs again. */
export function retryDelay(outcome: JobOutcome, attempt: number, random: () => number = Math.random): RetryDelay {
  if (outcome.status !== 'retry') return { delayMs: 0, rateLimited: false };
  const retryAfterMs = outcome.retryAfterMs;
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return { delayMs: rateLimitDelayMs(retryAfterMs, random), rateLimited: true };
  }
  return { delayMs: backoffMs(attempt, random), rateLimited: false };
}
