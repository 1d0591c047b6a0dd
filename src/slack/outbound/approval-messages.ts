import { z } from 'zod';
import type { ApprovalMessages } from '../../approvals/ports.ts';
import { approvalMessage } from '../blocks/approval-message.ts';
import { postMessage, updateMessage } from '../web-api-calls.ts';
import type { BackgroundCall } from './background-client.ts';
import type { ChannelPacer } from './channel-pacer.ts';

/** Marks our approval messages, so a retry after a crash can find one it already posted. */
export const APPROVAL_EVENT_TYPE = 'email_approval';

const postedMessage = z.object({ ts: z.string() });

const historyPage = z.object({
  messages: z
    .array(z.object({ ts: z.string(), metadata: z.object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()).optional() }).optional() }))
    .default([]),
});

/** Approval messages in Slack: rendered here, paced per channel, failures classified for the domain. */
export function slackApprovalMessages(deps: { call: BackgroundCall; pacer: ChannelPacer }): ApprovalMessages {
  const { call, pacer } = deps;
  return {
    async post(teamId, m) {
      const { text, blocks } = approvalMessage(m.view);
      const approvalId = m.view.approvalId;
      await pacer.turn(m.channelId, approvalId);
      const posted = await call(teamId, async (client) => {
        const result = await postMessage(client, {
          channel: m.channelId,
          text,
          blocks,
          ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
          metadata: { event_type: APPROVAL_EVENT_TYPE, event_payload: { approval_id: approvalId } },
          unfurl_links: false,
          unfurl_media: false,
        });
        return postedMessage.safeParse(result);
      });
      if (!posted.ok) {
        if (posted.kind === 'wait') pacer.pause(m.channelId, posted.retryAfterMs);
        return posted;
      }
      // Slack said ok but sent no ts: it posted something we cannot point at, so look for it before posting again.
      if (!posted.value.success) return { ok: false, kind: 'maybe_done', detail: 'chat.postMessage answered without a ts' };
      return { ok: true, value: { ts: posted.value.data.ts } };
    },
    update: (teamId, m) =>
      call(teamId, async (client) => {
        await updateMessage(client, { channel: m.channelId, ts: m.ts, ...approvalMessage(m.view) });
      }),
    async findPosted(teamId, where) {
      const found = await call(teamId, async (client) => {
        // A post lands within seconds of its attempt: a narrow window keeps a busy channel's page small.
        const oldest = String(Math.max(0, where.sinceSeconds - 5));
        const latest = String(where.sinceSeconds + 120);
        const window = { channel: where.channelId, oldest, latest, inclusive: true, include_all_metadata: true, limit: 999 };
        return historyPage.safeParse(where.threadTs ? await client.conversations.replies({ ...window, ts: where.threadTs }) : await client.conversations.history(window));
      });
      if (!found.ok) return found;
      if (!found.value.success) return { ok: false, kind: 'transient', detail: 'conversations.history answered in an unknown shape' };
      const mine = found.value.data.messages.find((m) => m.metadata?.event_type === APPROVAL_EVENT_TYPE && m.metadata.event_payload?.approval_id === where.approvalId);
      return { ok: true, value: mine?.ts ?? null };
    },
  };
}
