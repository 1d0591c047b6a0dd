import type { Database } from '../db/client.ts';
import { findIdentity, mirrorIdentity, type StoredIdentity } from '../identities/store.ts';
import type { Logger } from '../logger.ts';
import type { IdentitiesApi } from '../platform/identities-api.ts';
import { isPlatformError } from '../platform/errors.ts';
import { slackApprovalChannel } from '../platform/schemas.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';

/** Finds the identity an event is about, or undefined when this app does not serve it. */
export type IdentityResolver = (identityId: string, workspaceId: string) => Promise<StoredIdentity | undefined>;

export interface IdentityResolverDeps {
  db: Database;
  api: IdentitiesApi;
  logger: Logger;
  /** Platform tokens that may belong to the event's workspace (the identity's workspace must match). */
  candidateTokens: (workspaceId: string) => Promise<string[]>;
  /** Whether this app serves the Slack team an approval channel names. */
  servesTeam: (teamId: string) => Promise<boolean>;
  tokenForTeam: TokenForTeam;
}

/** How many identities to keep in memory. */
const CACHE_SIZE = 10_000;

/**
 * Local mirror first; an identity created elsewhere (another front end, the API) is
 * fetched once with GET /v1/identities/{id} and mirrored when its approval channel
 * is a Slack channel in a team this app serves.
 */
export function createIdentityResolver(deps: IdentityResolverDeps): IdentityResolver {
  // Stored identities are never deleted, and change only when a creation completes over
  // its own mirror, with the values the platform already holds: an identity once read
  // can be kept, and every event after the first skips the database for this look-up.
  const known = new Map<string, StoredIdentity>();
  const remember = (identity: StoredIdentity) => {
    if (!known.has(identity.id) && known.size >= CACHE_SIZE) known.delete(known.keys().next().value!);
    known.set(identity.id, identity);
    return identity;
  };
  return async (identityId, workspaceId) => {
    const local = known.get(identityId) ?? (await findIdentity(deps.db, identityId));
    if (local) return remember(local).workspaceId === workspaceId ? local : undefined;

    for (const token of await deps.candidateTokens(workspaceId)) {
      let remote;
      try {
        remote = await deps.api.getIdentity(token, identityId);
      } catch (e) {
        if (isPlatformError(e) && (e.kind === 'not_found' || e.kind === 'unauthorized' || e.kind === 'forbidden')) continue;
        throw e;
      }
      if (remote.workspace_id !== workspaceId) continue;
      const channel = slackApprovalChannel(remote.approval_channel);
      if (!channel || !(await deps.servesTeam(channel.team_id))) return undefined;
      // The named team must be linked to this very platform workspace; otherwise one
      // customer could route its mail into another's Slack by naming its team id.
      if ((await deps.tokenForTeam({ teamId: channel.team_id, enterpriseId: channel.enterprise_id ?? null })) !== token) continue;
      return remember(await mirrorIdentity(deps.db, {
        id: remote.id,
        teamId: channel.team_id,
        enterpriseId: channel.enterprise_id ?? null,
        workspaceId: remote.workspace_id,
        emailAddress: remote.email_address,
        displayName: remote.display_name,
        domainId: remote.domain_id,
        assistantId: remote.assistant_id,
        approvalChannelId: channel.channel_id,
        approvalChannelName: channel.channel_name,
        approverUserIds: channel.approver_user_ids ?? [],
        createdByUserId: null,
      }));
    }
    deps.logger.info(`approval event for identity ${identityId}: not found in workspace ${workspaceId}`);
    return undefined;
  };
}
