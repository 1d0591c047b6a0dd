import { z } from 'zod';
import { CHANNEL_PROBLEMS } from '../channels/ports.ts';
import { jobOutcomeOf } from '../channels/send-outcome.ts';
import type { Database } from '../db/client.ts';
import type { JobHandler, JobOutcome } from '../jobs/job.ts';
import type { Logger } from '../logger.ts';
import { isPlatformError } from '../platform/errors.ts';
import type { IdentitiesApi } from '../platform/identities-api.ts';
import { slackApprovalChannel, type Identity } from '../platform/schemas.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';
import { IdentityJob } from './job-kinds.ts';
import type { DirectMessages } from './ports.ts';
import { findIdentity } from './store.ts';

export interface ChannelJobDeps {
  db: Database;
  api: IdentitiesApi;
  tokenForTeam: TokenForTeam;
  messages: DirectMessages;
  logger: Logger;
}

/** A platform call in a job gets this long; the job is retried after. */
const PLATFORM_CALL_MS = 15_000;

const channelNamePayload = z.object({ identityId: z.string().min(1) });
const noticePayload = z.object({ identityId: z.string().min(1), userId: z.string().min(1), problem: z.enum(CHANNEL_PROBLEMS) });

/** A failed platform call as a job outcome: what may work later is retried, what cannot is given up. */
function platformOutcome(e: unknown, what: string): JobOutcome {
  if (!isPlatformError(e)) throw e;
  const error = `${what}: ${e.kind}${e.status ? ` ${e.status}` : ''}${e.detail ? ` (${e.detail})` : ''}`;
  // 401/403: the workspace may be reconnected with a working token; the attempts bound the wait.
  if (e.retryable || e.kind === 'unauthorized' || e.kind === 'forbidden') return e.retryAfterMs !== undefined ? { status: 'retry', error, retryAfterMs: e.retryAfterMs } : { status: 'retry', error };
  return { status: 'dead', error };
}

/**
 * Sends the mirror's channel name to the platform. The identity is read fresh first and its
 * approval_channel sent back whole with only the name changed, so keys other front ends
 * wrote are kept (the platform replaces approval_channel, it never merges it). The name is
 * the mirror's when the job runs, so an older job for the same identity sends the latest.
 */
export function channelNameHandler(deps: ChannelJobDeps): JobHandler {
  return async (job) => {
    const parsed = channelNamePayload.safeParse(job.payload);
    if (!parsed.success) return { status: 'dead', error: 'job payload has no identityId' };
    const identity = await findIdentity(deps.db, parsed.data.identityId);
    if (!identity) return { status: 'dead', error: `identity ${parsed.data.identityId} not found` };
    const token = await deps.tokenForTeam({ teamId: identity.teamId, enterpriseId: identity.enterpriseId });
    if (!token) return { status: 'retry', error: 'no platform token for this team' };

    let remote: Identity;
    try {
      remote = await deps.api.getIdentity(token, identity.id, { deadline: Date.now() + PLATFORM_CALL_MS });
    } catch (e) {
      if (isPlatformError(e) && e.kind === 'not_found') return { status: 'done' };
      return platformOutcome(e, 'getIdentity');
    }
    const channel = slackApprovalChannel(remote.approval_channel);
    // Moved to another channel meanwhile: that channel's name is not this one's, and the mirror follows the platform on the next post.
    if (!channel || channel.team_id !== identity.teamId || channel.channel_id !== identity.approvalChannelId) return { status: 'done' };
    if (channel.channel_name === identity.approvalChannelName) return { status: 'done' };

    try {
      await deps.api.updateIdentity(
        token,
        identity.id,
        { approval_channel: { ...remote.approval_channel, ...channel, channel_name: identity.approvalChannelName } },
        { deadline: Date.now() + PLATFORM_CALL_MS },
      );
    } catch (e) {
      return platformOutcome(e, 'updateIdentity');
    }
    deps.logger.info(`identity ${identity.id}: channel name ${identity.approvalChannelName ?? '(none)'} sent to the platform`);
    return { status: 'done' };
  };
}

/**
 * Tells one person that an identity's channel cannot take posts. A problem fixed (or
 * replaced by one that tells more, with its own notice) before the message goes out is
 * not reported.
 */
export function problemNoticeHandler(deps: ChannelJobDeps): JobHandler {
  return async (job) => {
    const parsed = noticePayload.safeParse(job.payload);
    if (!parsed.success) return { status: 'dead', error: 'job payload is not a channel problem notice' };
    const { identityId, userId, problem } = parsed.data;
    const identity = await findIdentity(deps.db, identityId);
    if (!identity) return { status: 'dead', error: `identity ${identityId} not found` };
    if (identity.channelProblem !== problem) return { status: 'done' };
    const sent = await deps.messages.send(identity.teamId, userId, {
      kind: 'channel_problem',
      emailAddress: identity.emailAddress,
      channelId: identity.approvalChannelId,
      channelName: identity.approvalChannelName,
      problem,
    });
    return sent.ok ? { status: 'done' } : jobOutcomeOf(sent, 'direct message');
  };
}

export function channelJobHandlers(deps: ChannelJobDeps): Record<string, JobHandler> {
  return {
    [IdentityJob.channelName]: channelNameHandler(deps),
    [IdentityJob.problemNotice]: problemNoticeHandler(deps),
  };
}
