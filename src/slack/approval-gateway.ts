import type { types as slack } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import { describeSlackError, type SlackFailure } from './slack-errors.ts';
import { postMessage, updateMessage } from './web-api-calls.ts';

/** Marks our approval messages, so a retry after a crash can find one it already posted. */
export const APPROVAL_EVENT_TYPE = 'email_approval';

export type SlackResult<T> = { ok: true; value: T } | { ok: false; failure: SlackFailure };

/** What the approval jobs need from Slack, adapted from a WebClient here and only here. */
export interface ApprovalGateway {
  post(
    teamId: string,
    message: { channel: string; threadTs: string | null; text: string; blocks: slack.KnownBlock[]; approvalId: string },
  ): Promise<SlackResult<{ ts: string }>>;
  /** A plain bot message (no approval metadata). */
  postNote(teamId: string, message: { channel: string; text: string; blocks: slack.KnownBlock[] }): Promise<SlackResult<void>>;
  update(teamId: string, message: { channel: string; ts: string; text: string; blocks: slack.KnownBlock[] }): Promise<SlackResult<void>>;
  /** Our message for this approval posted since `sinceSeconds`, if Slack has one. */
  findPosted(teamId: string, where: { channel: string; threadTs: string | null; sinceSeconds: number; approvalId: string }): Promise<SlackResult<string | null>>;
}

const postedMessage = z.object({ ts: z.string() });

const historyPage = z.object({
  messages: z
    .array(z.object({ ts: z.string(), metadata: z.object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()).optional() }).optional() }))
    .default([]),
});

/**
 * Background Slack calls use their own clients: a 429 here must never pause the
 * queue of the client that opens modals. No in-client retries: our job queue retries
 * durably and honours Retry-After.
 */
export function createApprovalGateway(deps: { apiUrl: string; botTokenForTeam: (teamId: string) => Promise<string | undefined>; logger: Logger }): ApprovalGateway {
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
      clients.set(token, client);
    }
    return client;
  }

  async function call<T>(teamId: string, fn: (client: WebClient) => Promise<T>): Promise<SlackResult<T>> {
    const client = await clientFor(teamId);
    if (!client) return { ok: false, failure: { error: 'no_bot_token', retryable: false } };
    try {
      return { ok: true, value: await fn(client) };
    } catch (e) {
      return { ok: false, failure: describeSlackError(e) };
    }
  }

  return {
    post: (teamId, m) =>
      call(teamId, async (client) => {
        const result = await postMessage(client, {
          channel: m.channel,
          text: m.text,
          blocks: m.blocks,
          ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
          metadata: { event_type: APPROVAL_EVENT_TYPE, event_payload: { approval_id: m.approvalId } },
          unfurl_links: false,
          unfurl_media: false,
        });
        return { ts: postedMessage.parse(result).ts };
      }),
    postNote: (teamId, m) =>
      call(teamId, async (client) => {
        await postMessage(client, { channel: m.channel, text: m.text, blocks: m.blocks, unfurl_links: false, unfurl_media: false });
      }),
    update: (teamId, m) =>
      call(teamId, async (client) => {
        await updateMessage(client, { channel: m.channel, ts: m.ts, text: m.text, blocks: m.blocks });
      }),
    findPosted: (teamId, where) =>
      call(teamId, async (client) => {
        // A post lands within seconds of its attempt: a narrow window keeps a busy channel's page small.
        const oldest = String(Math.max(0, where.sinceSeconds - 5));
        const latest = String(where.sinceSeconds + 120);
        const window = { channel: where.channel, oldest, latest, inclusive: true, include_all_metadata: true, limit: 999 };
        const page = historyPage.parse(
          where.threadTs ? await client.conversations.replies({ ...window, ts: where.threadTs }) : await client.conversations.history(window),
        );
        const mine = page.messages.find((m) => m.metadata?.event_type === APPROVAL_EVENT_TYPE && m.metadata.event_payload?.approval_id === where.approvalId);
        return mine?.ts ?? null;
      }),
  };
}
