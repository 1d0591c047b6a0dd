import { eq, sql } from 'drizzle-orm';
import { afterEach, expect, it, vi } from 'vitest';
import { openDatabase, rowsOf, type Database } from '../../src/db/client.ts';
import { jobs } from '../../src/db/schema.ts';
import type { Job, JobHandler, JobOutcome } from '../../src/jobs/job.ts';
import { claimJobs, deadJobs, enqueue, insertJobsFrom, jobCounts, settleJob } from '../../src/jobs/store.ts';
import { createWorker, type Worker, type WorkerOptions } from '../../src/jobs/worker.ts';
import { type TestDatabase } from '../support/database.ts';
import { databasePerFile } from '../support/lifecycle.ts';

let tdb: TestDatabase;
let db: Database;
const started: Worker[] = [];

databasePerFile((created) => {
  tdb = created;
  db = created.db;
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.stop()));
});

const done: JobOutcome = { status: 'done' };

function spyLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

function worker(handlers: Record<string, JobHandler>, options: Partial<WorkerOptions> = {}): Worker {
  const w = createWorker({ db, handlers, logger: spyLogger(), pollIntervalMs: 10, ...options });
  started.push(w);
  return w;
}

async function allJobs(): Promise<Job[]> {
  return db.select().from(jobs).orderBy(jobs.id);
}

