import type { App, types as slack } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { TokenCipher } from '../../crypto/token-cipher.ts';
import type { Database } from '../../db/client.ts';
import type { Logger } from '../../logger.ts';
import type { IdentitiesApi } from '../../platform/identities-api.ts';
import { isPlatformError } from '../../platform/errors.ts';
import { connectWorkspace, disconnectWorkspace, findLink, type CreatePermission } from '../../workspaces/links.ts';
import { payloadParties, teamOf } from '../payloads.ts';
import { plain, section } from '../blocks/text.ts';
import { isWorkspaceAdmin } from './roles.ts';
import { describeSlackError, viewsOpenFailureText } from '../slack-errors.ts';
import { openView } from '../web-api-calls.ts';

export const CONNECT_CALLBACK = 'workspace_connect';
export const ConnectField = { token: 'platform_token', permission: 'create_permission' } as const;

export interface WorkspaceDeps {
  db: Database;
  api: IdentitiesApi;
  cipher: TokenCipher;
  logger: Logger;
  /** The app-wide IDENTITIES_API_TOKEN, used by teams that have not connected. */
  defaultToken: string | undefined;
  /** Drops a team's cached link after this process changed it. */
  forgetLink: (teamId: string) => void;
}

const permissionOption = (value: CreatePermission): slack.Option => ({
  text: plain(value === 'admins' ? 'Workspace admins and owners' : 'Everyone in this workspace', 75),
  value,
});

export function connectModal(current: CreatePermission | undefined, connected: boolean): slack.ModalView {
  return {
    type: 'modal',
    callback_id: CONNECT_CALLBACK,
    title: plain('Connect platform', 24),
    submit: plain('Connect', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        connected
          ? 'This Slack workspace is already connected. A new token replaces the old one; it is checked with the platform before it is saved, stored encrypted, and never shown again.'
          : 'Paste an API token of your platform workspace. It is checked with the platform before it is saved, stored encrypted, and never shown again.',
      ),
      {
        type: 'input',
        block_id: ConnectField.token,
        label: plain('Platform API token'),
        element: { type: 'plain_text_input', action_id: ConnectField.token, max_length: 512, placeholder: plain('Paste the token') },
      },
      {
        type: 'input',
        block_id: ConnectField.permission,
        label: plain('Who may create email identities?'),
        element: {
          type: 'radio_buttons',
          action_id: ConnectField.permission,
          options: [permissionOption('admins'), permissionOption('everyone')],
          initial_option: permissionOption(current ?? 'admins'),
        },
      },
    ],
  };
}

const submission = z.object({
  ...payloadParties,
  view: z.object({
    state: z.object({
      values: z.object({
        [ConnectField.token]: z.object({ [ConnectField.token]: z.object({ value: z.string().nullish() }) }).partial().optional(),
        [ConnectField.permission]: z
          .object({ [ConnectField.permission]: z.object({ selected_option: z.object({ value: z.enum(['admins', 'everyone']) }).nullish() }) })
          .partial()
          .optional(),
      }),
    }),
  }),
});

const ADMINS_ONLY = 'Only workspace admins and owners can connect or disconnect the platform workspace.';

