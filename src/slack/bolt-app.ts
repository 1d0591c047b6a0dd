import { App, HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Tenancy } from '../tenancy.ts';
import { watchRateLimits } from './rate-limits.ts';

/** What the OAuth install asks for; the same list as the manifests (a test keeps them equal). */
export const BOT_SCOPES = ['channels:history', 'channels:join', 'channels:read', 'chat:write', 'commands', 'groups:history', 'groups:read', 'im:write', 'users:read'];

export interface BoltApp {
  app: App;
  /** HTTP mode: Bolt's receiver, served by our HTTP server. Socket Mode: undefined (Slack traffic comes over the socket). */
  httpReceiver: HTTPReceiver | undefined;
  /** Connects Socket Mode; nothing to do in HTTP mode. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Bolt's App and receiver: HTTP (signed requests, OAuth install pages) or Socket Mode. */
export function createBoltApp(deps: { config: Config; tenancy: Tenancy; logger: Logger; onRateLimited: (method: string) => void }): BoltApp {
  const { config, tenancy } = deps;
  const boltLogger = deps.logger.child('bolt');
  const installations = tenancy.installations;
  const receiver = config.slack.appToken
    ? new SocketModeReceiver({ appToken: config.slack.appToken, logger: boltLogger, installerOptions: { clientOptions: { slackApiUrl: config.slack.apiUrl } } })
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
  // Bolt keeps one Web API client per token and hands it to the listeners: each is watched once.
  const watched = new WeakSet<WebClient>();
  app.use(async ({ client, next }) => {
    if (!watched.has(client)) {
      watched.add(client);
      watchRateLimits(client, deps.onRateLimited);
    }
    await next();
  });
  app.error(async (error) => {
    deps.logger.error('unhandled error in a Slack listener', error);
  });
  const httpReceiver = receiver instanceof HTTPReceiver ? receiver : undefined;
  return {
    app,
    httpReceiver,
    start: async () => {
      if (!httpReceiver) await app.start();
    },
    stop: async () => {
      if (!httpReceiver) await app.stop();
    },
  };
}
