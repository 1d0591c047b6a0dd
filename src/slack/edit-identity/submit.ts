import type { App } from '@slack/bolt';
import { editIdentity, type EditIdentityOutcome } from '../../identities/edit-identity.ts';
import { within } from '../ack-budget.ts';
import { slackChannelAccess } from '../channel-access.ts';
import { readDraft, validateEditDraft } from '../create-identity/form.ts';
import { tokenUnreadableText } from '../create-identity/replies.ts';
import { createIdentityModal, EDIT_IDENTITY_CALLBACK } from '../create-identity/views.ts';
import type { SlackDeps } from '../deps.ts';
import { teamOf, viewSubmissionSchema } from '../payloads.ts';
import { describeSlackError } from '../slack-errors.ts';
import { updateView } from '../web-api-calls.ts';
import { checkFormSubmitter } from '../workspace/permissions.ts';
import { decodeEditMetadata } from './metadata.ts';
import { editOutcomeText, editReplyFor, lateEditReplyFor } from './replies.ts';
import { loadFailedView, savingView } from './views.ts';

type Settled = { outcome: EditIdentityOutcome } | { error: unknown };

const UNEXPECTED_TEXT = 'Something went wrong on our side, so nothing was changed. Your entries are kept: press Save to try again.';

/**
 * The edit form's submission: checked like creation's, then one PATCH with what changed.
 * A platform slower than Slack's deadline gets "Saving…" and the outcome after it.
 */
export function registerEditIdentitySubmission(app: App, deps: SlackDeps): void {
  app.view(EDIT_IDENTITY_CALLBACK, async ({ ack, body, client }) => {
    const started = Date.now();
    const payload = viewSubmissionSchema.safeParse(body);
    const team = payload.success ? teamOf(payload.data) : undefined;
    if (!payload.success || !team) {
      deps.logger.warn('edit-identity submission without a readable team, user or view');
      await ack({ response_action: 'clear' });
      return;
    }
    const { view, user } = payload.data;
    const privateMetadata = view.private_metadata ?? '';
    const metadata = decodeEditMetadata(view.private_metadata);
    if (!metadata) {
      await ack({ response_action: 'update', view: loadFailedView('This form cannot be saved (it does not say which identity it edits). Nothing was changed; run `/identity edit` again.') });
      return;
    }
    const draft = readDraft(view.state.values);
    const form = (notice?: string) => createIdentityModal({ draft, notice, editing: { emailAddress: metadata.email }, privateMetadata });

    const checked = validateEditDraft(draft);
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: checked.errors });
      return;
    }
    const submitter = await checkFormSubmitter(deps, client, team.teamId, user.id);
    if (!submitter.ok) {
      await ack({ response_action: 'update', view: form(submitter.reason === 'unexpected' ? UNEXPECTED_TEXT : submitter.reason === 'denied' ? submitter.text : tokenUnreadableText('edit')) });
      return;
    }
    const { token } = submitter;

    const work: Promise<Settled> = editIdentity(
      {
        db: deps.db,
        api: deps.api,
        tokenForTeam: async () => token,
        channels: slackChannelAccess(client),
        logger: deps.logger,
        wake: deps.wake,
        cache: deps.identityCache,
      },
      { viewId: view.id, teamId: team.teamId, enterpriseId: team.enterpriseId, userId: user.id, identityId: metadata.id, values: checked.values, shown: metadata.shown },
    ).then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ error }),
    );

    const settled = await within(work, deps.ackBudgetMs - (Date.now() - started));
    if (settled) {
      if ('error' in settled) {
        deps.logger.error('editing an identity failed unexpectedly', settled.error);
        await ack({ response_action: 'update', view: form(UNEXPECTED_TEXT) });
        return;
      }
      const reply = editReplyFor(settled.outcome, form, privateMetadata);
      if (reply.kind === 'errors') await ack({ response_action: 'errors', errors: reply.errors });
      else await ack({ response_action: 'update', view: reply.view });
      return;
    }

    // The platform is slower than Slack's deadline: show progress now, the outcome when it comes.
    await ack({ response_action: 'update', view: savingView(privateMetadata) });
    const late = await work;
    if ('error' in late) deps.logger.error('editing an identity failed unexpectedly', late.error);
    const finalView = 'error' in late ? form(UNEXPECTED_TEXT) : lateEditReplyFor(late.outcome, form, privateMetadata);
    try {
      await updateView(client, { view_id: view.id, view: finalView });
    } catch (e) {
      // The person closed the modal (or Slack failed): tell them in a direct message instead.
      deps.logger.warn(`could not update modal ${view.id} with the outcome: ${describeSlackError(e).error}`);
      const text = 'error' in late ? 'Saving your changes failed because of a problem on our side. Nothing was changed; please run `/identity edit` again.' : editOutcomeText(late.outcome, metadata.email);
      await client.chat.postMessage({ channel: user.id, text }).catch((err: unknown) => {
        deps.logger.error(`could not tell ${user.id} the outcome of editing an identity: ${describeSlackError(err).error}`);
      });
    }
  });
}
