import type { WebClient } from '@slack/web-api';
import { findLink, tokenStatusOfLink, type WorkspaceLink } from '../../workspaces/links.ts';
import type { SlackDeps } from '../deps.ts';
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

/** Whether the person submitting an identity form may save it now, and the team's platform token. */
export type FormSubmitter =
  | { ok: true; link: WorkspaceLink | undefined; token: string | undefined }
  | { ok: false; reason: 'unexpected' }
  | { ok: false; reason: 'denied'; text: string }
  | { ok: false; reason: 'token_unreadable' };

/**
 * Checked again at submission, from the database: the create setting or the token may have
 * changed since the form opened (on another instance too), or the request be forged.
 */
export async function checkFormSubmitter(deps: Pick<SlackDeps, 'db' | 'logger' | 'workspace'>, client: WebClient, teamId: string, userId: string): Promise<FormSubmitter> {
  let link: WorkspaceLink | undefined;
  try {
    link = await findLink(deps.db, teamId);
  } catch (e) {
    deps.logger.error('reading the workspace link failed', e);
    return { ok: false, reason: 'unexpected' };
  }
  const allowed = await mayCreateIdentities(link, client, userId);
  if (!allowed.ok) return { ok: false, reason: 'denied', text: allowed.text };
  const token = tokenStatusOfLink(link, deps.workspace);
  if ('unreadable' in token) return { ok: false, reason: 'token_unreadable' };
  return { ok: true, link, token: 'token' in token ? token.token : undefined };
}
