import type { ChannelProblem } from '../channels/ports.ts';

/** Durable jobs that keep identities current when their channel changes. */
export const IdentityJob = {
  /** Send the mirror's channel name to the platform's approval_channel. */
  channelName: 'identity.channel_name',
  /** Tell one person that an identity's channel cannot take posts, and how to fix it. */
  problemNotice: 'identity.channel_problem_notice',
} as const;

export const identityJobKey = {
  /** One per rename of the mirror (`changedAt` is when it was renamed). */
  channelName: (identityId: string, changedAt: Date) => `channel-name:${identityId}:${changedAt.toISOString()}`,
  /** One per person, per identity and occurrence of a problem (`since` is when it was marked). */
  problemNotice: (identityId: string, problem: ChannelProblem, since: Date, userId: string) => `channel-problem:${identityId}:${problem}:${since.toISOString()}:${userId}`,
};
