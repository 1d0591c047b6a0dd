import type { types as slack } from '@slack/bolt';
import type { EditIdentityOutcome } from '../../identities/edit-identity.ts';
import type { EditableField } from '../../identities/identity-values.ts';
import { escapeMrkdwn } from '../blocks/text.ts';
import { fieldLabel, sharedFailureReply, type SubmissionReply } from '../create-identity/replies.ts';
import { Field, type FieldId } from '../create-identity/views.ts';
import { loadFailedView, savedView, savingView } from './views.ts';

const FIELD_OF_EDITABLE: Record<EditableField, FieldId> = {
  display_name: Field.displayName,
  assistant_id: Field.assistant,
  reply_to_email: Field.replyTo,
  signature_text: Field.signatureText,
  signature_html: Field.signatureHtml,
  thread_history_depth: Field.threadDepth,
  channel_id: Field.approvalChannel,
  approver_user_ids: Field.approvers,
  required_approvals: Field.requiredApprovals,
  remind_after_minutes: Field.remindAfter,
  escalation_user_ids: Field.escalateTo,
  undo_seconds: Field.undoSeconds,
};

/** The form's labels of changed fields, for the success view and messages. */
export const labelsOf = (fields: readonly EditableField[]): string[] => fields.map((f) => fieldLabel(FIELD_OF_EDITABLE[f]));

export const GONE_TEXT = 'This identity no longer exists on the platform workspace of this Slack workspace, so there is nothing to edit. Nothing was changed.';
export const OTHER_TEAM_TEXT = 'This identity’s drafts are approved outside this Slack workspace, so it cannot be edited from here. Nothing was changed.';
export const UNCHANGED_TEXT = 'Nothing was changed, so nothing was saved. Change a field and press Save, or close this window.';

/**
 * The answer for one outcome: field errors where the problem belongs to a field, the form
 * again (entries kept) with a notice above it, or a view in the form's place.
 */
export function editReplyFor(outcome: EditIdentityOutcome, form: (notice: string) => slack.ModalView, privateMetadata: string): SubmissionReply {
  if (outcome.ok) return { kind: 'view', view: savedView({ identity: outcome.identity, changedLabels: labelsOf(outcome.changed), moved: outcome.moved }) };
  switch (outcome.code) {
    case 'unchanged':
      return { kind: 'view', view: form(UNCHANGED_TEXT) };
    case 'in_progress':
      return { kind: 'view', view: savingView(privateMetadata) };
    case 'gone':
      return { kind: 'view', view: loadFailedView(GONE_TEXT) };
    case 'other_team':
      return { kind: 'view', view: loadFailedView(OTHER_TEAM_TEXT) };
    case 'conflict':
      return { kind: 'view', view: form(`The platform refused the change: ${escapeMrkdwn(outcome.detail.slice(0, 500))}. Nothing was changed; your entries are kept: press Save to try again.`) };
    default: {
      const reply = sharedFailureReply(outcome, 'edit');
      return reply.kind === 'errors' ? reply : { kind: 'view', view: form(reply.notice) };
    }
  }
}

/** After "Saving…", field errors can no longer sit on their fields: the form again, with them listed above it. */
export function lateEditReplyFor(outcome: EditIdentityOutcome, form: (notice: string) => slack.ModalView, privateMetadata: string): slack.ModalView {
  const reply = editReplyFor(outcome, form, privateMetadata);
  if (reply.kind === 'view') return reply.view;
  return form(Object.entries(reply.errors).map(([f, m]) => `${fieldLabel(f as FieldId)}: ${m}`).join('\n'));
}

/** For a direct message when the modal was closed before a slow save finished. */
export function editOutcomeText(outcome: EditIdentityOutcome, emailAddress: string): string {
  const address = `*${escapeMrkdwn(emailAddress)}*`;
  if (outcome.ok) {
    const changed = labelsOf(outcome.changed);
    return `Your changes to ${address} are saved${changed.length > 0 ? ` (${changed.join(', ')})` : ''}; drafts are approved in <#${outcome.identity.approvalChannelId}>.`;
  }
  if (outcome.code === 'not_saved') return `The platform has your changes to ${address}, but I could not save them here. Run \`/identity edit\` and save again to finish.`;
  return `Your changes to ${address} were not saved. Run \`/identity edit\` to try again.`;
}
