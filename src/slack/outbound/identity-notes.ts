import type { IdentityNotes } from '../../identities/ports.ts';
import { announcementMessage, movedMessage } from '../blocks/announcement.ts';
import { postMessage } from '../web-api-calls.ts';
import type { BackgroundCall } from './background-client.ts';
import type { ChannelPacer } from './channel-pacer.ts';

/** Notes about identities in their channels, paced with the channel's approval messages. */
export function slackIdentityNotes(deps: { call: BackgroundCall; pacer: ChannelPacer }): IdentityNotes {
  return {
    async announce(identity, slotKey) {
      const channel = identity.approvalChannelId;
      await deps.pacer.turn(channel, slotKey);
      const posted = await deps.call(identity.teamId, async (client) => {
        await postMessage(client, { channel, ...announcementMessage(identity), unfurl_links: false, unfurl_media: false });
      });
      if (!posted.ok && posted.kind === 'wait') deps.pacer.pause(channel, posted.retryAfterMs);
      return posted;
    },

    async moved(note, slotKey) {
      const channel = note.side === 'to' ? note.toChannelId : note.fromChannelId;
      await deps.pacer.turn(channel, slotKey);
      const posted = await deps.call(note.teamId, async (client) => {
        await postMessage(client, { channel, ...movedMessage(note), unfurl_links: false, unfurl_media: false });
      });
      if (!posted.ok && posted.kind === 'wait') deps.pacer.pause(channel, posted.retryAfterMs);
      return posted;
    },
  };
}
