import { WebClient } from '@slack/web-api';
import type { SendResult } from '../../channels/ports.ts';
import type { Logger } from '../../logger.ts';
import { watchRateLimits } from '../rate-limits.ts';
import { describeSlackError } from '../slack-errors.ts';
import { sendFailureOf } from './send-failure.ts';

/** Runs one Web API call for a team; its failure comes back classified, never thrown. */
export type BackgroundCall = <T>(teamId: string, fn: (client: WebClient) => Promise<T>) => Promise<SendResult<T>>;

/**
 * Background Slack calls use their own clients: a 429 here must never pause the queue of
 * the client that opens modals. No in-client retries: the job queue retries durably and
 * honours Retry-After.
 */
export function backgroundCalls(deps: {
  apiUrl: string;
  botTokenForTeam: (teamId: string) => Promise<string | undefined>;
  logger: Logger;
  onRateLimited: (method: string) => void;
}): BackgroundCall {
  const clients = new Map<string, WebClient>();
  async function clientFor(teamId: string): Promise<WebClient | undefined> {
    const token = await deps.botTokenForTeam(teamId);
    if (!token) return undefined;
    let client = clients.get(token);
    if (!client) {
      client = new WebClient(token, {
        slackApiUrl: deps.apiUrl,
        rejectRateLimitedCalls: true,
        retryConfig: { retries: 0 },
        timeout: 10_000,
        logger: deps.logger.child('slack-background'),
      });
      watchRateLimits(client, deps.onRateLimited);
      clients.set(token, client);
    }
    return client;
  }

  return async (teamId, fn) => {
    const client = await clientFor(teamId);
    if (!client) return { ok: false, kind: 'permanent', detail: 'no_bot_token' };
    try {
      return { ok: true, value: await fn(client) };
    } catch (e) {
      return { ok: false, ...sendFailureOf(describeSlackError(e)) };
    }
  };
}
