import { approvalJobHandlers } from './approvals/delivery.ts';
import { expireOverdue } from './approvals/expiry.ts';
import { ApprovalJob } from './approvals/job-kinds.ts';
import type { Database } from './db/client.ts';
import { announceIdentityHandler, movedNoteHandler } from './identities/announcement.ts';
import { channelJobHandlers } from './identities/channel-jobs.ts';
import { createIdentityRefresher } from './identities/platform-sync.ts';
import { ANNOUNCE_JOB, MOVED_JOB } from './identities/store.ts';
import { createWorker } from './jobs/worker.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics/ports.ts';
import type { IdentitiesApi } from './platform/identities-api.ts';
import { slackApprovalMessages } from './slack/outbound/approval-messages.ts';
import { backgroundCalls } from './slack/outbound/background-client.ts';
import { createChannelPacer, type ChannelPacer } from './slack/outbound/channel-pacer.ts';
import { pruneOnce, type RetentionWindows } from './retention.ts';
import { slackDirectMessages } from './slack/outbound/direct-messages.ts';
import { slackIdentityNotes } from './slack/outbound/identity-notes.ts';
import type { Tenancy } from './tenancy.ts';

/**
 * Slack allows about one message per second per channel. The 3% over a second absorbs
 * jitter between our send and Slack's arrival, so two posts do not arrive under a second
 * apart (measured with npm run bench: at 1015 ms 130 of 1,000 burst posts were answered
 * 429; at 1030 ms, 3).
 */
const CHANNEL_POST_INTERVAL_MS = 1030;

/** Pruning runs hourly; the first run waits a few minutes, so a restart does not start with it. */
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const RETENTION_FIRST_RUN_MS = 3 * 60 * 1000;

export interface BackgroundOptions {
  pollIntervalMs?: number;
  expiryIntervalMs?: number;
  workerId?: string;
  channelIntervalMs?: number;
  leaseMs: number;
  retention: RetentionWindows;
  retentionIntervalMs?: number;
  retentionFirstRunMs?: number;
}

export interface Background {
  /** Per-channel send slots, shared by intake (which reserves them) and the posts. */
  pacer: ChannelPacer;
  /** Pokes the worker after enqueueing work, so it runs without waiting for the next poll. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
  /** Resolves when no job is due or running (tests and benchmarks). */
  drain(): Promise<void>;
}

/**
 * Durable background work: approval messages and their updates, decisions reported to the
 * platform, announcements and moved notes, channel changes (names sent to the platform, people told), expiry.
 */
export function createBackground(deps: { db: Database; api: IdentitiesApi; tenancy: Tenancy; slackApiUrl: string; logger: Logger; metrics: Metrics; options: BackgroundOptions }): Background {
  const { db, tenancy, logger, metrics, options } = deps;
  const pacer = createChannelPacer(options.channelIntervalMs ?? CHANNEL_POST_INTERVAL_MS);
  const call = backgroundCalls({ apiUrl: deps.slackApiUrl, botTokenForTeam: tenancy.botTokenForTeam, logger, onRateLimited: metrics.slackRateLimited });
  const notes = slackIdentityNotes({ call, pacer });
  const wake = () => worker.wake();
  const worker = createWorker({
    db,
    logger: logger.child('jobs'),
    handlers: {
      ...approvalJobHandlers({
        db,
        slots: pacer,
        messages: slackApprovalMessages({ call, pacer }),
        api: deps.api,
        catalog: tenancy.catalog,
        tokenForTeam: tenancy.tokenForTeam,
        refreshIdentity: createIdentityRefresher({ db, api: deps.api, tokenForTeam: tenancy.tokenForTeam, logger: logger.child('identities') }),
        logger: logger.child('approvals'),
        metrics,
        wake,
      }),
      [ANNOUNCE_JOB]: announceIdentityHandler({ db, notes, slots: pacer }),
      [MOVED_JOB]: movedNoteHandler({ notes, slots: pacer }),
      ...channelJobHandlers({ db, api: deps.api, tokenForTeam: tenancy.tokenForTeam, messages: slackDirectMessages({ call }), logger: logger.child('channels') }),
    },
    // Posts spend most of their time waiting for their channel's turn; they get their own
    // slots, so decisions and updates never queue behind them.
    lanes: [{ kinds: [ApprovalJob.post, ANNOUNCE_JOB, MOVED_JOB], concurrency: 64 }],
    concurrency: 8,
    leaseMs: options.leaseMs,
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.workerId ? { workerId: options.workerId } : {}),
  });

  /** Expired approvals with no event from the platform still lose their buttons. */
  let sweep: NodeJS.Timeout | undefined;
  const sweepOnce = () =>
    expireOverdue(db)
      .then((ids) => {
        if (ids.length > 0) worker.wake();
      })
      .catch((e: unknown) => logger.warn('expiry sweep failed', e));

  /** Old finished jobs, stored events and audit entries go; one instance at a time prunes. */
  let prune: NodeJS.Timeout | undefined;
  let pruning: Promise<void> = Promise.resolve();
  const pruneLater = (delayMs: number) => {
    prune = setTimeout(() => {
      pruning = pruneOnce(db, options.retention)
        .then((r) => {
          if (r.jobs + r.events + r.audit > 0) logger.info(`retention: deleted ${r.jobs} finished jobs, ${r.events} stored events, ${r.audit} audit entries`);
        })
        .catch((e: unknown) => logger.warn('retention run failed', e))
        .finally(() => {
          if (prune !== undefined) pruneLater(options.retentionIntervalMs ?? RETENTION_INTERVAL_MS);
        });
    }, delayMs);
    prune.unref();
  };

  return {
    pacer,
    wake,
    start() {
      worker.start();
      sweep = setInterval(sweepOnce, options.expiryIntervalMs ?? 5000);
      sweep.unref();
      pruneLater(options.retentionFirstRunMs ?? RETENTION_FIRST_RUN_MS);
    },
    async stop() {
      clearInterval(sweep);
      clearTimeout(prune);
      prune = undefined;
      await Promise.all([worker.stop(), pruning]);
    },
    drain: () => worker.drain(),
  };
}
