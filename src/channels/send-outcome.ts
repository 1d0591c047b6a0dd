import type { JobOutcome } from '../jobs/job.ts';
import type { ChannelSlots, SendFailure } from './ports.ts';

/** A failed send as a job outcome: wait out a rate limit, give up on what cannot work, retry the rest. */
export function jobOutcomeOf(failure: SendFailure, what: string): JobOutcome {
  const error = `${what}: ${failure.detail}`;
  switch (failure.kind) {
    case 'wait':
      return { status: 'retry', error, retryAfterMs: failure.retryAfterMs };
    case 'permanent':
      return { status: 'dead', error };
    case 'transient':
    case 'maybe_done':
      return { status: 'retry', error };
  }
}

/**
 * A post whose slot is further off than PARK_BEYOND_MS waits in the database (its job
 * parked) and comes back PARK_EARLY_MS before the slot; a nearer one waits for its turn
 * in memory, so it goes out on time whatever the worker's poll interval.
 */
const PARK_BEYOND_MS = 3_000;
const PARK_EARLY_MS = 2_000;

/** How long a job whose slot is `waitMs` away should park before coming back; undefined: wait for the turn now. */
export function parkingTime(waitMs: number): number | undefined {
  return waitMs > PARK_BEYOND_MS ? waitMs - PARK_EARLY_MS : undefined;
}

/** The job outcome that parks a post until shortly before its slot; undefined when it may wait for its turn now. */
export function parkUntilSlot(slots: ChannelSlots, channel: string, key: string): { status: 'retry'; error: string; retryAfterMs: number } | undefined {
  const park = parkingTime(slots.reserve(channel, key));
  return park === undefined ? undefined : { status: 'retry', error: 'waiting for its turn in the channel', retryAfterMs: park };
}
