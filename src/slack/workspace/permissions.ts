import type { WebClient } from '@slack/web-api';
import type { WorkspaceLink } from '../../workspaces/links.ts';
import { isWorkspaceAdmin } from './roles.ts';

export type CreateCheck = { ok: true } | { ok: false; text: string };

/** Who may create identities: the team's setting from /identity connect (everyone when the team has no link). */
export async function mayCreateIdentities(link: WorkspaceLink | undefined, client: WebClient, userId: string): Promise<CreateCheck> {
  if (!link || link.createPermission === 'everyone') return { ok: true };
  const role = await isWorkspaceAdmin(client, userId);
  if (!role.ok) return { ok: false, text: `Slack could not tell me whether you are an admin (${role.error}), so nothing was created. Please try again.` };
  if (role.isAdmin) return { ok: true };
  return {
    ok: false,
    text: 'In this workspace only admins and owners can create email identities. Ask one of them, or ask an admin to allow everyone with `/identity connect`.',
  };
}
