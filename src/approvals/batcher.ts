/**
 * Group commit: items submitted while earlier batches are being written go out together,
 * in one statement, instead of one round trip each. Each caller still gets its own
 * result, and only once its batch has committed.
 *
 * - Items that share a key (an approval, an event id) never go in one batch: a statement
 *   cannot insert and then update the same row. The later one waits for the next batch.
 * - When a batch fails, its items are written one by one, so one item that cannot be
 *   stored fails alone instead of failing its neighbours.
 */
export interface Batcher<Item, Result> {
  submit(item: Item): Promise<Result>;
}

export interface BatcherOptions<Item, Result> {
  /** Writes the items, all or nothing; returns one result per item, in order. */
  write(items: Item[]): Promise<Result[]>;
  /** Items with a key in common go in different batches. */
  keys(item: Item): string[];
  maxBatch?: number;
  /** Batches written at once (each holds one database connection). */
  maxInFlight?: number;
  /** Told when a batch of several failed; its items are then written one at a time. */
  onBatchFailure?: (error: unknown, size: number) => void;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export function createBatcher<Item, Result>(options: BatcherOptions<Item, Result>): Batcher<Item, Result> {
  const maxBatch = options.maxBatch ?? 64;
  const maxInFlight = options.maxInFlight ?? 4;
  let waiting: Waiting<Item, Result>[] = [];
  let inFlight = 0;
  let scheduled = false;

  // Flushed on the next turn of the event loop, so the items that arrive in this one join.
  function schedule() {
    if (scheduled || inFlight >= maxInFlight || waiting.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  }

  function takeBatch(): Waiting<Item, Result>[] {
    const batch: Waiting<Item, Result>[] = [];
    const later: Waiting<Item, Result>[] = [];
    const taken = new Set<string>();
    for (const w of waiting) {
      const keys = options.keys(w.item);
      if (batch.length < maxBatch && keys.every((k) => !taken.has(k))) {
        batch.push(w);
        for (const k of keys) taken.add(k);
      } else {
        later.push(w);
      }
    }
    waiting = later;
    return batch;
  }

  async function writeAlone(w: Waiting<Item, Result>) {
    try {
      const [result] = await options.write([w.item]);
      w.resolve(result as Result);
    } catch (e) {
      w.reject(e);
    }
  }

  async function flush() {
    scheduled = false;
    if (inFlight >= maxInFlight || waiting.length === 0) return;
    const batch = takeBatch();
    inFlight++;
    schedule();
    try {
      const results = await options.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i] as Result));
    } catch (e) {
      if (batch.length === 1) batch[0]!.reject(e);
      else {
        options.onBatchFailure?.(e, batch.length);
        // One at a time: a database that is down gets one write, not a burst of them.
        for (const w of batch) await writeAlone(w);
      }
    } finally {
      inFlight--;
      schedule();
    }
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        schedule();
      });
    },
  };
}
