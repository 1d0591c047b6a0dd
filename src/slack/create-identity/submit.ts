import type { App } from '@slack/bolt';
import { createIdentity, type CreateIdentityOutcome } from '../../identities/create-identity.ts';
import { within } from '../ack-budget.ts';
import { slackChannelAccess } from '../channel-access.ts';
import type { SlackDeps } from '../deps.ts';
import { teamOf, viewSubmissionSchema } from '../payloads.ts';
import { describeSlackError } from '../slack-errors.ts';
import { readDraft, validateDraft } from './form.ts';
import { decodeMetadata } from './metadata.ts';
import { lateReplyFor, replyFor, TOKEN_UNREADABLE_TEXT, unexpectedErrorView, whyNotCreated } from './replies.ts';
import { CREATE_IDENTITY_CALLBACK, createIdentityModal, creatingView } from './views.ts';
import { checkFormSubmitter } from '../workspace/permissions.ts';
import { rememberPlatformWorkspace } from '../../workspaces/links.ts';
import { updateView } from '../web-api-calls.ts';

type Settled = { done: true; outcome: CreateIdentityOutcome } | { done: true; error: unknown };

export function registerCreateIdentitySubmission(app: App, deps: SlackDeps): void {
  app.view(CREATE_IDENTITY_CALLBACK, async ({ ack, body, client, logger }) => {
    const started = Date.now();
    const payload = viewSubmissionSchema.safeParse(body);
    const team = payload.success ? teamOf(payload.data) : undefined;
    if (!payload.success || !team) {
      logger.warn('create-identity submission without a readable team, user or view');
      await ack({ response_action: 'clear' });
      return;
    }
    const { view, user } = payload.data;
    const metadata = decodeMetadata(view.private_metadata);
    const privateMetadata = view.private_metadata ?? '';
    const draft = readDraft(view.state.values);

    const checked = validateDraft(draft);
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: checked.errors });
      return;
    }
    const submitter = await checkFormSubmitter(deps, client, team.teamId, user.id);
    if (!submitter.ok) {
      const view =
        submitter.reason === 'unexpected'
          ? unexpectedErrorView(draft, privateMetadata, metadata.origin)
          : createIdentityModal({ draft, notice: submitter.reason === 'denied' ? submitter.text : TOKEN_UNREADABLE_TEXT, privateMetadata, originChannelId: metadata.origin ?? undefined });
      await ack({ response_action: 'update', view });
      return;
    }
    const { link, token } = submitter;

    const work: Promise<Settled> = createIdentity(
      { db: deps.db, api: deps.api, tokenForTeam: async () => token, channels: slackChannelAccess(client), logger: deps.logger, wake: deps.wake, learnWorkspace: (id) => rememberPlatformWorkspace(deps.db, link, id) },
      { viewId: view.id, teamId: team.teamId, enterpriseId: team.enterpriseId, userId: user.id, ...checked.form },
    ).then(
      (outcome) => ({ done: true, outcome }),
      (error: unknown) => ({ done: true, error }),
    );

    const settled = await within(work, deps.ackBudgetMs - (Date.now() - started));
    if (settled) {
      if ('error' in settled) {
        deps.logger.error('creating an identity failed unexpectedly', settled.error);
        await ack({ response_action: 'update', view: unexpectedErrorView(draft, privateMetadata, metadata.origin) });
        return;
      }
      const reply = replyFor(settled.outcome, draft, privateMetadata, metadata.origin);
      if (reply.kind === 'errors') await ack({ response_action: 'errors', errors: reply.errors });
      else await ack({ response_action: 'update', view: reply.view });
      return;
    }

    // The platform is slower than Slack's deadline: show progress now, the outcome when it comes.
    await ack({ response_action: 'update', view: creatingView(privateMetadata) });
    const late = await work;
    let finalView;
    if ('error' in late) {
      deps.logger.error('creating an identity failed unexpectedly', late.error);
      finalView = unexpectedErrorView(draft, privateMetadata, metadata.origin);
    } else {
      finalView = lateReplyFor(late.outcome, draft, privateMetadata, metadata.origin);
    }
    try {
      await updateView(client, { view_id: view.id, view: finalView });
    } catch (e) {
      // The person closed the modal (or Slack failed): tell them in a direct message instead.
      deps.logger.warn(`could not update modal ${view.id} with the outcome: ${describeSlackError(e).error}`);
      const text =
        'error' in late
          ? 'Creating your email identity failed because of a problem on our side. Nothing was created; please run `/identity` again.'
          : late.outcome.ok
            ? `Your email identity *${late.outcome.identity.emailAddress}* is ready; drafts will be approved in <#${late.outcome.identity.approvalChannelId}>.`
            : late.outcome.code === 'not_saved'
              ? `${whyNotCreated(late.outcome)} Run \`/identity list\` to check.`
              : `Your email identity was not created. ${whyNotCreated(late.outcome)} Run \`/identity\` to try again.`;
      await client.chat.postMessage({ channel: user.id, text }).catch((err: unknown) => {
        deps.logger.error(`could not tell ${user.id} the outcome of creating an identity: ${describeSlackError(err).error}`);
      });
    }
  });
}
