import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { ChannelAccess } from '../identities/ports.ts';
import { describeSlackError } from './slack-errors.ts';

const channelInfo = z.object({
  channel: z.object({
    id: z.string(),
    name: z.string().optional(),
    is_private: z.boolean().optional(),
    is_member: z.boolean().optional(),
    is_archived: z.boolean().optional(),
  }),
});

/** The channel as the bot sees it, through the client of the request that chose it. */
export function slackChannelAccess(client: WebClient): ChannelAccess {
  return {
    async prepare(channelId) {
      let info: z.output<typeof channelInfo>['channel'];
      try {
        info = channelInfo.parse(await client.conversations.info({ channel: channelId })).channel;
      } catch (e) {
        const failure = describeSlackError(e);
        // Slack answers channel_not_found for private channels the bot is not in.
        if (failure.error === 'channel_not_found') return { ok: false, reason: 'not_visible' };
        return { ok: false, reason: 'slack_error', detail: failure.error };
      }
      const name = info.name ?? null;
      if (info.is_archived) return { ok: false, reason: 'archived' };
      if (info.is_member) return { ok: true, channelName: name };
      if (info.is_private) return { ok: false, reason: 'private_not_member' };
      try {
        await client.conversations.join({ channel: channelId });
        return { ok: true, channelName: name };
      } catch (e) {
        return { ok: false, reason: 'slack_error', detail: describeSlackError(e).error };
      }
    },
  };
}
