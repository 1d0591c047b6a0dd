import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { JOB_DEFAULTS, type Job, type JobHandler, type JobOutcome } from './job.ts';
import { prepareClaim, settleJob } from './store.ts';

/* The worker runtime: claims ready jobs into its slots, runs their handlers, records the outcomes. */

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

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function isOutcome(value: unknown): value is JobOutcome {
  if (!value || typeof value !== 'object') return false;
  const o = value as { status?: unknown; error?: unknown };
  return o.status === 'done' || ((o.status === 'retry' || o.status === 'dead') && typeof o.error === 'string');
}
