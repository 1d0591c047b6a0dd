import type { types as slack } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { describeSlackError } from './slack-errors.ts';

export type ChannelReadiness =
  | { ok: true; channelName: string | null }
  | { ok: false; reason: 'not_visible' | 'private_not_member' | 'archived' | 'slack_error'; detail?: string };

export interface SlackMessage {
  text: string;
  blocks?: slack.KnownBlock[];
}

/** The narrow view of Slack that use cases see; adapted from a WebClient once, here. */
export interface ChannelGateway {
  /** Makes sure the bot can post in the channel, joining it when it is public. */
  prepareChannel(channelId: string): Promise<ChannelReadiness>;
}

const channelInfo = z.object({
  channel: z.object({
    id: z.string(),
    name: z.string().optional(),
    is_private: z.boolean().optional(),
    is_member: z.boolean().optional(),
    is_archived: z.boolean().optional(),
  }),
});

export function slackChannelGateway(client: WebClient): ChannelGateway {
  return {
    async prepareChannel(channelId) {
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
