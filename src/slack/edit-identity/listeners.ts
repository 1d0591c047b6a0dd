import type { App, types as slack } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { listTeamIdentities } from '../../identities/store.ts';
import { slackApprovalChannel } from '../../platform/schemas.ts';
import { tokenStatusOfLink } from '../../workspaces/links.ts';
import { clip, plain } from '../blocks/text.ts';
import { blockedView, tokenMissingText, tokenUnreadableText } from '../create-identity/replies.ts';
import type { SlackDeps } from '../deps.ts';
import { blockSuggestionSchema, payloadParties, teamOf, viewSubmissionSchema, type SlashCommand } from '../payloads.ts';
import { describeSlackError, viewsOpenFailureText } from '../slack-errors.ts';
import { openView, updateView } from '../web-api-calls.ts';
import { mayCreateIdentities } from '../workspace/permissions.ts';
import { showEditForm } from './open.ts';
import { registerEditIdentitySubmission } from './submit.ts';
import { EDIT_OPEN_ACTION, EDIT_PICK_CALLBACK, EDIT_PICK_FIELD, EDIT_RETRY_ACTION, loadingView, pickerModal } from './views.ts';

/** Slack shows at most 100 options, each at most 75 characters. */
const MAX_OPTIONS = 100;
const OPTION_TEXT = 75;

const actionSchema = z.object({
  ...payloadParties,
  trigger_id: z.string().optional(),
  view: z.object({ id: z.string().min(1), hash: z.string().optional() }).nullish(),
  actions: z
    .array(z.object({ action_id: z.string(), value: z.string().max(100).nullish(), selected_option: z.object({ value: z.string().max(150) }).nullish() }))
    .min(1),
});

type Respond = (message: { response_type: 'ephemeral'; text: string }) => Promise<unknown>;

/** `/identity edit`: the picker, for whoever may create identities in this workspace. */
export async function openEditPicker(deps: SlackDeps, client: WebClient, command: SlashCommand, respond: Respond): Promise<void> {
  const link = await deps.links.find(command.team_id);
  const allowed = await mayCreateIdentities(link, client, command.user_id);
  if (!allowed.ok) {
    await respond({ response_type: 'ephemeral', text: allowed.text });
    return;
  }
  const token = tokenStatusOfLink(link, deps.workspace);
  const view =
    'token' in token ? pickerModal() : 'missing' in token ? blockedView('Not connected', [tokenMissingText('edit')]) : blockedView('Token unreadable', [tokenUnreadableText('edit')]);
  try {
    await openView(client, { trigger_id: command.trigger_id, view });
  } catch (e) {
    const failure = describeSlackError(e);
    deps.logger.warn(`views.open for /identity edit failed: ${failure.error}`);
    await respond({ response_type: 'ephemeral', text: viewsOpenFailureText(failure.error, '/identity edit') }).catch(() => deps.logger.warn('could not tell the user that views.open failed'));
  }
}

/** The identities of this Slack team: the mirror, and the platform's list (for those created elsewhere), by what was typed. */
async function pickerOptions(deps: SlackDeps, team: { teamId: string; enterpriseId: string | null }, query: string): Promise<slack.PlainTextOption[]> {
  const deadline = Date.now() + deps.ackBudgetMs - 300;
  const [local, remote] = await Promise.all([
    listTeamIdentities(deps.db, team.teamId),
    deps.catalog.identities(team, { deadline }).catch(() => undefined),
  ]);
  const found = new Map<string, { email: string; name: string }>();
  for (const i of local) found.set(i.id, { email: i.emailAddress, name: i.displayName });
  if (remote?.ok) {
    for (const i of remote.items) {
      // Only this team's channels: another Slack team sharing the token must not see them.
      if (slackApprovalChannel(i.approval_channel)?.team_id === team.teamId) found.set(i.id, { email: i.email_address, name: i.display_name });
    }
  }
  if (found.size === 0) return [{ text: plain('No identities yet: run /identity to create one', OPTION_TEXT), value: 'none' }];
  const needle = query.trim().toLowerCase();
  return [...found.entries()]
    .filter(([, i]) => needle === '' || i.email.toLowerCase().includes(needle) || i.name.toLowerCase().includes(needle))
    .sort(([, a], [, b]) => a.email.localeCompare(b.email))
    .slice(0, MAX_OPTIONS)
    .map(([id, i]) => ({ text: plain(clip(`${i.email} (${i.name})`, OPTION_TEXT), OPTION_TEXT), value: id }));
}

