import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { describeSlackError } from '../slack-errors.ts';

const userInfo = z.object({
  user: z.object({
    is_admin: z.boolean().optional(),
    is_owner: z.boolean().optional(),
    is_primary_owner: z.boolean().optional(),
    deleted: z.boolean().optional(),
  }),
});

export type AdminCheck = { ok: true; isAdmin: boolean } | { ok: false; error: string };

/** Workspace admins and owners, as Slack says at the moment of asking. */
export async function isWorkspaceAdmin(client: WebClient, userId: string): Promise<AdminCheck> {
  try {
    const { user } = userInfo.parse(await client.users.info({ user: userId }));
    return { ok: true, isAdmin: !user.deleted && (user.is_admin === true || user.is_owner === true || user.is_primary_owner === true) };
  } catch (e) {
    return { ok: false, error: describeSlackError(e).error };
  }
}
