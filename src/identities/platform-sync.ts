import { recordAudit } from '../audit/audit-log.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { isPlatformError } from '../platform/errors.ts';
import type { IdentitiesApi } from '../platform/identities-api.ts';
import { slackApprovalChannel, type Identity } from '../platform/schemas.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';
import { followPlatform, type PlatformCopy, type StoredIdentity } from './store.ts';

/** The identity as the platform holds it now, mirrored; the mirror as it was when the platform cannot say. */
export type RefreshIdentity = (identity: StoredIdentity) => Promise<StoredIdentity>;

export interface PlatformSyncDeps {
  db: Database;
  api: IdentitiesApi;
  tokenForTeam: TokenForTeam;
  logger: Logger;
  /** A mirror synced more recently than this is taken as current (default MIRROR_MAX_AGE_MS). */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * How old the mirror may be before a post reads the identity again. Another front end or a
 * person calling the API may change an identity at any time, and the approval event does
 * not say where to post. A minute means a move made elsewhere is followed by the approvals
 * requested a minute later at most, while a burst of approvals for one identity costs one
 * GET a minute, not one per approval (the post's own latency is unchanged when the mirror
 * is fresh, and a minute-old one was accurate for every identity not edited in that minute).
 */
export const MIRROR_MAX_AGE_MS = 60_000;

/** A read that keeps a post waiting gives up after this long, and the post goes out as before. */
const READ_DEADLINE_MS = 5_000;

/** Identities whose last read this process remembers. */
const MAX_REMEMBERED = 10_000;

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The mirror's fields from the platform's copy; undefined when its channel is not one this mirror can hold. */
function copyOf(remote: Identity, identity: StoredIdentity): PlatformCopy | undefined {
  const channel = slackApprovalChannel(remote.approval_channel);
  // Moved out of this Slack team, or to another front end: the approval stays with the team that has it.
  if (!channel || channel.team_id !== identity.teamId) return undefined;
  return {
    emailAddress: remote.email_address,
    displayName: remote.display_name,
    assistantId: remote.assistant_id,
    approvalChannelId: channel.channel_id,
    approvalChannelName: channel.channel_name,
    approverUserIds: channel.approver_user_ids ?? [],
    requiredApprovals: channel.required_approvals ?? 1,
    remindAfterMinutes: channel.remind_after_minutes ?? null,
    escalationUserIds: channel.escalation_user_ids ?? [],
    undoSeconds: channel.undo_seconds ?? 0,
  };
}

/** The names of the mirror's fields that differ from the platform's copy. */
function differences(identity: StoredIdentity, copy: PlatformCopy): string[] {
  const changed: string[] = [];
  if (identity.emailAddress !== copy.emailAddress) changed.push('email_address');
  if (identity.displayName !== copy.displayName) changed.push('display_name');
  if (identity.assistantId !== (copy.assistantId ?? null)) changed.push('assistant_id');
  if (identity.approvalChannelId !== copy.approvalChannelId) changed.push('channel_id');
  if (identity.approvalChannelName !== (copy.approvalChannelName ?? null)) changed.push('channel_name');
  if (!sameList(identity.approverUserIds, copy.approverUserIds ?? [])) changed.push('approver_user_ids');
  if (identity.requiredApprovals !== copy.requiredApprovals) changed.push('required_approvals');
  if (identity.remindAfterMinutes !== (copy.remindAfterMinutes ?? null)) changed.push('remind_after_minutes');
  if (!sameList(identity.escalationUserIds, copy.escalationUserIds ?? [])) changed.push('escalation_user_ids');
  if (identity.undoSeconds !== copy.undoSeconds) changed.push('undo_seconds');
  return changed;
}

/**
 * When the platform's copy of an identity differs from the mirror, the platform wins: the
 * mirror follows it (channel, name, approvers, settings). Read only when the mirror is
 * older than `maxAgeMs`, once at a time per identity in this process; a failed read keeps
 * the mirror.
 */
export function createIdentityRefresher(deps: PlatformSyncDeps): RefreshIdentity {
  const maxAge = deps.maxAgeMs ?? MIRROR_MAX_AGE_MS;
  const now = deps.now ?? Date.now;
  const inFlight = new Map<string, Promise<StoredIdentity>>();
  // The last read's outcome per identity: a post that loaded its row just before a read
  // finished still gets what that read found, and an outage costs one read a minute.
  const recent = new Map<string, { at: number; identity: StoredIdentity }>();

  async function refresh(identity: StoredIdentity): Promise<StoredIdentity> {
    const token = await deps.tokenForTeam({ teamId: identity.teamId, enterpriseId: identity.enterpriseId });
    if (!token) return identity;
    let remote: Identity;
    try {
      remote = await deps.api.getIdentity(token, identity.id, { deadline: now() + READ_DEADLINE_MS });
    } catch (e) {
      if (!isPlatformError(e)) throw e;
      deps.logger.warn(`identity ${identity.id}: could not read it from the platform (${e.kind}); posting with the mirror's copy`);
      return identity;
    }
    const copy = remote.workspace_id === identity.workspaceId ? copyOf(remote, identity) : undefined;
    if (!copy) {
      deps.logger.warn(`identity ${identity.id}: the platform's approval channel is not in team ${identity.teamId}; posting with the mirror's copy`);
      return identity;
    }
    const changed = differences(identity, copy);
    const followed = await deps.db.transaction(async (tx) => {
      const row = await followPlatform(tx, identity.id, copy);
      if (row && changed.length > 0) {
        await recordAudit(tx, {
          teamId: identity.teamId,
          actorUserId: null,
          action: 'identity.followed_platform',
          subjectType: 'identity',
          subjectId: identity.id,
          details: { changed, approval_channel_id: copy.approvalChannelId },
        });
      }
      return row;
    });
    if (changed.length > 0) deps.logger.info(`identity ${identity.id} changed on the platform (${changed.join(', ')}): the mirror follows`);
    return followed ?? identity;
  }

  return async (identity) => {
    const t = now();
    if (t - identity.syncedAt.getTime() < maxAge) return identity;
    const running = inFlight.get(identity.id);
    if (running) return running;
    const last = recent.get(identity.id);
    if (last && t - last.at < maxAge) return last.identity.updatedAt >= identity.updatedAt ? last.identity : identity;
    const done = refresh(identity)
      .then((result) => {
        recent.delete(identity.id);
        if (recent.size >= MAX_REMEMBERED) recent.delete(recent.keys().next().value!);
        recent.set(identity.id, { at: t, identity: result });
        return result;
      })
      .finally(() => inFlight.delete(identity.id));
    inFlight.set(identity.id, done);
    return done;
  };
}
