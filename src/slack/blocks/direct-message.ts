import type { types as slack } from '@slack/bolt';
import type { DirectMessage } from '../../identities/ports.ts';
import { channelMention, context, escapeMrkdwn, section } from './text.ts';

type ChannelProblemMessage = Extract<DirectMessage, { kind: 'channel_problem' }>;

/** The channel as the person can find it: a link while it exists, its last known name once deleted. */
function channelOf(m: ChannelProblemMessage): string {
  if (m.problem !== 'deleted') return channelMention(m.channelId);
  return m.channelName ? `#${escapeMrkdwn(m.channelName)}` : `the channel ${m.channelId}`;
}

const EDIT = 'choose another approval channel with `/identity edit`';

/** What happened, and how to fix it. */
function explanation(m: ChannelProblemMessage, channel: string): { what: string; fix: string } {
  switch (m.problem) {
    case 'archived':
      return { what: `its approval channel ${channel} was archived`, fix: `Unarchive ${channel}, or ${EDIT}.` };
    case 'deleted':
      return { what: `its approval channel ${channel} was deleted`, fix: `Please ${EDIT}.` };
    case 'bot_removed':
      return { what: `I was removed from its approval channel ${channel}`, fix: `Invite me back: in ${channel}, type \`/invite\` and pick this app. Or ${EDIT}.` };
    case 'channel_not_found':
      return {
        what: `Slack cannot find its approval channel ${channel} any more (deleted, or private and I am no longer in it)`,
        fix: `If the channel still exists, invite me back with \`/invite\` in it. Otherwise ${EDIT}.`,
      };
  }
}

/** The direct message telling an identity's creator or the workspace's admin that its approval channel stopped working. */
export function channelProblemMessage(m: ChannelProblemMessage): { text: string; blocks: slack.KnownBlock[] } {
  const address = escapeMrkdwn(m.emailAddress);
  const { what, fix } = explanation(m, channelOf(m));
  const headline = `Drafts for ${address} cannot be posted for approval: ${what}.`;
  return {
    text: `${headline} ${fix}`,
    blocks: [section(`:warning: Drafts for *${address}* cannot be posted for approval: ${what}.`), section(fix), context('Until then, drafted replies from this address wait without being shown in Slack.')],
  };
}

/** Every direct message the app sends, rendered. */
export function directMessage(m: DirectMessage): { text: string; blocks: slack.KnownBlock[] } {
  switch (m.kind) {
    case 'channel_problem':
      return channelProblemMessage(m);
  }
}
