import type { Database } from '../db/client.ts';
import type { IdentitiesApi } from '../platform/identities-api.ts';
import { isPlatformError } from '../platform/errors.ts';
import { slackApprovalChannel } from '../platform/schemas.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';
import { listTeamIdentities } from './store.ts';

export interface ListedIdentity {
  id: string;
  emailAddress: string;
  displayName: string;
  channelId: string;
  approverUserIds: string[];
}

export type ListIdentitiesResult =
  | {
      ok: true;
      identities: ListedIdentity[];
      /** Identities of the platform workspace whose approval channel is not in this Slack team. */
      elsewhere: number;
      truncated: boolean;
    }
  | {
      ok: false;
      code: 'token_missing' | 'token_rejected' | 'unavailable';
      /** What this app created from this Slack team, shown when the platform cannot answer. */
      local: ListedIdentity[];
    };

export async function listIdentities(
  deps: { db: Database; api: IdentitiesApi; tokenForTeam: TokenForTeam },
  team: { teamId: string; enterpriseId: string | null },
): Promise<ListIdentitiesResult> {
  const localList = async () =>
    (await listTeamIdentities(deps.db, team.teamId)).map((i) => ({
      id: i.id,
      emailAddress: i.emailAddress,
      displayName: i.displayName,
      channelId: i.approvalChannelId,
      approverUserIds: i.approverUserIds,
    }));

  const token = await deps.tokenForTeam(team);
  if (!token) return { ok: false, code: 'token_missing', local: await localList() };
  try {
    const page = await deps.api.listIdentities(token, { maxItems: 1000 });
    const identities: ListedIdentity[] = [];
    let elsewhere = 0;
    for (const identity of page.items) {
      const channel = slackApprovalChannel(identity.approval_channel);
      // Only this team's channels: another Slack team sharing the token must not see them.
      if (!channel || channel.team_id !== team.teamId) {
        elsewhere += 1;
        continue;
      }
      identities.push({
        id: identity.id,
        emailAddress: identity.email_address,
        displayName: identity.display_name,
        channelId: channel.channel_id,
        approverUserIds: channel.approver_user_ids ?? [],
      });
    }
    identities.sort((a, b) => a.emailAddress.localeCompare(b.emailAddress));
    return { ok: true, identities, elsewhere, truncated: page.truncated };
  } catch (e) {
    if (!isPlatformError(e)) throw e;
    const code = e.kind === 'unauthorized' || e.kind === 'forbidden' ? 'token_rejected' : 'unavailable';
    return { ok: false, code, local: await localList() };
  }
}
