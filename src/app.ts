import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, ErrorCode, HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/client.ts';
import { closeServer } from './http/close-server.ts';
import { healthRoute, routeHandler, sendJson, type Route } from './http/routes.ts';
import { createCatalog } from './identities/catalog.ts';
import { announceIdentityHandler } from './identities/announcement.ts';
import { ANNOUNCE_JOB } from './identities/store.ts';
import type { Logger } from './logger.ts';
import type { IdentitiesApi } from './platform/identities-api.ts';
import { registerIdentityCommand } from './slack/commands/identity-command.ts';
import { registerCreateIdentityOptions } from './slack/create-identity/options.ts';
import { registerCreateIdentitySubmission } from './slack/create-identity/submit.ts';
import type { SlackDeps } from './slack/deps.ts';
import { createTokenCipher } from './crypto/token-cipher.ts';
import { createInstallationStore } from './workspaces/installation-store.ts';
import { createLinkCache, findLink, linkedTokensFor, tokenForTeamFromLinks } from './workspaces/links.ts';
import { registerWorkspaceListeners, type WorkspaceDeps } from './slack/workspace/connect.ts';
import { registerInstallEvents } from './slack/workspace/install-events.ts';
import { approvalJobHandlers } from './approvals/delivery.ts';
import { ApprovalJob } from './approvals/job-kinds.ts';
import { createChannelPacer } from './approvals/channel-pacer.ts';
import { expireOverdue } from './approvals/expiry.ts';
import { createIdentityResolver } from './approvals/identity-resolver.ts';
import { createIntakeStore, receiveApprovalEvent } from './approvals/intake.ts';
import { approvalWebhookRoute } from './approvals/webhook-route.ts';
import { createWorker } from './jobs/queue.ts';
import { createApprovalGateway } from './slack/approval-gateway.ts';
import { registerApprovalListeners } from './slack/approvals/listeners.ts';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  api: IdentitiesApi;
  logger: Logger;
  /** Overrides for tests and benchmarks. */
  tuning?: { ackBudgetMs?: number; host?: string; pollIntervalMs?: number; expiryIntervalMs?: number; workerId?: string; channelIntervalMs?: number };
}

export interface RunningApp {
  port: number;
  stop(): Promise<void>;
}

const DEFAULT_ACK_BUDGET_MS = 2300;
/**
 * Slack allows about one message per second per channel. The 3% over a second absorbs
 * jitter between our send and Slack's arrival, so two posts do not arrive under a second
 * apart (measured with npm run bench: at 1015 ms 130 of 1,000 burst posts were answered
 * 429; at 1030 ms, 3).
 */
const CHANNEL_POST_INTERVAL_MS = 1030;
/** What the OAuth install asks for; the same list as the manifests (a test keeps them equal). */
export const BOT_SCOPES = ['channels:history', 'channels:join', 'channels:read', 'chat:write', 'commands', 'groups:history', 'groups:read', 'users:read'];

