import { approvalJobHandlers } from './approvals/delivery.ts';
import { expireOverdue } from './approvals/expiry.ts';
import { ApprovalJob } from './approvals/job-kinds.ts';
import type { Database } from './db/client.ts';
import { announceIdentityHandler } from './identities/announcement.ts';
import { channelJobHandlers } from './identities/channel-jobs.ts';
import { createIdentityRefresher } from './identities/platform-sync.ts';
import { ANNOUNCE_JOB } from './identities/store.ts';
import { createWorker } from './jobs/worker.ts';
import type { Logger } from './logger.ts';
import type { IdentitiesApi } from './platform/identities-api.ts';
import { slackApprovalMessages } from './slack/outbound/approval-messages.ts';
import { backgroundCalls } from './slack/outbound/background-client.ts';
import { createChannelPacer, type ChannelPacer } from './slack/outbound/channel-pacer.ts';
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

export interface BackgroundOptions {
  pollIntervalMs?: number;
  expiryIntervalMs?: number;
  workerId?: string;
  channelIntervalMs?: number;
  leaseMs: number;
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
 * platform, announcements, channel changes (names sent to the platform, people told), expiry.
 */
export function createBackground(deps: { db: Database; api: IdentitiesApi; tenancy: Tenancy; slackApiUrl: string; logger: Logger; options: BackgroundOptions }): Background {
  const { db, tenancy, logger, options } = deps;
  const pacer = createChannelPacer(options.channelIntervalMs ?? CHANNEL_POST_INTERVAL_MS);
  const call = backgroundCalls({ apiUrl: deps.slackApiUrl, botTokenForTeam: tenancy.botTokenForTeam, logger });
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
        wake,
      }),
      [ANNOUNCE_JOB]: announceIdentityHandler({ db, notes: slackIdentityNotes({ call, pacer }), slots: pacer }),
      ...channelJobHandlers({ db, api: deps.api, tokenForTeam: tenancy.tokenForTeam, messages: slackDirectMessages({ call }), logger: logger.child('channels') }),
    },
    // Posts spend most of their time waiting for their channel's turn; they get their own
    // slots, so decisions and updates never queue behind them.
    lanes: [{ kinds: [ApprovalJob.post, ANNOUNCE_JOB], concurrency: 64 }],
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

  return {
    pacer,
    wake,
    start() {
      worker.start();
      sweep = setInterval(sweepOnce, options.expiryIntervalMs ?? 5000);
      sweep.unref();
    },
    async stop() {
      clearInterval(sweep);
      await worker.stop();
    },
    drain: () => worker.drain(),
  };
}
