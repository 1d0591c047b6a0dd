import type { types as slack } from '@slack/bolt';
import type { ApiField, CreateIdentityOutcome } from '../../identities/create-identity.ts';
import type { EditIdentityOutcome } from '../../identities/edit-identity.ts';
import type { FieldErrors } from './form.ts';
import { escapeMrkdwn } from '../blocks/text.ts';
import { blockedView, createIdentityModal, createdView, creatingView, Field, type FieldId, type FormDraft } from './views.ts';

/** How to answer a submission: field errors, or a view to show in the modal's place. */
export type SubmissionReply = { kind: 'errors'; errors: FieldErrors } | { kind: 'view'; view: slack.ModalView };

const FIELD_OF_API: Record<ApiField, FieldId> = {
  domain_id: Field.domain,
  local_part: Field.localPart,
  display_name: Field.displayName,
  assistant_id: Field.assistant,
  reply_to_email: Field.replyTo,
  signature_text: Field.signatureText,
  signature_html: Field.signatureHtml,
  thread_history_depth: Field.threadDepth,
  approval_channel: Field.approvalChannel,
  'approval_channel.channel_id': Field.approvalChannel,
  'approval_channel.approver_user_ids': Field.approvers,
  'approval_channel.required_approvals': Field.requiredApprovals,
  'approval_channel.remind_after_minutes': Field.remindAfter,
  'approval_channel.escalation_user_ids': Field.escalateTo,
  'approval_channel.undo_seconds': Field.undoSeconds,
};

const FIELD_LABEL: Record<FieldId, string> = {
  domain: 'Domain',
  local_part: 'Address',
  display_name: 'Display name',
  assistant: 'Assistant',
  approval_channel: 'Approval channel',
  approvers: 'Approvers',
  required_approvals: 'Approvals required',
  remind_after: 'Remind after (minutes)',
  escalate_to: 'Escalate to',
  undo_seconds: 'Undo window (seconds)',
  reply_to: 'Reply-to address',
  thread_depth: 'Thread history depth',
  signature_text: 'Signature (plain text)',
  signature_html: 'Signature (HTML)',
};

/** Which form a reply is for: the words differ ("created", "Create"), the rules do not. */
export type FormKind = 'create' | 'edit';
const NOTHING = { create: 'nothing can be created', edit: 'no identity can be changed' } as const;
const NOTHING_DONE = { create: 'Nothing was created.', edit: 'Nothing was changed.' } as const;
const BUTTON = { create: 'Create', edit: 'Save' } as const;

export const tokenMissingText = (form: FormKind) =>
  `This Slack workspace is not connected to a platform workspace yet, so ${NOTHING[form]}. ` +
  'Ask the person who runs this app to set `IDENTITIES_API_TOKEN` (or a workspace admin to run `/identity connect`).';

export const tokenUnreadableText = (form: FormKind) =>
  `This workspace’s stored platform API token cannot be decrypted with the app’s current keys, so ${NOTHING[form]}. ` +
  'Ask the person who runs this app to put the old key back in `TOKEN_ENCRYPTION_KEY` (after the new one), or a workspace admin to run `/identity connect` again.';

export const tokenRejectedText = (form: FormKind) =>
  `The platform refused this workspace’s API token: it is missing or revoked. ${NOTHING_DONE[form]} ` +
  'Ask the person who runs this app to put a valid token in `IDENTITIES_API_TOKEN` (or a workspace admin to run `/identity connect` with a new token), then try again.';

export const TOKEN_MISSING_TEXT = tokenMissingText('create');
export const TOKEN_UNREADABLE_TEXT = tokenUnreadableText('create');
export const TOKEN_REJECTED_TEXT = tokenRejectedText('create');

const channelText = (reason: 'not_visible' | 'private_not_member' | 'archived' | 'slack_error', form: FormKind): string => {
  const button = BUTTON[form];
  switch (reason) {
    case 'not_visible':
      return `I can’t see that channel. If it is private, invite me first (type \`/invite @\` and my name in the channel), then press ${button} again.`;
    case 'private_not_member':
      return `That channel is private and I am not in it. Invite me first (type \`/invite @\` and my name in the channel), then press ${button} again.`;
    case 'archived':
      return 'That channel is archived. Choose another one.';
    case 'slack_error':
      return `Slack would not let me join that channel. Choose another one, or invite me to it and press ${button} again.`;
  }
};

/** The failures both forms share, and how they are answered. */
export type SharedFailure = Extract<
  CreateIdentityOutcome | EditIdentityOutcome,
  { code: 'token_missing' | 'token_rejected' | 'channel_unusable' | 'not_found' | 'rejected' | 'unavailable' | 'not_saved' }
>;

/**
 * Field errors where the problem belongs to a field, otherwise a notice to show above
 * the form (which keeps the entries). Creation and editing answer alike.
 */
