import type { types as slack } from '@slack/bolt';
import type { StoredIdentity } from '../../identities/store.ts';
import { context, escapeMrkdwn, section, userMention } from './text.ts';

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
