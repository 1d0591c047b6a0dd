import { createIdentityResolver } from './approvals/identity-resolver.ts';
import { createIntakeStore, receiveApprovalEvent } from './approvals/intake.ts';
import { createBackground } from './background.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/client.ts';
import { createIdentityCache } from './identities/identity-cache.ts';
import { approvalWebhookRoute } from './http/approval-webhook.ts';
import { metricsRoute } from './http/metrics-route.ts';
import { healthRoute } from './http/routes.ts';
import { listen } from './http/server.ts';
import type { Logger } from './logger.ts';
import { cachedReading } from './metrics/cached-reading.ts';
import { registerQueueGauges, type PrometheusMetrics } from './metrics/prometheus.ts';
import { countQueue } from './metrics/queue-counts.ts';
import type { IdentitiesApi } from './platform/identities-api.ts';
import { createBoltApp } from './slack/bolt-app.ts';
import { registerListeners } from './slack/listeners/index.ts';
import { createTenancy } from './tenancy.ts';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  api: IdentitiesApi;
  logger: Logger;
  /** This instance's metrics (the platform client, built before the app, reports its calls to them too). */
  metrics: PrometheusMetrics;
  /** Overrides for tests and benchmarks. */
  tuning?: {
    ackBudgetMs?: number;
    host?: string;
    pollIntervalMs?: number;
    expiryIntervalMs?: number;
    workerId?: string;
    channelIntervalMs?: number;
    queueCountsMaxAgeMs?: number;
    retentionIntervalMs?: number;
    retentionFirstRunMs?: number;
    identityCacheMs?: number;
  };
}

export interface RunningApp {
  port: number;
  stop(): Promise<void>;
}

/**
 * Slack allows 3 s to answer; Bolt's HTTP receiver gives up at 3.001 s. A handler works
 * this long at most before it answers, leaving the rest for the network.
 */
const DEFAULT_ACK_BUDGET_MS = 2300;

/**
 * The gauges' counts are read at most this often, however many scrapes come (several
 * Prometheus servers, each scraping every 15–60 s), and a scrape waits at most
 * QUEUE_COUNTS_TIMEOUT_MS for them.
 */
const QUEUE_COUNTS_MAX_AGE_MS = 5000;
const QUEUE_COUNTS_TIMEOUT_MS = 2000;

/** The composition root: builds every part from its dependencies; nothing here reads the environment. */
export function buildApp(deps: AppDeps) {
  const { config, logger, api, metrics, tuning } = deps;
  const db = deps.database.db;
  const tenancy = createTenancy({ config, db, api });
  const background = createBackground({ db, api, tenancy, slackApiUrl: config.slack.apiUrl, logger, metrics, options: { ...tuning, leaseMs: config.jobLeaseMs, retention: config.retention } });
  // Shared by intake and the edit form, so an edit through this instance is seen by the next event at once.
  const identityCache = createIdentityCache(tuning?.identityCacheMs !== undefined ? { maxAgeMs: tuning.identityCacheMs } : {});
  const resolveIdentity = createIdentityResolver({
    db,
    api,
    logger,
    cache: identityCache,
    linkedTokens: tenancy.linkedTokens,
    defaultToken: tenancy.defaultToken,
    servesTeam: tenancy.servesTeam,
    teamLinkedTo: tenancy.teamLinkedTo,
  });
  const intake = { store: createIntakeStore(db, logger.child('intake')), slots: background.pacer, resolveIdentity, logger, wake: background.wake };
  const bolt = createBoltApp({ config, tenancy, logger, onRateLimited: metrics.slackRateLimited });
  const workspace = { db, api, cipher: tenancy.cipher, logger, defaultToken: tenancy.defaultToken, forgetLink: tenancy.links.forget };
  registerListeners(bolt.app, { db, api, catalog: tenancy.catalog, tokenForTeam: tenancy.tokenForTeam, links: tenancy.links, logger, ackBudgetMs: tuning?.ackBudgetMs ?? DEFAULT_ACK_BUDGET_MS, workspace, wake: background.wake, identityCache, tenancy, metrics });
  const metricsLogger = logger.child('metrics');
  registerQueueGauges(
    metrics.registry,
    cachedReading(() => countQueue(db), {
      maxAgeMs: tuning?.queueCountsMaxAgeMs ?? QUEUE_COUNTS_MAX_AGE_MS,
      timeoutMs: QUEUE_COUNTS_TIMEOUT_MS,
      onError: (e) => metricsLogger.warn('could not count the queue for the gauges', e),
    }),
  );
  const routes = [
    healthRoute(deps.database.ping),
    approvalWebhookRoute({ secret: config.approvalWebhookSecret, logger: logger.child('webhook'), receive: (event) => receiveApprovalEvent(intake, event), onEvent: metrics.eventReceived }),
    metricsRoute(metrics.registry),
  ];

  async function start(port: number): Promise<RunningApp> {
    const server = await listen({ routes, bolt: bolt.httpReceiver, logger, port, host: tuning?.host, onSlackAck: metrics.slackAcked });
    await bolt.start();
    // Background work starts once the app is reachable, so an instance that fails to start leases no jobs.
    background.start();
    return {
      port: server.port,
      stop: async () => {
        await bolt.stop();
        // Claiming stops at once: the requests and jobs in flight finish side by side.
        await Promise.all([server.close(), background.stop()]);
      },
    };
  }

  return { app: bolt.app, start, drain: background.drain };
}