/** Builds the whole app from its dependencies; nothing here reads the environment. */
export function buildApp(deps: AppDeps) {
  const { config, logger } = deps;
  const db = deps.database.db;
  const cipher = createTokenCipher(config.tokenEncryptionKeys);
  const defaultToken = config.identitiesApi.defaultToken;
  const readLink = (teamId: string) => findLink(db, teamId);
  const links = createLinkCache({ read: readLink });
  const tokenForTeam = tokenForTeamFromLinks({ find: readLink, cipher, defaultToken });
  // OAuth: one bot token per installed team, from our store. Otherwise the one SLACK_BOT_TOKEN.
  const installations = config.slack.oauth ? createInstallationStore({ db, cipher }) : undefined;
  const botTokenForTeam = installations ? installations.botTokenForTeam : async (_teamId: string) => config.slack.botToken;
  // The menus ask on every keystroke; a token changed elsewhere is seen within seconds.
  const catalog = createCatalog({ api: deps.api, tokenForTeam: tokenForTeamFromLinks({ find: links.find, cipher, defaultToken }) });
  // Learned on first need, never at start (the app makes no network call when it boots).
  let singleTeam: Promise<string> | undefined;
  const singleTeamId = (): Promise<string> => {
    singleTeam ??= new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 0 }, timeout: 5000 })
      .auth.test()
      .then((r) => {
        if (!r.team_id) throw new Error('auth.test returned no team_id');
        return r.team_id;
      });
    singleTeam.catch(() => (singleTeam = undefined));
    return singleTeam;
  };
  // Declared before the worker it pokes, which is built below.
  function wake() {
    worker.wake();
  }
  const workspace: WorkspaceDeps = { db, api: deps.api, cipher, logger, defaultToken, forgetLink: links.forget };
  const slackDeps: SlackDeps = {
    db,
    api: deps.api,
    catalog,
    tokenForTeam,
    links,
    logger,
    ackBudgetMs: deps.tuning?.ackBudgetMs ?? DEFAULT_ACK_BUDGET_MS,
    workspace,
    wake,
  };

  // Background work: approval messages, their updates, and decisions reported to the platform.
  const backgroundSlack = createApprovalGateway({ apiUrl: config.slack.apiUrl, botTokenForTeam, logger });
  const pacer = createChannelPacer(deps.tuning?.channelIntervalMs ?? CHANNEL_POST_INTERVAL_MS);
  const worker = createWorker({
    db,
    logger: logger.child('jobs'),
    handlers: {
      ...approvalJobHandlers({ db, pacer, slack: backgroundSlack, api: deps.api, catalog, tokenForTeam, logger: logger.child('approvals') }),
      [ANNOUNCE_JOB]: announceIdentityHandler({ db, slack: backgroundSlack, pacer }),
    },
    // Posts spend most of their time waiting for their channel's turn; they get their own
    // slots, so decisions and updates never queue behind them.
    lanes: [{ kinds: [ApprovalJob.post, ANNOUNCE_JOB], concurrency: 64 }],
    concurrency: 8,
    leaseMs: config.jobLeaseMs,
    ...(deps.tuning?.pollIntervalMs ? { pollIntervalMs: deps.tuning.pollIntervalMs } : {}),
    ...(deps.tuning?.workerId ? { workerId: deps.tuning.workerId } : {}),
  });
  const resolveIdentity = createIdentityResolver({
    db,
    api: deps.api,
    logger,
    candidateTokens: async (workspaceId) => [...(await linkedTokensFor({ db, cipher }, workspaceId)), ...(defaultToken ? [defaultToken] : [])],
    // OAuth: the installed teams. Single workspace: the bot token's own team, asked of Slack once.
    servesTeam: async (teamId) => (installations ? (await installations.botTokenForTeam(teamId)) !== undefined : (await singleTeamId()) === teamId),
    tokenForTeam,
  });
  const intakeStore = createIntakeStore(db, logger.child('intake'));
  const routes: Route[] = [
    healthRoute(deps.database.ping),
    approvalWebhookRoute({
      secret: config.approvalWebhookSecret,
      logger: logger.child('webhook'),
      receive: (event) => receiveApprovalEvent({ store: intakeStore, pacer, resolveIdentity, logger, wake }, event),
    }),
  ];
  const socketMode = config.slack.appToken !== undefined;
  const boltLogger = logger.child('bolt');

  const receiver = socketMode
    ? new SocketModeReceiver({ appToken: config.slack.appToken!, logger: boltLogger, installerOptions: { clientOptions: { slackApiUrl: config.slack.apiUrl } } })
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret!,
        endpoints: '/slack/events',
        logger: boltLogger,
        ...(config.slack.oauth && installations
          ? {
              clientId: config.slack.oauth.clientId,
              clientSecret: config.slack.oauth.clientSecret,
              stateSecret: config.slack.oauth.stateSecret,
              scopes: BOT_SCOPES,
              installationStore: installations,
              installerOptions: {
                installPath: '/slack/install',
                redirectUriPath: '/slack/oauth_redirect',
                stateVerification: true,
                clientOptions: { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 0 }, timeout: 10_000 },
              },
            }
          : {}),
      });

  const botToken = config.slack.botToken;
  const app = new App({
    receiver,
    // We keep no conversation state; Bolt's default store would run on every request.
    convoStore: false,
    logger: boltLogger,
    logLevel: config.logLevel as LogLevel,
    // OAuth: Bolt authorizes from the installation store. Single workspace: an authorize
    // function (instead of `token`) keeps Bolt from calling auth.test at start.
    ...(installations ? {} : { authorize: async (source: { teamId?: string; enterpriseId?: string }) => ({ botToken, teamId: source.teamId, enterpriseId: source.enterpriseId }) }),
    clientOptions: {
      slackApiUrl: config.slack.apiUrl,
      // Interactive calls must not wait behind a rate-limit pause or retry for minutes.
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: 5000,
    },
  });

  registerIdentityCommand(app, slackDeps);
  registerCreateIdentityOptions(app, slackDeps);
  registerCreateIdentitySubmission(app, slackDeps);
  registerApprovalListeners(app, { db, logger, wake });
  registerWorkspaceListeners(app, workspace);
  if (installations) registerInstallEvents(app, { installations, logger });
  app.error(async (error) => {
    logger.error('unhandled error in a Slack listener', error);
  });

  /** Expired approvals with no event from the platform still lose their buttons. */
  function startExpirySweep(): () => void {
    const timer = setInterval(() => {
      expireOverdue(db)
        .then((ids) => {
          if (ids.length > 0) wake();
        })
        .catch((e: unknown) => logger.warn('expiry sweep failed', e));
    }, deps.tuning?.expiryIntervalMs ?? 5000);
    timer.unref();
    return () => clearInterval(timer);
  }

  async function start(port: number): Promise<RunningApp> {
    const host = deps.tuning?.host;
    const onRouteError = (e: unknown) => logger.error('route failed', e);
    // One server for our routes and Slack's: in HTTP mode Bolt's listener gets what is not
    // ours. (Bolt's own custom routes compile every route's pattern on every request.)
    const server = createServer(receiver instanceof HTTPReceiver ? routeHandler(routes, onRouteError, boltListener(receiver, onRouteError)) : routeHandler(routes, onRouteError));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Later server errors (e.g. EMFILE on accept) are logged; the server keeps serving.
    server.on('error', (e) => logger.error('HTTP server error', e));
    // Socket Mode: Slack traffic arrives over the socket. HTTP mode: Bolt is served by the listener above.
    if (!(receiver instanceof HTTPReceiver)) await app.start();
    // Background work starts once the app is reachable, so an instance that fails to start leases no jobs.
    worker.start();
    const stopSweep = startExpirySweep();
    const stopBackground = async () => {
      stopSweep();
      await worker.stop();
    };
    return {
      port: (server.address() as AddressInfo).port,
      stop: async () => {
        if (!(receiver instanceof HTTPReceiver)) await app.stop();
        // Claiming stops at once: the requests and jobs in flight finish side by side.
        await Promise.all([closeServer(server), stopBackground()]);
      },
    };
  }

  return { app, start, worker };
}

/** Bolt's request listener; false for a path it does not serve (it throws a "deferred" error for those). */
function boltListener(receiver: HTTPReceiver, onError: (e: unknown) => void): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    try {
      receiver.requestListener(req, res);
    } catch (e) {
      if ((e as { code?: unknown }).code === ErrorCode.HTTPReceiverDeferredRequestError) return false;
      onError(e);
      sendJson(res, 500, { error: 'internal error' });
    }
    return true;
  };
}
