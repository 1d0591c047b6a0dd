import { recordAudit } from '../audit/audit-log.ts';
import type { ChannelProblem } from '../channels/ports.ts';
import type { Database } from '../db/client.ts';
import { enqueue } from '../jobs/store.ts';
import type { Logger } from '../logger.ts';
import { findLink } from '../workspaces/links.ts';
import { IdentityJob, identityJobKey } from './job-kinds.ts';
import { clearChannelProblem, markChannelProblem, renameChannel, type ChannelRef, type StoredIdentity } from './store.ts';

/*
 * What happens to identities when their approval channel changes under them: renamed,
 * archived, deleted, the app removed from it, or usable again. Each use case changes only
 * the identities it affects, so a redelivered event changes nothing and queues nothing.
 */

export interface ChannelChangeDeps {
  db: Database;
  logger: Logger;
  /** Pokes the job worker after queueing work. */
  wake: () => void;
}

/**
 * The channel's new name goes into the mirror now, and to the platform (where other
 * front ends read it) by one durable job per identity, retried while the platform is down.
 */
export async function channelRenamed(deps: ChannelChangeDeps, teamId: string, channelId: string, name: string): Promise<StoredIdentity[]> {
  const where: ChannelRef = { teamId, channelId };
  const renamed = await deps.db.transaction(async (tx) => {
    const rows = await renameChannel(tx, where, name);
    for (const row of rows) {
      await recordAudit(tx, { teamId, actorUserId: null, action: 'identity.channel_renamed', subjectType: 'identity', subjectId: row.id, details: { channel_id: channelId, channel_name: name } });
      // Keyed by the change, not the name: a channel renamed back and forth is sent each time.
      await enqueue(tx, { kind: IdentityJob.channelName, payload: { identityId: row.id }, dedupeKey: identityJobKey.channelName(row.id, row.updatedAt) });
    }
    return rows;
  });
  if (renamed.length > 0) {
    deps.logger.info(`channel ${channelId} of team ${teamId} renamed: ${renamed.length} identities follow`);
    deps.wake();
  }
  return renamed;
}

/**
 * Marks the identities approved in the channel as unable to post there, audits it, and
 * tells each identity's creator and whoever connected the workspace in a direct message:
 * one job per person, once per identity and occurrence of the problem.
 */
export async function channelUnusable(deps: ChannelChangeDeps, teamId: string, channelId: string, problem: ChannelProblem): Promise<StoredIdentity[]> {
  const where: ChannelRef = { teamId, channelId };
  const connectedBy = (await findLink(deps.db, teamId))?.connectedByUserId ?? null;
  const marked = await deps.db.transaction(async (tx) => {
    const rows = await markChannelProblem(tx, where, problem);
    for (const row of rows) {
      const recipients = [...new Set([row.createdByUserId, connectedBy].filter((u): u is string => u !== null))];
      await recordAudit(tx, { teamId, actorUserId: null, action: 'identity.channel_unusable', subjectType: 'identity', subjectId: row.id, details: { channel_id: channelId, problem, told: recipients } });
      for (const userId of recipients) {
        await enqueue(tx, {
          kind: IdentityJob.problemNotice,
          payload: { identityId: row.id, userId, problem },
          dedupeKey: identityJobKey.problemNotice(row.id, problem, row.channelProblemAt ?? row.updatedAt, userId),
        });
      }
      if (recipients.length === 0) deps.logger.warn(`identity ${row.id}: its channel is ${problem}, and nobody is known to tell`);
    }
    return rows;
  });
  if (marked.length > 0) {
    deps.logger.info(`channel ${channelId} of team ${teamId} is ${problem}: ${marked.length} identities marked`);
    deps.wake();
  }
  return marked;
}

/** The channel works again for the listed problems (unarchived, the app invited back, a post that went through). */
export async function channelUsable(deps: ChannelChangeDeps, teamId: string, channelId: string, fixed: readonly ChannelProblem[]): Promise<StoredIdentity[]> {
  const where: ChannelRef = { teamId, channelId };
  return deps.db.transaction(async (tx) => {
    const rows = await clearChannelProblem(tx, where, fixed);
    for (const row of rows) {
      await recordAudit(tx, { teamId, actorUserId: null, action: 'identity.channel_usable', subjectType: 'identity', subjectId: row.id, details: { channel_id: channelId } });
    }
    return rows;
  });
}