export function registerWorkspaceListeners(app: App, deps: WorkspaceDeps): void {
  app.view(CONNECT_CALLBACK, async ({ ack, body, client }) => {
    const parsed = submission.safeParse(body);
    const team = parsed.success ? teamOf(parsed.data) : undefined;
    if (!parsed.success || !team) {
      await ack({ response_action: 'errors', errors: { [ConnectField.token]: 'Slack sent a form I could not read. Please try again.' } });
      return;
    }
    const values = parsed.data.view.state.values;
    const token = values[ConnectField.token]?.[ConnectField.token]?.value?.trim() ?? '';
    const permission = values[ConnectField.permission]?.[ConnectField.permission]?.selected_option?.value ?? 'admins';
    const fail = (message: string) => ack({ response_action: 'errors', errors: { [ConnectField.token]: message } });

    const role = await isWorkspaceAdmin(client, parsed.data.user.id);
    if (!role.ok) return fail(`Slack could not tell me whether you are an admin (${role.error}). Please try again.`);
    if (!role.isAdmin) return fail(ADMINS_ONLY);
    if (token === '' || /\s/.test(token)) return fail('Paste the token exactly as the platform shows it (no spaces).');

    try {
      await deps.api.listDomains(token, { maxItems: 1, deadline: Date.now() + 2000 });
    } catch (e) {
      if (!isPlatformError(e)) {
        deps.logger.error('checking a platform token failed unexpectedly', e);
        return fail('Something went wrong on our side while checking the token, so nothing was saved. Please try again.');
      }
      if (e.kind === 'unauthorized' || e.kind === 'forbidden') return fail(`The platform refused this token (HTTP ${e.status}). Check that you copied all of it and that it is not revoked.`);
      return fail('I could not reach the platform to check this token, so nothing was saved. Please try again in a moment.');
    }
    try {
      await connectWorkspace({ db: deps.db, cipher: deps.cipher }, { teamId: team.teamId, enterpriseId: team.enterpriseId, token, permission, userId: parsed.data.user.id });
      deps.forgetLink(team.teamId);
    } catch (e) {
      deps.logger.error(`could not save the platform link of team ${team.teamId}`, e instanceof Error ? e.message : e);
      return fail('The token is valid, but the app could not store it (is TOKEN_ENCRYPTION_KEY set?). Nothing was saved; ask whoever runs the app.');
    }
    await ack({
      response_action: 'update',
      view: {
        type: 'modal',
        title: plain('Connected', 24),
        close: plain('Done', 24),
        blocks: [
          section(
            `:white_check_mark: This Slack workspace now uses its own platform token. ${
              permission === 'admins' ? 'Workspace admins and owners' : 'Everyone in this workspace'
            } may create email identities with \`/identity\`.`,
          ),
        ],
      },
    });
  });
}

type Reply = { response_type: 'ephemeral'; text: string };

/** `/identity connect`: admins only; opens the modal. */
export async function openConnect(deps: WorkspaceDeps, client: WebClient, input: { teamId: string; userId: string; triggerId: string }): Promise<Reply | undefined> {
  const role = await isWorkspaceAdmin(client, input.userId);
  if (!role.ok) return { response_type: 'ephemeral', text: `Slack could not tell me whether you are an admin (${role.error}). Please try again.` };
  if (!role.isAdmin) return { response_type: 'ephemeral', text: ADMINS_ONLY };
  const link = await findLink(deps.db, input.teamId);
  try {
    await openView(client, { trigger_id: input.triggerId, view: connectModal(link?.createPermission, link !== undefined) });
    return undefined;
  } catch (e) {
    const failure = describeSlackError(e);
    deps.logger.warn(`views.open for /identity connect failed: ${failure.error}`);
    return { response_type: 'ephemeral', text: viewsOpenFailureText(failure.error, '/identity connect') };
  }
}

/** `/identity disconnect`: admins only. */
export async function runDisconnect(deps: WorkspaceDeps, client: WebClient, input: { teamId: string; userId: string }): Promise<Reply> {
  const role = await isWorkspaceAdmin(client, input.userId);
  if (!role.ok) return { response_type: 'ephemeral', text: `Slack could not tell me whether you are an admin (${role.error}). Please try again.` };
  if (!role.isAdmin) return { response_type: 'ephemeral', text: ADMINS_ONLY };
  const removed = await disconnectWorkspace(deps.db, input);
  deps.forgetLink(input.teamId);
  const fallback = deps.defaultToken !== undefined ? ' Until it is connected again, the app’s default platform token is used.' : ' Nothing can be created until it is connected again.';
  return { response_type: 'ephemeral', text: removed ? `Disconnected: this workspace’s platform token was deleted.${fallback}` : 'This workspace was not connected.' };
}

/** One line for `/identity help`. */
export async function connectionStatus(deps: WorkspaceDeps, teamId: string): Promise<string> {
  const link = await findLink(deps.db, teamId);
  if (link) {
    const who = link.createPermission === 'admins' ? 'workspace admins and owners' : 'everyone';
    return `This workspace is connected to the platform (by <@${link.connectedByUserId}>); ${who} may create identities.`;
  }
  return deps.defaultToken !== undefined
    ? 'This workspace has not connected its own platform token; it uses the app’s default one. An admin can run `/identity connect`.'
    : 'This workspace is not connected to the platform: ask an admin to run `/identity connect`.';
}
