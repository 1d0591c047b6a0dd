import type { App, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { checkDecider, decide, type Decision } from '../../approvals/decide.ts';
import { ApprovalAction, EDIT_DRAFT_CALLBACK, EditDraftField, REJECT_CALLBACK, RejectField } from '../blocks/approval-ids.ts';
import { editDraftModal, fullDraftModal, noticeModal, rejectModal } from '../blocks/approval-modals.ts';
import { effectiveDraft } from '../../approvals/view.ts';
import { findApproval } from '../../approvals/store.ts';
import type { Database } from '../../db/client.ts';
import type { Logger } from '../../logger.ts';
import type { ApprovalMetrics } from '../../approvals/ports.ts';
import { payloadParties, teamOf } from '../payloads.ts';
import { describeSlackError } from '../slack-errors.ts';
import { refusalText } from './refusals.ts';
import { openView } from '../web-api-calls.ts';

export interface ApprovalListenerDeps {
  db: Database;
  logger: Logger;
  wake: () => void;
  metrics: Pick<ApprovalMetrics, 'decided'>;
}

const buttonClick = z.object({
  ...payloadParties,
  trigger_id: z.string(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(100).optional() })).min(1),
});

const modalMetadata = z.object({ approvalId: z.string().min(1).max(100) });

const submission = z.object({
  ...payloadParties,
  view: z.object({
    private_metadata: z.string().default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }).partial())) }),
  }),
});

function readMetadata(raw: string): string | undefined {
  try {
    const parsed = modalMetadata.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data.approvalId : undefined;
  } catch {
    return undefined;
  }
}