export function sharedFailureReply(outcome: SharedFailure, form: FormKind): { kind: 'errors'; errors: FieldErrors } | { kind: 'notice'; notice: string } {
  const button = BUTTON[form];
  switch (outcome.code) {
    case 'token_missing':
      return { kind: 'notice', notice: tokenMissingText(form) };
    case 'token_rejected':
      return { kind: 'notice', notice: tokenRejectedText(form) };
    case 'channel_unusable':
      return { kind: 'errors', errors: { approval_channel: channelText(outcome.reason, form) } };
    case 'not_found': {
      const field = outcome.field === 'assistant_id' ? Field.assistant : Field.domain;
      const what = outcome.field === 'assistant_id' ? 'That assistant' : 'That domain';
      return { kind: 'errors', errors: { [field]: `${what} no longer exists in this workspace. Choose another one.` } };
    }
    case 'rejected': {
      const errors: FieldErrors = {};
      for (const [apiField, msg] of Object.entries(outcome.fields) as [ApiField, string][]) {
        const field = FIELD_OF_API[apiField];
        errors[field] = errors[field] ? `${errors[field]} ${msg}` : msg;
      }
      if (outcome.general.length === 0 && Object.keys(errors).length > 0) return { kind: 'errors', errors };
      const what = form === 'create' ? 'this identity' : 'these changes';
      return { kind: 'notice', notice: `The platform refused ${what}: ${escapeMrkdwn([...Object.entries(errors).map(([f, m]) => `${FIELD_LABEL[f as FieldId]}: ${m}`), ...outcome.general].join('; ').slice(0, 2000))}` };
    }
    case 'unavailable':
      return { kind: 'notice', notice: `The platform did not answer (${outcome.detail.replace('_', ' ')}), so ${form === 'create' ? 'the identity was not created' : 'nothing was changed'}. Your entries are kept: press ${button} to try again.` };
    case 'not_saved':
      return form === 'create'
        ? { kind: 'notice', notice: 'The identity was created on the platform but I could not save it here. Press Create again to finish; it will not be created twice.' }
        : { kind: 'notice', notice: 'The platform has the changes, but I could not save them here. Press Save again to finish.' };
  }
}

/** The labels of form fields, for lists of problems above a form. */
export const fieldLabel = (field: FieldId): string => FIELD_LABEL[field];

/** The answer for one outcome: field errors where the problem belongs to a field, otherwise a view. */
export function replyFor(outcome: CreateIdentityOutcome, draft: FormDraft, privateMetadata: string, origin: string | null): SubmissionReply {
  const formWith = (notice: string) => ({
    kind: 'view' as const,
    view: createIdentityModal({ draft, notice, privateMetadata, originChannelId: origin ?? undefined }),
  });
  if (outcome.ok) {
    return {
      kind: 'view',
      view: createdView({
        emailAddress: outcome.identity.emailAddress,
        channelId: outcome.identity.approvalChannelId,
        approverUserIds: outcome.identity.approverUserIds,
      }),
    };
  }
  switch (outcome.code) {
    case 'in_progress':
      return { kind: 'view', view: creatingView(privateMetadata) };
    case 'address_taken':
      return { kind: 'errors', errors: { local_part: `${whyNotCreated(outcome)} Choose another one.` } };
    default: {
      const reply = sharedFailureReply(outcome, 'create');
      return reply.kind === 'errors' ? reply : formWith(reply.notice);
    }
  }
}

/**
 * Why an identity was not created, in a sentence or two: the modal adds what to do in
 * the form, the direct message (when the modal was closed) says to run /identity again.
 */
export function whyNotCreated(outcome: Exclude<CreateIdentityOutcome, { ok: true }>): string {
  switch (outcome.code) {
    case 'in_progress':
      return 'It is still being created.';
    case 'token_missing':
      return TOKEN_MISSING_TEXT;
    case 'token_rejected':
      return TOKEN_REJECTED_TEXT;
    case 'channel_unusable':
      return channelText(outcome.reason, 'create');
    case 'address_taken':
      return 'That address already exists.';
    case 'not_found':
      return outcome.field === 'assistant_id' ? 'That assistant no longer exists in this workspace.' : 'That domain no longer exists in this workspace.';
    case 'rejected':
      return 'The platform refused the details you entered.';
    case 'unavailable':
      return `The platform did not answer (${outcome.detail.replace('_', ' ')}), so the identity was not created.`;
    case 'not_saved':
      return 'The identity was created on the platform but I could not save it here.';
  }
}

/**
 * After the modal has switched to "creating…", field errors can no longer be attached
 * to fields; show the form again with the problems listed at the top.
 */
export function lateReplyFor(outcome: CreateIdentityOutcome, draft: FormDraft, privateMetadata: string, origin: string | null): slack.ModalView {
  const reply = replyFor(outcome, draft, privateMetadata, origin);
  return reply.kind === 'view' ? reply.view : formErrorsView(reply.errors, draft, privateMetadata, origin);
}

export function formErrorsView(errors: FieldErrors, draft: FormDraft, privateMetadata: string, origin: string | null): slack.ModalView {
  const lines = Object.entries(errors).map(([f, m]) => `${FIELD_LABEL[f as FieldId]}: ${m}`);
  return createIdentityModal({ draft, notice: lines.join('\n'), privateMetadata, originChannelId: origin ?? undefined });
}

export function unexpectedErrorView(draft: FormDraft, privateMetadata: string, origin: string | null): slack.ModalView {
  return createIdentityModal({
    draft,
    notice: 'Something went wrong on our side, so the identity was not created. Your entries are kept: press Create to try again.',
    privateMetadata,
    originChannelId: origin ?? undefined,
  });
}

export { blockedView };
