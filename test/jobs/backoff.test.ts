import { expect, it } from 'vitest';
import { retryDelay } from '../../src/jobs/backoff.ts';

const least = () => 0;
const most = () => 1;

it('done and dead outcomes are not rescheduled', () => {
  expect(retryDelay({ status: 'done' }, 3, most)).toEqual({ delayMs: 0, rateLimited: false });
  expect(retryDelay({ status: 'dead', error: 'gone' }, 3, most)).toEqual({ delayMs: 0, rateLimited: false });
});

it('a retry waits between half and all of 1 s doubled per attempt, capped at 5 minutes', () => {
  const retry = { status: 'retry', error: 'upstream 503' } as const;
  expect([retryDelay(retry, 1, least).delayMs, retryDelay(retry, 1, most).delayMs]).toEqual([500, 1_000]);
  expect([retryDelay(retry, 4, least).delayMs, retryDelay(retry, 4, most).delayMs]).toEqual([4_000, 8_000]);
  expect([retryDelay(retry, 30, least).delayMs, retryDelay(retry, 30, most).delayMs]).toEqual([150_000, 300_000]);
  expect(retryDelay(retry, 1, most).rateLimited).toBe(false);
});

it('a Retry-After is the floor of the delay, with at most 10% (and 1 s) of jitter, and marks the retry rate-limited', () => {
  const limited = (retryAfterMs: number) => ({ status: 'retry', error: 'ratelimited', retryAfterMs }) as const;
  expect(retryDelay(limited(2_000), 9, least)).toEqual({ delayMs: 2_000, rateLimited: true });
  expect(retryDelay(limited(2_000), 9, most)).toEqual({ delayMs: 2_200, rateLimited: true });
  expect(retryDelay(limited(60_000), 9, most)).toEqual({ delayMs: 61_000, rateLimited: true });
});

it('a Retry-After that is not a usable delay is an ordinary retry', () => {
  for (const retryAfterMs of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
    expect(retryDelay({ status: 'retry', error: 'odd', retryAfterMs }, 1, most)).toEqual({ delayMs: 1_000, rateLimited: false });
  }
});
