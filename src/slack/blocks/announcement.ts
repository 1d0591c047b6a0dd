import type { types as slack } from '@slack/bolt';
import type { MovedNote, StoredIdentity } from '../../identities/store.ts';
import { channelMention, context, escapeMrkdwn, section, userMention } from './text.ts';

/** The note posted in a new approval channel. */
export function announcementMessage(identity: StoredIdentity): { text: string; blocks: slack.KnownBlock[] } {
  const who = identity.createdByUserId ? userMention(identity.createdByUserId) : 'Someone';
  const approvers =
    identity.approverUserIds.length > 0
      ? `Only ${identity.approverUserIds.map(userMention).join(', ')} may approve them.`
      : 'Anyone in this channel may approve them.';
  const text = `${who} created ${identity.emailAddress}. Drafted replies from this address will be posted here for approval.`;
  return {
    text,
    blocks: [
      section(`:envelope_with_arrow: ${who} created *${escapeMrkdwn(identity.emailAddress)}* (${escapeMrkdwn(identity.displayName)}).`),
      context(`Drafted replies from this address will be posted here for approval. ${approvers}`),
    ],
  };
}

/** The notes of a move: in the new channel, that approvals now come here; in the old one, where they went. */
export function movedMessage(note: MovedNote): { text: string; blocks: slack.KnownBlock[] } {
  const who = userMention(note.movedByUserId);
  const address = escapeMrkdwn(note.emailAddress);
  if (note.side === 'to') {
    const text = `Approvals for ${note.emailAddress} now come here, moved by ${who}.`;
    return {
      text,
      blocks: [
        section(`:inbox_tray: Approvals for *${address}* now come here, moved by ${who}.`),
        context(`Until now they went to ${channelMention(note.fromChannelId)}; drafts already posted there stay there.`),
      ],
    };
  }
  const text = `Approvals for ${note.emailAddress} now go to ${channelMention(note.toChannelId)}, moved by ${who}.`;
  return {
    text,
    blocks: [
      section(`:outbox_tray: Approvals for *${address}* now go to ${channelMention(note.toChannelId)}, moved by ${who}.`),
      context('Drafts already posted here stay here and can still be decided.'),
    ],
  };
}
