import type { App } from '@slack/bolt';
import { createIdentity, type CreateIdentityOutcome } from '../../identities/create-identity.ts';
import { slackChannelGateway } from '../channel-gateway.ts';
import type { SlackDeps } from '../deps.ts';
import { teamOf, viewSubmissionSchema } from '../payloads.ts';
import { describeSlackError } from '../slack-errors.ts';
import { readDraft, validateDraft } from './form.ts';
import { decodeMetadata } from './metadata.ts';
import { lateReplyFor, replyFor, TOKEN_UNREADABLE_TEXT, unexpectedErrorView } from './replies.ts';
import { CREATE_IDENTITY_CALLBACK, createIdentityModal, creatingView } from './views.ts';
import { mayCreateIdentities } from '../workspace/permissions.ts';
import { findLink, rememberPlatformWorkspace, tokenStatusOfLink } from '../../workspaces/links.ts';
import { updateView } from '../web-api-calls.ts';

type Settled = { done: true; outcome: CreateIdentityOutcome } | { done: true; error: unknown };

/** Resolves with the work's result, or with undefined when the budget runs out first. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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
    // Checked again, from the database: the setting or the token may have changed since the
    // modal opened (on another instance too), or the request be forged.
    const link = await findLink(deps.db, team.teamId).then(
      (found) => ({ found }),
      (e: unknown) => {
        deps.logger.error('reading the workspace link failed', e);
        return undefined;
      },
    );
    const allowed = link && (await mayCreateIdentities(link.found, client, user.id));
    if (!allowed) {
      await ack({ response_action: 'update', view: unexpectedErrorView(draft, privateMetadata, metadata.origin) });
      return;
    }
    if (!allowed.ok) {
      await ack({ response_action: 'update', view: createIdentityModal({ draft, notice: allowed.text, privateMetadata, originChannelId: metadata.origin ?? undefined }) });
      return;
    }

    const token = tokenStatusOfLink(link.found, deps.workspace);
    if ('unreadable' in token) {
      await ack({ response_action: 'update', view: createIdentityModal({ draft, notice: TOKEN_UNREADABLE_TEXT, privateMetadata, originChannelId: metadata.origin ?? undefined }) });
      return;
    }

    const work: Promise<Settled> = createIdentity(
      { db: deps.db, api: deps.api, tokenForTeam: async () => ('token' in token ? token.token : undefined), channels: slackChannelGateway(client), logger: deps.logger, wake: deps.wake, learnWorkspace: (id) => rememberPlatformWorkspace(deps.db, link.found, id) },
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
            : `Your email identity was not created: ${summary(late.outcome)} Run \`/identity\` to try again.`;
      await client.chat.postMessage({ channel: user.id, text }).catch((err: unknown) => {
        deps.logger.error(`could not tell ${user.id} the outcome of creating an identity: ${describeSlackError(err).error}`);
      });
    }
  });
}

function summary(outcome: CreateIdentityOutcome): string {
  if (outcome.ok) return '';
  switch (outcome.code) {
    case 'address_taken':
      return 'that address already exists.';
    case 'token_missing':
    case 'token_rejected':
      return 'this workspace’s platform API token is missing or revoked.';
    case 'channel_unusable':
      return 'I could not post in the approval channel you chose (invite me to it if it is private).';
    case 'not_found':
      return outcome.field === 'assistant_id' ? 'that assistant no longer exists.' : 'that domain no longer exists.';
    case 'rejected':
      return 'the platform refused the details you entered.';
    case 'unavailable':
      return 'the platform did not answer in time.';
    case 'not_saved':
      return 'it was created on the platform but could not be saved here; run `/identity list` to check.';
    case 'in_progress':
      return 'it is still being created.';
  }
}