export function registerEditIdentityListeners(app: App, deps: SlackDeps): void {
  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: EDIT_PICK_FIELD }, async ({ ack, body }) => {
    const parsed = blockSuggestionSchema.safeParse(body);
    const team = parsed.success ? teamOf(parsed.data) : undefined;
    if (!parsed.success || !team) return ack({ options: [] });
    const options = await pickerOptions(deps, team, parsed.data.value).catch((e: unknown) => {
      deps.logger.error('loading the identities to edit failed', e);
      return [{ text: plain('Could not load the list; open the menu again', OPTION_TEXT), value: 'unavailable' }];
    });
    return ack({ options });
  });

  /** Replaces an open modal with "Reading…", then with the form. */
  const loadInto = async (client: WebClient, body: unknown, identityId: string | undefined) => {
    const parsed = actionSchema.safeParse(body);
    const team = parsed.success ? teamOf(parsed.data) : undefined;
    if (!parsed.success || !team || !parsed.data.view || !identityId) return;
    const { view, user } = parsed.data;
    let hash: string | undefined;
    try {
      const loading = await updateView(client, { view_id: view.id, ...(view.hash ? { hash: view.hash } : {}), view: loadingView() });
      hash = loading.view?.hash;
    } catch (e) {
      deps.logger.debug(`could not show "Reading…" in ${view.id}: ${describeSlackError(e).error}`);
      return;
    }
    await showEditForm(deps, client, { viewId: view.id, hash, ...team, userId: user.id, identityId });
  };

  app.action(EDIT_PICK_FIELD, async ({ ack, body, client }) => {
    await ack();
    const parsed = actionSchema.safeParse(body);
    await loadInto(client, body, parsed.success ? parsed.data.actions[0]?.selected_option?.value : undefined);
  });

  app.action(EDIT_RETRY_ACTION, async ({ ack, body, client }) => {
    await ack();
    const parsed = actionSchema.safeParse(body);
    await loadInto(client, body, parsed.success ? (parsed.data.actions[0]?.value ?? undefined) : undefined);
  });

  // The Edit button beside an identity in /identity list: a modal from the click's trigger, then the form.
  app.action(EDIT_OPEN_ACTION, async ({ ack, body, client, respond }) => {
    await ack();
    const parsed = actionSchema.safeParse(body);
    const team = parsed.success ? teamOf(parsed.data) : undefined;
    const identityId = parsed.success ? parsed.data.actions[0]?.value : undefined;
    if (!parsed.success || !team || !parsed.data.trigger_id || !identityId) {
      deps.logger.warn('Edit button click without a readable team, trigger or identity');
      return;
    }
    let opened: { id: string; hash: string | undefined };
    try {
      const result = await openView(client, { trigger_id: parsed.data.trigger_id, view: loadingView() });
      if (!result.view?.id) throw new Error('views.open returned no view');
      opened = { id: result.view.id, hash: result.view.hash };
    } catch (e) {
      const failure = describeSlackError(e);
      deps.logger.warn(`views.open for the Edit button failed: ${failure.error}`);
      await respond({ response_type: 'ephemeral', replace_original: false, text: viewsOpenFailureText(failure.error, '/identity edit') }).catch(() => {});
      return;
    }
    await showEditForm(deps, client, { viewId: opened.id, hash: opened.hash, ...team, userId: parsed.data.user.id, identityId });
  });

  // "Next" on the picker does what choosing does.
  app.view(EDIT_PICK_CALLBACK, async ({ ack, body, client }) => {
    const parsed = viewSubmissionSchema.safeParse(body);
    const team = parsed.success ? teamOf(parsed.data) : undefined;
    if (!parsed.success || !team) {
      await ack({ response_action: 'clear' });
      return;
    }
    const picked = z
      .object({ selected_option: z.object({ value: z.guid() }) })
      .safeParse(parsed.data.view.state.values[EDIT_PICK_FIELD]?.[EDIT_PICK_FIELD]);
    if (!picked.success) {
      await ack({ response_action: 'errors', errors: { [EDIT_PICK_FIELD]: 'Choose an identity of this workspace.' } });
      return;
    }
    await ack({ response_action: 'update', view: loadingView() });
    await showEditForm(deps, client, { viewId: parsed.data.view.id, hash: undefined, ...team, userId: parsed.data.user.id, identityId: picked.data.selected_option.value });
  });

  registerEditIdentitySubmission(app, deps);
}
