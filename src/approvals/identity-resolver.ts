import type { Database } from '../db/client.ts';
import { settingsColumns, settingsOf } from '../identities/approval-settings.ts';
import type { IdentityCache } from '../identities/identity-cache.ts';
import { findIdentity, mirrorIdentity, type StoredIdentity } from '../identities/store.ts';
import type { Logger } from '../logger.ts';
import type { IdentitiesApi } from '../platform/identities-api.ts';
import { isPlatformError, type PlatformError } from '../platform/errors.ts';
import { slackApprovalChannel, type Identity } from '../platform/schemas.ts';
import type { LinkedToken } from '../workspaces/links.ts';

/** Finds the identity an event is about, or undefined when this app does not serve it. */
export type IdentityResolver = (identityId: string, workspaceId: string) => Promise<StoredIdentity | undefined>;

export interface IdentityResolverDeps {
  db: Database;
  api: IdentitiesApi;
  logger: Logger;
  /** Identities read lately; an edit through this instance replaces its entry. */
  cache: IdentityCache;
  /** Connected teams' tokens known to be of this platform workspace first, then those not known yet. */
  linkedTokens: (workspaceId: string) => Promise<LinkedToken[]>;
  /** The app-wide IDENTITIES_API_TOKEN, tried last. */
  defaultToken: string | undefined;
  /** Whether this app serves the Slack team an approval channel names. */
  servesTeam: (teamId: string) => Promise<boolean>;
  /** Whether a Slack team is linked to that platform workspace, judged with the token that just read the identity there. */
  teamLinkedTo: (teamId: string, workspaceId: string, token: string) => Promise<boolean>;
}

/** What one token says about the identity: served (mirrored), settled as not ours, or ask the next token. */
type Attempt = StoredIdentity | 'absent' | 'next';

const refused = (e: PlatformError) => e.kind === 'unauthorized' || e.kind === 'forbidden';

/**
 * Local mirror first; an identity created elsewhere (another front end, the API) is
 * fetched with GET /v1/identities/{id} and mirrored when its approval channel is a
 * Slack channel in a team this app serves.
 *
 * The tokens asked are those of links known to be the event's platform workspace; links
 * whose workspace is not known yet are asked which one it is (one call each, once for
 * good), and the default token comes last. Once the links are known, an identity costs
 * one call, whatever the number of connected workspaces.
 */
export function createIdentityResolver(deps: IdentityResolverDeps): IdentityResolver {
  // Stored identities are never deleted; they change when edited (an edit here replaces
  // the cache entry, one made on another instance is read once the entry has aged out), so
  // most events skip the database for this look-up.
  const remember = deps.cache.remember;

  /** The workspace a token is of, from one identity it lists; undefined when it lists none or is refused. */
  async function workspaceOfToken(token: string): Promise<string | undefined> {
    try {
      const { items } = await deps.api.listIdentities(token, { maxItems: 1 });
      return items[0]?.workspace_id;
    } catch (e) {
      if (isPlatformError(e) && refused(e)) return undefined;
      throw e;
    }
  }

  async function attempt(token: string, identityId: string, workspaceId: string): Promise<Attempt> {
    let remote: Identity;
    try {
      remote = await deps.api.getIdentity(token, identityId);
    } catch (e) {
      if (!isPlatformError(e)) throw e;
      if (refused(e)) return 'next';
      // Every token of the workspace would say the same.
      if (e.kind === 'not_found') return 'absent';
      throw e;
    }
    if (remote.workspace_id !== workspaceId) return 'next';
    const channel = slackApprovalChannel(remote.approval_channel);
    if (!channel || !(await deps.servesTeam(channel.team_id))) return 'absent';
    // The named team must be linked to this very platform workspace; otherwise one
    // customer could route its mail into another's Slack by naming its team id.
    if (!(await deps.teamLinkedTo(channel.team_id, workspaceId, token))) return 'next';
    return remember(
      await mirrorIdentity(deps.db, {
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
        ...settingsColumns(settingsOf(channel)),
        createdByUserId: null,
      }),
    );
  }

  async function fetchRemote(identityId: string, workspaceId: string): Promise<StoredIdentity | undefined> {
    for (const link of await deps.linkedTokens(workspaceId)) {
      const token = link.token();
      if (link.platformWorkspaceId === null) {
        const learned = await workspaceOfToken(token);
        if (learned === undefined) continue;
        await link.learn(learned);
        if (learned !== workspaceId) continue;
      }
      const result = await attempt(token, identityId, workspaceId);
      if (result === 'absent') return undefined;
      if (result !== 'next') return result;
    }
    if (!deps.defaultToken) return undefined;
    const result = await attempt(deps.defaultToken, identityId, workspaceId);
    return typeof result === 'string' ? undefined : result;
  }

  return async (identityId, workspaceId) => {
    const cached = deps.cache.get(identityId);
    const local = cached ?? (await findIdentity(deps.db, identityId));
    if (local) {
      // Only a fresh read restarts the entry's age; remembering hits would keep it forever.
      if (!cached) remember(local);
      return local.workspaceId === workspaceId ? local : undefined;
    }
    const remote = await fetchRemote(identityId, workspaceId);
    if (!remote) deps.logger.info(`approval event for identity ${identityId}: not found in workspace ${workspaceId}`);
    return remote;
  };
}