async function onlyJob(): Promise<Job> {
  const rows = await allJobs();
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

/** How far in the future the last reschedule put the job, on the database clock (both set by one statement). */
function scheduledDelayMs(job: Job): number {
  return job.runAt.getTime() - job.updatedAt.getTime();
}

async function makeAllDue(): Promise<void> {
  await db.update(jobs).set({ runAt: sql`now()` });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

it('a job runs once and ends done', async () => {
  const seen: unknown[] = [];
  expect(await enqueue(db, { kind: 'test.ok', payload: { n: 1 } })).toBe(true);
  const w = worker({ 'test.ok': async (job) => (seen.push(job.payload), done) });

  await w.drain();
  await w.drain();

  expect(seen).toEqual([{ n: 1 }]);
  const job = await onlyJob();
  expect(job).toMatchObject({ status: 'done', attempts: 1, lockedUntil: null, lastError: null });
});

it('a dedupe key enqueued twice produces one job and one run', async () => {
  let runs = 0;
  expect(await enqueue(db, { kind: 'test.ok', payload: {}, dedupeKey: 'post:1' })).toBe(true);
  expect(await enqueue(db, { kind: 'test.ok', payload: { other: true }, dedupeKey: 'post:1' })).toBe(false);

  await worker({ 'test.ok': async () => (runs++, done) }).drain();
  // Still a no-op once the first job has finished.
  expect(await enqueue(db, { kind: 'test.ok', payload: {}, dedupeKey: 'post:1' })).toBe(false);

  expect(runs).toBe(1);
  expect(await onlyJob()).toMatchObject({ status: 'done', payload: {} });
});

it('a statement that queues jobs with insertJobsFrom inserts each new dedupe key once and returns the keys it inserted', async () => {
  const queue = async (from: number, to: number) =>
    rowsOf<{ dedupe_key: string }>(
      await db.execute(sql`
        with queued as (${insertJobsFrom(sql`
          select 'test.ok', jsonb_build_object('n', n), 'batch:' || n, now() + n * interval '1 hour'
          from generate_series(${from}::int, ${to}::int) n`)})
        select dedupe_key from queued order by dedupe_key`),
    ).map((r) => r.dedupe_key);

  expect(await queue(1, 2)).toEqual(['batch:1', 'batch:2']);
  expect(await queue(2, 3)).toEqual(['batch:3']);

  const rows = await allJobs();
  expect(rows.map((j) => [j.kind, j.dedupeKey, j.payload, j.status, j.attempts])).toEqual([
    ['test.ok', 'batch:1', { n: 1 }, 'queued', 0],
    ['test.ok', 'batch:2', { n: 2 }, 'queued', 0],
    ['test.ok', 'batch:3', { n: 3 }, 'queued', 0],
  ]);
  // run_at is the source's fourth column.
  expect(rows.map((j) => Math.round((j.runAt.getTime() - j.createdAt.getTime()) / 3_600_000))).toEqual([1, 2, 3]);
});

it('a job enqueued in a transaction exists only if the transaction commits', async () => {
  await expect(
    db.transaction(async (tx) => {
      await enqueue(tx, { kind: 'test.ok', payload: {}, dedupeKey: 'rolled-back' });
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
  expect(await allJobs()).toEqual([]);

  await db.transaction(async (tx) => {
    expect(await enqueue(tx, { kind: 'test.ok', payload: {}, dedupeKey: 'rolled-back' })).toBe(true);
  });
  expect(await onlyJob()).toMatchObject({ status: 'queued', dedupeKey: 'rolled-back' });
});

it('a retry outcome reschedules the job with backoff and counts the attempt', async () => {
  await enqueue(db, { kind: 'test.flaky', payload: {} });
  const w = worker({ 'test.flaky': async () => ({ status: 'retry', error: 'upstream 503' }) });

  await w.drain();
  const first = await onlyJob();
  expect(first).toMatchObject({ status: 'queued', attempts: 1, lastError: 'upstream 503', lockedUntil: null });
  // Base 1 s with equal jitter: the first retry waits at least 0.5 s.
  expect(scheduledDelayMs(first)).toBeGreaterThanOrEqual(500);

  await makeAllDue();
  await w.drain();
  const second = await onlyJob();
  expect(second).toMatchObject({ status: 'queued', attempts: 2 });
  expect(scheduledDelayMs(second)).toBeGreaterThanOrEqual(1_000);
});

it('retryAfterMs is honoured as the minimum delay and does not use up an attempt', async () => {
  await enqueue(db, { kind: 'slack.post', payload: {}, maxAttempts: 1 });
  const w = worker({ 'slack.post': async () => ({ status: 'retry', error: 'ratelimited', retryAfterMs: 30_000 }) });

  for (let i = 0; i < 3; i++) {
    await w.drain();
    await makeAllDue();
  }

  const job = await onlyJob();
  // maxAttempts is 1, yet three rate-limited runs left it queued.
  expect(job).toMatchObject({ status: 'queued', attempts: 0, lastError: 'ratelimited' });
  await w.drain();
  expect(scheduledDelayMs(await onlyJob())).toBeGreaterThanOrEqual(30_000);
});

it('a rate-limited retry counts once the job is older than the grace period', async () => {
  await enqueue(db, { kind: 'slack.post', payload: {}, maxAttempts: 2 });
  await db.update(jobs).set({ createdAt: sql`now() - interval '2 hours'` });
  const w = worker({ 'slack.post': async () => ({ status: 'retry', error: 'ratelimited', retryAfterMs: 1_000 }) });

  await w.drain();
  expect(await onlyJob()).toMatchObject({ status: 'queued', attempts: 1 });
  await makeAllDue();
  await w.drain();
  expect(await onlyJob()).toMatchObject({ status: 'dead', attempts: 2, lastError: 'ratelimited' });
});

it('after maxAttempts the job is dead, logged, and listed by deadJobs', async () => {
  let runs = 0;
  await enqueue(db, { kind: 'test.failing', payload: {}, maxAttempts: 3 });
  const logger = spyLogger();
  const w = worker({ 'test.failing': async () => (runs++, { status: 'retry', error: `failure ${runs}` }) }, { logger });

  for (let i = 0; i < 5; i++) {
    await w.drain();
    await makeAllDue();
  }

  expect(runs).toBe(3);
  const job = await onlyJob();
  expect(job).toMatchObject({ status: 'dead', attempts: 3, lastError: 'failure 3' });
  expect(logger.error).toHaveBeenCalledWith('job dead', expect.objectContaining({ id: job.id, kind: 'test.failing', error: 'failure 3' }));
  expect((await deadJobs(db)).map((j) => j.id)).toEqual([job.id]);
  expect(await jobCounts(db)).toEqual({ queued: 0, running: 0, done: 0, dead: 1 });
});

it('a dead outcome ends the job at once, and an unknown kind is dead with a clear error', async () => {
  await enqueue(db, { kind: 'test.refused', payload: {} });
  await enqueue(db, { kind: 'test.nobody-handles-this', payload: {} });

  await worker({ 'test.refused': async () => ({ status: 'dead', error: 'platform refused: 422' }) }).drain();

  const [refused, unknown] = await allJobs();
  expect(refused).toMatchObject({ status: 'dead', attempts: 1, lastError: 'platform refused: 422' });
  expect(unknown).toMatchObject({ status: 'dead', attempts: 1, lastError: 'no handler for job kind "test.nobody-handles-this"' });
});

it('a thrown handler error counts as a retry, with the message stored in last_error', async () => {
  await enqueue(db, { kind: 'test.throws', payload: {} });

  await worker({
    'test.throws': async () => {
      throw new Error('socket hang up');
    },
  }).drain();

  const job = await onlyJob();
  expect(job).toMatchObject({ status: 'queued', attempts: 1, lastError: 'socket hang up' });
  expect(scheduledDelayMs(job)).toBeGreaterThanOrEqual(500);
});

it("a job whose lease expired is run by another worker, and the first worker's late result is discarded", async () => {
  await enqueue(db, { kind: 'test.lease', payload: {} });
  // Worker A claims the job and then "dies": it never reports a result in time.
  const [claimedByA] = await claimJobs(db, { workerId: 'A', limit: 1, leaseMs: 60_000 });
  expect(claimedByA).toMatchObject({ status: 'running', attempts: 1, lockedBy: 'A' });

  const runsByB: number[] = [];
  const b = worker({ 'test.lease': async (job) => (runsByB.push(job.id), done) }, { workerId: 'B' });
  await b.drain();
  expect(runsByB).toEqual([]); // A's lease still holds

  await db.update(jobs).set({ lockedUntil: sql`now() - interval '1 second'` });
  await b.drain();
  expect(runsByB).toEqual([claimedByA!.id]);
  expect(await onlyJob()).toMatchObject({ status: 'done', attempts: 2, lockedBy: 'B', lastError: null });

  // A wakes up and reports: neither a failure nor a success overwrites B's run.
  expect(await settleJob(db, claimedByA!, { status: 'dead', error: 'late failure from A' })).toBeNull();
  expect(await settleJob(db, claimedByA!, { status: 'retry', error: 'late retry from A' })).toBeNull();
  expect(await onlyJob()).toMatchObject({ status: 'done', attempts: 2, lockedBy: 'B', lastError: null });
});

it('a claim takes at most its limit: expired leases first, then due jobs oldest first, never parked ones', async () => {
  for (let i = 0; i < 4; i++) await enqueue(db, { kind: 'test.order', payload: { i } });
  await enqueue(db, { kind: 'test.order', payload: { parked: true }, runAt: new Date(Date.now() + 3_600_000) });
  await enqueue(db, { kind: 'test.other', payload: {} });
  const [first, second] = await allJobs();
  // Two jobs were claimed by a worker that died: their leases have expired.
  await db.update(jobs).set({ status: 'running', lockedBy: 'gone', lockedUntil: sql`now() - interval '1 second'` }).where(sql`${jobs.id} in (${first!.id}, ${second!.id})`);

  const claimed = await claimJobs(db, { workerId: 'W', limit: 3, kinds: ['test.order'] });
  expect(claimed).toHaveLength(3);
  expect(claimed.map((j) => j.id).sort((a, b) => a - b)).toEqual([first!.id, second!.id, first!.id + 2]);
  expect(claimed.every((j) => j.lockedBy === 'W' && j.status === 'running')).toBe(true);

  const rest = await claimJobs(db, { workerId: 'W', limit: 10, kinds: ['test.order'] });
  expect(rest.map((j) => j.payload)).toEqual([{ i: 3 }]);
  expect(await claimJobs(db, { workerId: 'W', limit: 10, excludeKinds: ['test.order'] })).toHaveLength(1);
});

it('two workers on one database racing over 200 jobs run each exactly once', async () => {
  // On PostgreSQL the second worker gets its own pool, so the claims really race; PGlite has one connection.
  const second = tdb.url ? await openDatabase(tdb.url) : undefined;
  try {
    await db.transaction(async (tx) => {
      for (let i = 0; i < 200; i++) await enqueue(tx, { kind: 'test.race', payload: { i } });
    });
    const runs = new Map<number, number>();
    const handler: JobHandler = async (job) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      await new Promise((resolve) => setImmediate(resolve));
      return done;
    };
    const a = worker({ 'test.race': handler }, { workerId: 'A', concurrency: 8 });
    const b = worker({ 'test.race': handler }, { workerId: 'B', concurrency: 8, db: second?.db ?? db });

    await Promise.all([a.drain(), b.drain()]);

    expect(runs.size).toBe(200);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(await jobCounts(db)).toEqual({ queued: 0, running: 0, done: 200, dead: 0 });
    const rows = await allJobs();
    expect(rows.every((j) => j.attempts === 1)).toBe(true);
    // Both took part, so this was a race and not one worker doing everything.
    expect(new Set(rows.map((j) => j.lockedBy))).toEqual(new Set(['A', 'B']));
  } finally {
    await Promise.all(started.splice(0).map((w) => w.stop()));
    await second?.close();
  }
});

it('a rate-limited job does not delay another ready job of a different kind', async () => {
  const order: string[] = [];
  await enqueue(db, { kind: 'slack.post', payload: {} });
  await enqueue(db, { kind: 'platform.report', payload: {} });
  const w = worker(
    {
      'slack.post': async () => (order.push('post'), { status: 'retry', error: 'ratelimited', retryAfterMs: 60_000 }),
      'platform.report': async () => (order.push('report'), done),
    },
    // One slot: the report can only run if the throttled post gives it up.
    { concurrency: 1 },
  );

  await w.drain();

  expect(order).toEqual(['post', 'report']);
  const [post, report] = await allJobs();
  expect(report).toMatchObject({ status: 'done' });
  expect(post).toMatchObject({ status: 'queued', lastError: 'ratelimited' });
  expect(scheduledDelayMs(post!)).toBeGreaterThanOrEqual(60_000);
});

it('a slow kind in its own lane does not take the slots of other kinds', async () => {
  const release = deferred();
  const reportRan = deferred();
  let slowStarted = 0;
  await enqueue(db, { kind: 'slack.post', payload: {} });
  await enqueue(db, { kind: 'slack.post', payload: {} });
  await enqueue(db, { kind: 'platform.report', payload: {} });
  const w = worker(
    {
      'slack.post': async () => {
        slowStarted++;
        await release.promise;
        return done;
      },
      'platform.report': async () => (reportRan.resolve(), done),
    },
    { concurrency: 1, lanes: [{ kinds: ['slack.post'], concurrency: 1 }] },
  );

  w.start();
  await reportRan.promise;
  expect(slowStarted).toBe(1);

  release.resolve();
  // The second slow job is claimed when the first frees its lane slot, which can be just after drain() looks.
  await expect.poll(async () => {
    await w.drain();
    return slowStarted;
  }).toBe(2);
  await expect.poll(async () => (await jobCounts(db)).done).toBe(3);
});

it('stop() waits for a running handler to finish', async () => {
  const handlerStarted = deferred();
  const release = deferred();
  await enqueue(db, { kind: 'test.slow', payload: {} });
  const w = worker({
    'test.slow': async () => {
      handlerStarted.resolve();
      await release.promise;
      return done;
    },
  });

  w.start();
  await handlerStarted.promise;
  let stopped = false;
  const stopping = w.stop().then(() => {
    stopped = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(stopped).toBe(false);
  expect(await onlyJob()).toMatchObject({ status: 'running' });

  release.resolve();
  await stopping;
  expect(await onlyJob()).toMatchObject({ status: 'done' });
});
