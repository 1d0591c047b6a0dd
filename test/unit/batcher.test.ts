import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/approvals/batcher.ts';

interface Item {
  id: string;
  key: string;
}

/** A write that records its batches and can be held open or made to fail. */
function recorder(opts: { failWhen?: (items: Item[]) => boolean } = {}) {
  const batches: string[][] = [];
  let open = 0;
  let maxOpen = 0;
  const gates: Array<() => void> = [];
  let holding = false;
  return {
    batches,
    maxOpen: () => maxOpen,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      gates.splice(0).forEach((go) => go());
    },
    write: async (items: Item[]) => {
      batches.push(items.map((i) => i.id));
      open++;
      maxOpen = Math.max(maxOpen, open);
      try {
        if (holding) await new Promise<void>((go) => gates.push(go));
        if (opts.failWhen?.(items)) throw new Error(`cannot store ${items.map((i) => i.id).join(',')}`);
        return items.map((i) => `stored ${i.id}`);
      } finally {
        open--;
      }
    },
  };
}

const item = (id: string, key = id): Item => ({ id, key });

describe('batcher', () => {
  it('writes what arrives together in one batch and answers each caller with its own result', async () => {
    const r = recorder();
    const batcher = createBatcher({ write: r.write, keys: (i: Item) => [i.key] });
    const results = await Promise.all(['a', 'b', 'c'].map((id) => batcher.submit(item(id))));
    expect(results).toEqual(['stored a', 'stored b', 'stored c']);
    expect(r.batches).toEqual([['a', 'b', 'c']]);
  });

  it('never puts two items with a key in common in one batch', async () => {
    const r = recorder();
    const batcher = createBatcher({ write: r.write, keys: (i: Item) => [i.key] });
    await Promise.all([batcher.submit(item('request', 'approval-1')), batcher.submit(item('other', 'approval-2')), batcher.submit(item('cancel', 'approval-1'))]);
    expect(r.batches).toEqual([['request', 'other'], ['cancel']]);
  });

  it('writes a failed batch one item at a time, so only the item that cannot be stored fails', async () => {
    const r = recorder({ failWhen: (items) => items.some((i) => i.id === 'poison') });
    const failures: Array<[string, number]> = [];
    const batcher = createBatcher({ write: r.write, keys: (i: Item) => [i.key], maxInFlight: 1, onBatchFailure: (e, size) => failures.push([(e as Error).message, size]) });
    const settled = await Promise.allSettled(['a', 'poison', 'b'].map((id) => batcher.submit(item(id))));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual(['stored a', 'cannot store poison', 'stored b']);
    expect(r.batches).toEqual([['a', 'poison', 'b'], ['a'], ['poison'], ['b']]);
    // Reported once, and the single writes went one after another.
    expect(failures).toEqual([['cannot store a,poison,b', 3]]);
    expect(r.maxOpen()).toBe(1);
  });

  it('keeps at most maxInFlight batches open and sends what waited as the next batch', async () => {
    const r = recorder();
    const batcher = createBatcher({ write: r.write, keys: (i: Item) => [i.key], maxInFlight: 1, maxBatch: 2 });
    r.hold();
    const first = batcher.submit(item('a'));
    await new Promise((resolve) => setImmediate(resolve));
    const later = ['b', 'c', 'd'].map((id) => batcher.submit(item(id)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([['a']]);
    r.release();
    await Promise.all([first, ...later]);
    expect(r.batches).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(r.maxOpen()).toBe(1);
  });
});
