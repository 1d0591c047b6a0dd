export interface CachedReadingOptions {
  /** A reading this recent (since its read finished) is shown again instead of read anew. */
  maxAgeMs: number;
  /** Callers stop waiting after this long and get undefined; the read itself goes on. */
  timeoutMs: number;
  /** Told when a read fails, and when it outlasts `timeoutMs`. */
  onError(error: unknown): void;
  now?: () => number;
}

/**
 * A reading shared by everyone who asks while it is fresh: scrapes that come together (each
 * gauge of one scrape, several Prometheus servers) cost one read, and at most one read is
 * ever in flight, so a database that hangs holds one connection, not one per scrape. A read
 * that failed is kept as undefined for `maxAgeMs` too, so a failing database is not asked
 * again at every scrape.
 */
export function cachedReading<T>(read: () => Promise<T>, options: CachedReadingOptions): () => Promise<T | undefined> {
  const now = options.now ?? Date.now;
  let current: { result: Promise<T | undefined>; finishedAt?: number } | undefined;

  function start(): { result: Promise<T | undefined>; finishedAt?: number } {
    const entry: { result: Promise<T | undefined>; finishedAt?: number } = { result: Promise.resolve(undefined) };
    entry.result = new Promise<T | undefined>((resolve) => {
      const timer = setTimeout(() => {
        options.onError(new Error(`the reading took longer than ${options.timeoutMs} ms`));
        resolve(undefined);
      }, options.timeoutMs);
      read()
        .then(resolve, (e: unknown) => {
          options.onError(e);
          resolve(undefined);
        })
        .finally(() => {
          clearTimeout(timer);
          entry.finishedAt = now();
        });
    });
    return entry;
  }

  return () => {
    const stale = current?.finishedAt !== undefined && now() - current.finishedAt >= options.maxAgeMs;
    if (current === undefined || stale) current = start();
    return current.result;
  };
}
