import type { App } from '@slack/bolt';
import { listIdentities } from '../../identities/list-identities.ts';
import { isVerified } from '../../identities/catalog.ts';
import type { SlackDeps } from '../deps.ts';
import { slashCommandSchema, type SlashCommand } from '../payloads.ts';
import { describeSlackError, viewsOpenFailureText } from '../slack-errors.ts';
import { encodeMetadata } from '../create-identity/metadata.ts';
import { blockedView, TOKEN_MISSING_TEXT, TOKEN_REJECTED_TEXT, TOKEN_UNREADABLE_TEXT } from '../create-identity/replies.ts';
import { createIdentityModal } from '../create-identity/views.ts';
import { openEditPicker } from '../edit-identity/listeners.ts';
import { helpMessage, listMessage } from './messages.ts';
import { connectionStatus, openConnect, runDisconnect } from '../workspace/connect.ts';
import { mayCreateIdentities } from '../workspace/permissions.ts';
import { openView, updateView } from '../web-api-calls.ts';
import { tokenStatusOfLink } from '../../workspaces/links.ts';

export const COMMAND = '/identity';

type Respond = (message: { response_type: 'ephemeral'; text: string; blocks?: unknown[] }) => Promise<unknown>;

export function registerIdentityCommand(app: App, deps: SlackDeps): void {
  app.command(COMMAND, async ({ ack, body, client, respond }) => {
    const parsed = slashCommandSchema.safeParse(body);
    if (!parsed.success) {
      await ack({ response_type: 'ephemeral', text: 'Slack sent an incomplete command; please try again.' });
      return;
    }
    const command = parsed.data;
    let acked = false;
    const ackOnce = async (message?: Parameters<typeof ack>[0]) => {
      acked = true;
      await ack(message);
    };
    try {
      await dispatch(deps, command, client, ackOnce, respond);
    } catch (e) {
      // Whatever broke (the database, a bug), the person gets an answer, not a timeout.
      deps.logger.error(`/identity ${command.text.slice(0, 40)} failed`, e);
      const text = 'Something went wrong on our side and nothing was changed. Please try again in a moment.';
      if (!acked) await ack({ response_type: 'ephemeral', text });
      else await respond({ response_type: 'ephemeral', text }).catch(() => deps.logger.warn('could not report the failure to the user'));
    }
  });
}

async function dispatch(
  deps: SlackDeps,
  command: SlashCommand,
  client: App['client'],
  ack: (message?: { response_type: 'ephemeral'; text: string; blocks?: unknown[] }) => Promise<void>,
  respond: Respond,
): Promise<void> {
  const [sub = '', ...rest] = command.text.trim().split(/\s+/);
  switch (sub.toLowerCase()) {
    case '':
    case 'new':
    case 'create':
      await ack();
      await openCreateModal(deps, client, command, respond);
      return;
    case 'edit':
      await ack();
      await openEditPicker(deps, client, command, respond);
      return;
    case 'list':
      await ack();
      await respond(listMessage(await listIdentities(deps, { teamId: command.team_id, enterpriseId: command.enterprise_id ?? null })));
      return;
    case 'connect': {
      await ack();
      const reply = await openConnect(deps.workspace, client, { teamId: command.team_id, userId: command.user_id, triggerId: command.trigger_id });
      if (reply) await respond(reply);
      return;
    }
    case 'disconnect':
      await ack();
      await respond(await runDisconnect(deps.workspace, client, { teamId: command.team_id, userId: command.user_id }));
      return;
    case 'help':
      await ack(helpMessage(undefined, await connectionStatus(deps.workspace, command.team_id)));
      return;
    default:
      await ack(helpMessage([sub, ...rest].join(' '), await connectionStatus(deps.workspace, command.team_id)));
  }
}

async function openCreateModal(deps: SlackDeps, client: App['client'], command: SlashCommand, respond: Respond): Promise<void> {
  const team = { teamId: command.team_id, enterpriseId: command.enterprise_id ?? null };
  // Read through the short-lived cache: the submission checks both again against the database.
  const link = await deps.links.find(command.team_id);
  const allowed = await mayCreateIdentities(link, client, command.user_id);
  if (!allowed.ok) {
    await respond({ response_type: 'ephemeral', text: allowed.text });
    return;
  }
  const token = tokenStatusOfLink(link, deps.workspace);
  const hasToken = 'token' in token;
  const view = hasToken
    ? createIdentityModal({ originChannelId: command.channel_id, privateMetadata: encodeMetadata({ v: 1, origin: command.channel_id }) })
    : 'missing' in token
      ? blockedView('Not connected', [TOKEN_MISSING_TEXT])
      : blockedView('Token unreadable', [TOKEN_UNREADABLE_TEXT]);

  let opened: { id: string; hash: string | undefined };
  try {
    const result = await openView(client, { trigger_id: command.trigger_id, view });
    if (!result.view?.id) throw new Error('views.open returned no view');
    opened = { id: result.view.id, hash: result.view.hash };
  } catch (e) {
    const failure = describeSlackError(e);
    deps.logger.warn(`views.open for /identity failed: ${failure.error}`);
    await respond({ response_type: 'ephemeral', text: viewsOpenFailureText(failure.error, COMMAND) }).catch(() => deps.logger.warn('could not tell the user that views.open failed'));
    return;
  }
  if (!hasToken) return;

  // Load the menus now so they open instantly, and say so at once if there is nothing to choose.
  // Best effort: the form is already open, so a failure here must not become an error message.
  const domains = await deps.catalog.domains(team).catch((e: unknown) => {
    deps.logger.warn('preloading domains failed', e);
    return undefined;
  });
  if (!domains) return;
  let blocked: string[] | undefined;
  let title = 'No verified domain';
  if (!domains.ok && domains.code === 'token_rejected') {
    blocked = [TOKEN_REJECTED_TEXT];
    title = 'Token refused';
  }
  else if (domains.ok && !domains.items.some(isVerified)) {
    const pending = domains.items.map((d) => `*${d.name}* (${d.status})`).join(', ');
    blocked = [
      'This platform workspace has no verified domain yet, and an identity can only send from a verified one.',
      pending ? `Domains waiting for verification: ${pending}. Finish verifying one on the platform, then run \`/identity\` again.` : 'Add a domain on the platform and verify it, then run `/identity` again.',
    ];
  }
  if (!blocked) return;
  try {
    await updateView(client, { view_id: opened.id, ...(opened.hash ? { hash: opened.hash } : {}), view: blockedView(title, blocked) });
  } catch (e) {
    // hash_conflict: the person already moved on (submitted or closed); nothing to fix.
    deps.logger.debug(`could not replace the form with the explanation: ${describeSlackError(e).error}`);
  }
}
