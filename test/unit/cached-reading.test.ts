import { describe, expect, it } from 'vitest';
import { cachedReading } from '../../src/metrics/cached-reading.ts';

/** A read whose answers the test gives by hand, counting how often it was asked. */
function controlledRead() {
  const pending: { resolve(v: number): void; reject(e: unknown): void }[] = [];
  return {
    pending,
    read: () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject })),
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('cachedReading', () => {
  it('shares one read among callers while it runs and while it is fresh, then reads anew', async () => {
    let t = 1000;
    const { pending, read } = controlledRead();
    const errors: unknown[] = [];
    const reading = cachedReading(read, { maxAgeMs: 5000, timeoutMs: 60_000, onError: (e) => errors.push(e), now: () => t });
    const together = [reading(), reading(), reading()];
    expect(pending).toHaveLength(1);
    pending[0]!.resolve(7);
    expect(await Promise.all(together)).toEqual([7, 7, 7]);

    t += 4999;
    expect(await reading()).toBe(7);
    expect(pending).toHaveLength(1);

    t += 1;
    const next = reading();
    expect(pending).toHaveLength(2);
    pending[1]!.resolve(8);
    expect(await next).toBe(8);
    expect(errors).toEqual([]);
  });

  it('answers undefined for a read that failed, tells why once, and asks again only when that answer is stale', async () => {
    let t = 0;
    const { pending, read } = controlledRead();
    const errors: unknown[] = [];
    const reading = cachedReading(read, { maxAgeMs: 5000, timeoutMs: 60_000, onError: (e) => errors.push(e), now: () => t });
    const first = reading();
    pending[0]!.reject(new Error('database down'));
    expect(await first).toBeUndefined();
    expect(errors).toEqual([new Error('database down')]);
    expect(await reading()).toBeUndefined();
    expect(pending).toHaveLength(1);

    t += 5000;
    const again = reading();
    expect(pending).toHaveLength(2);
    pending[1]!.resolve(3);
    expect(await again).toBe(3);
  });

  it('stops waiting after the timeout, and starts no second read while the first still hangs', async () => {
    let t = 0;
    const { pending, read } = controlledRead();
    const errors: unknown[] = [];
    const reading = cachedReading(read, { maxAgeMs: 0, timeoutMs: 20, onError: (e) => errors.push(e), now: () => t });
    expect(await reading()).toBeUndefined();
    expect(String(errors[0])).toMatch(/longer than 20 ms/);

    t += 60_000;
    expect(await reading()).toBeUndefined();
    expect(pending).toHaveLength(1);

    // Once the hung read ends, the next caller starts a fresh one.
    pending[0]!.resolve(1);
    await settle();
    const fresh = reading();
    expect(pending).toHaveLength(2);
    pending[1]!.resolve(2);
    expect(await fresh).toBe(2);
  });
});