type Respond = (message: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>;

export function registerApprovalListeners(app: App, deps: ApprovalListenerDeps): void {
  const tellPrivately = async (respond: Respond | undefined, text: string) => {
    // A payload without a response_url (forged, or not from a message) leaves no way to answer privately.
    if (typeof respond !== 'function') return deps.logger.warn(`could not answer privately (no response_url): ${text}`);
    await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((e: unknown) => deps.logger.warn(`could not answer privately: ${describeSlackError(e).error}`));
  };

  /** A failure after the ack still ends in a private note, never in silence. */
  const guarded = async (respond: Respond | undefined, what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (e) {
      deps.logger.error(`${what} failed`, e);
      await tellPrivately(respond, 'Something went wrong on our side. If you made a decision, it may not have been saved: please look at the message and try again.');
    }
  };

  /** Parses a button click into who clicked what; undefined for a payload we cannot read. */
  const clickOf = (body: unknown) => {
    const parsed = buttonClick.safeParse(body);
    if (!parsed.success) return undefined;
    const team = teamOf(parsed.data);
    const approvalId = parsed.data.actions[0]?.value;
    if (!team || !approvalId) return undefined;
    return { teamId: team.teamId, userId: parsed.data.user.id, approvalId, triggerId: parsed.data.trigger_id };
  };

  app.action(ApprovalAction.approve, async ({ ack, body, respond }) => {
    await ack();
    const click = clickOf(body);
    if (!click) return tellPrivately(respond, 'Slack sent a click I could not read; nothing was changed.');
    await guarded(respond, 'approve', async () => {
      const outcome = await decide(deps, click, { decision: 'approve', editedDraft: null });
      if (!outcome.ok) await tellPrivately(respond, refusalText(outcome));
    });
  });

  app.action(ApprovalAction.reject, async ({ ack, body, client, respond }) => {
    await ack();
    const click = clickOf(body);
    if (!click) return tellPrivately(respond, 'Slack sent a click I could not read; nothing was changed.');
    await guarded(respond, 'reject', async () => {
      const check = await checkDecider(deps.db, click);
      if (!check.ok) return tellPrivately(respond, refusalText(check));
      await openView(client, { trigger_id: click.triggerId, view: rejectModal({ approvalId: click.approvalId, privateMetadata: JSON.stringify({ approvalId: click.approvalId }) }) })
        .catch((e: unknown) => tellPrivately(respond, `Slack could not open the reject form (${describeSlackError(e).error}). Please click Reject again.`));
    });
  });

  app.action(ApprovalAction.edit, async ({ ack, body, client, respond }) => {
    await ack();
    const click = clickOf(body);
    if (!click) return tellPrivately(respond, 'Slack sent a click I could not read; nothing was changed.');
    await guarded(respond, 'edit', async () => {
      const check = await checkDecider(deps.db, click);
      if (!check.ok) return tellPrivately(respond, refusalText(check));
      const view = editDraftModal({ approvalId: click.approvalId, draft: effectiveDraft(check.approval), privateMetadata: JSON.stringify({ approvalId: click.approvalId }) });
      await openView(client, { trigger_id: click.triggerId, view })
        .catch((e: unknown) => tellPrivately(respond, `Slack could not open the editor (${describeSlackError(e).error}). Please click Edit again.`));
    });
  });

  app.action(ApprovalAction.viewDraft, async ({ ack, body, client, respond }) => {
    await ack();
    const click = clickOf(body);
    if (!click) return;
    await guarded(respond, 'view draft', async () => {
      const approval = await findApproval(deps.db, click.approvalId);
      if (!approval || approval.teamId !== click.teamId) return tellPrivately(respond, 'I cannot show this draft here.');
      await openView(client, { trigger_id: click.triggerId, view: fullDraftModal({ approvalId: approval.id, draft: effectiveDraft(approval) }) })
        .catch((e: unknown) => tellPrivately(respond, `Slack could not open the draft (${describeSlackError(e).error}). Please try again.`));
    });
  });

  /** Shared by the edit and reject modals: decide, then close the modal or say why not. */
  const submitDecision = (
    toDecision: (values: Record<string, Record<string, { value?: string | null | undefined }>>, original: { subject: string } | undefined) => Decision | { errors: Record<string, string> },
  ) =>
    async ({ ack, body }: SlackViewMiddlewareArgs) => {
      const parsed = submission.safeParse(body);
      const team = parsed.success ? teamOf(parsed.data) : undefined;
      const approvalId = parsed.success ? readMetadata(parsed.data.view.private_metadata) : undefined;
      if (!parsed.success || !team || !approvalId) {
        await ack({ response_action: 'update', view: noticeModal('Not saved', 'Slack sent a form I could not read; nothing was changed. Please try again from the message.') });
        return;
      }
      const approval = await findApproval(deps.db, approvalId).catch(() => undefined);
      const decision = toDecision(parsed.data.view.state.values, approval ? effectiveDraft(approval) : undefined);
      if ('errors' in decision) {
        await ack({ response_action: 'errors', errors: decision.errors });
        return;
      }
      let outcome;
      try {
        outcome = await decide(deps, { approvalId, teamId: team.teamId, userId: parsed.data.user.id }, decision);
      } catch (e) {
        deps.logger.error('deciding from a modal failed', e);
        await ack({ response_action: 'update', view: noticeModal('Not saved', 'Something went wrong on our side and your decision was not saved. Close this and try again from the message.') });
        return;
      }
      if (outcome.ok) await ack({ response_action: 'clear' });
      else await ack({ response_action: 'update', view: noticeModal('Nothing changed', refusalText(outcome)) });
    };

  app.view(
    EDIT_DRAFT_CALLBACK,
    submitDecision((values, original) => {
      // A cleared subject keeps the draft's: an email with no subject is rarely what was meant.
      const subject = values[EditDraftField.subject]?.[EditDraftField.subject]?.value?.trim() || original?.subject || '';
      const text = values[EditDraftField.text]?.[EditDraftField.text]?.value ?? '';
      if (text.trim() === '') return { errors: { [EditDraftField.text]: 'The reply cannot be empty. To not send anything, use Reject.' } };
      return { decision: 'approve', editedDraft: { subject, text } };
    }),
  );

  app.view(
    REJECT_CALLBACK,
    submitDecision((values) => {
      const reason = values[RejectField.reason]?.[RejectField.reason]?.value?.trim() ?? '';
      return { decision: 'reject', reason: reason === '' ? null : reason };
    }),
  );
}
