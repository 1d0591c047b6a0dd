import { z } from 'zod';
import type { DirectMessages } from '../../identities/ports.ts';
import { directMessage } from '../blocks/direct-message.ts';
import { postMessage } from '../web-api-calls.ts';
import type { BackgroundCall } from './background-client.ts';

const openedIm = z.object({ channel: z.object({ id: z.string().min(1) }) });

/** Direct messages in Slack: the app's IM with the person (conversations.open), then a post in it. */
export function slackDirectMessages(deps: { call: BackgroundCall }): DirectMessages {
  return {
    async send(teamId, userId, message) {
      const opened = await deps.call(teamId, async (client) => openedIm.safeParse(await client.conversations.open({ users: userId })));
      if (!opened.ok) return opened;
      if (!opened.value.success) return { ok: false, kind: 'transient', detail: 'conversations.open answered without a channel' };
      const channel = opened.value.data.channel.id;
      return deps.call(teamId, async (client) => {
        await postMessage(client, { channel, ...directMessage(message), unfurl_links: false, unfurl_media: false });
      });
    },
  };
}
