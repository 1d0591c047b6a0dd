import type { Database } from '../db/client.ts';
import { parkUntilSlot, type ChannelPacer } from '../approvals/channel-pacer.ts';
import type { JobHandler } from '../jobs/job.ts';
import { fromSlack } from '../approvals/delivery.ts';
import type { ApprovalGateway } from '../slack/approval-gateway.ts';
import type { SlackMessage } from '../slack/channel-gateway.ts';
import { context, escapeMrkdwn, section, userMention } from '../slack/text.ts';
import { announceJobKey, findIdentity, type StoredIdentity } from './store.ts';

/** The note posted in a new approval channel. */
export function announcementMessage(identity: StoredIdentity): SlackMessage & { blocks: NonNullable<SlackMessage['blocks']> } {
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

/** The job that posts the announcement, paced with the channel's approvals; Slack failures are retried by the queue. */
export function announceIdentityHandler(deps: { db: Database; slack: ApprovalGateway; pacer: ChannelPacer }): JobHandler {
  return async (job) => {
    const identityId = typeof job.payload.identityId === 'string' ? job.payload.identityId : undefined;
    const key = announceJobKey(identityId ?? '?');
    // The channel in the payload lets a note far from its turn park without a database read.
    const channelId = typeof job.payload.channelId === 'string' ? job.payload.channelId : undefined;
    if (channelId) {
      const parked = parkUntilSlot(deps.pacer, channelId, key);
      if (parked) return parked;
    }
    const identity = identityId ? await findIdentity(deps.db, identityId) : undefined;
    if (!identity) {
      if (channelId) deps.pacer.release(channelId, key);
      return { status: 'dead', error: `identity ${identityId ?? '?'} not found` };
    }
    const parked = parkUntilSlot(deps.pacer, identity.approvalChannelId, key);
    if (parked) return parked;
    await deps.pacer.turn(identity.approvalChannelId, key);
    const posted = await deps.slack.postNote(identity.teamId, { channel: identity.approvalChannelId, ...announcementMessage(identity) });
    if (posted.ok) return { status: 'done' };
    if (posted.failure.retryAfterMs !== undefined) deps.pacer.pause(identity.approvalChannelId, posted.failure.retryAfterMs);
    // The same rule as approval posts: only failures that cannot work give up.
    return fromSlack(posted.failure, 'announcement');
  };
}
