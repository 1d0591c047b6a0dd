import type { types as slack } from '@slack/bolt';
import type { IdentityValues } from '../../identities/identity-values.ts';
import type { StoredIdentity } from '../../identities/store.ts';
import { channelMention, context, escapeMrkdwn, plain, section, userMention } from '../blocks/text.ts';
import { infoModal, type FormDraft } from '../create-identity/views.ts';

/** The picker `/identity edit` opens; choosing an identity replaces it with the form. */
export const EDIT_PICK_CALLBACK = 'identity_edit_pick';
export const EDIT_PICK_FIELD = 'identity_pick';
/** "Try again" after the current values could not be read. */
export const EDIT_RETRY_ACTION = 'identity_edit_retry';
/** The Edit button beside each identity in `/identity list`. */
export const EDIT_OPEN_ACTION = 'identity_edit_open';

const TITLE = 'Edit email identity';

export function pickerModal(): slack.ModalView {
  return {
    type: 'modal',
    callback_id: EDIT_PICK_CALLBACK,
    title: plain(TITLE, 24),
    submit: plain('Next', 24),
    close: plain('Cancel', 24),
    blocks: [
      {
        type: 'input',
        block_id: EDIT_PICK_FIELD,
        // Choosing one is enough: the form replaces the picker at once.
        dispatch_action: true,
        label: plain('Identity'),
        hint: plain('Type part of the address or the name to find it.'),
        element: { type: 'external_select', action_id: EDIT_PICK_FIELD, min_query_length: 0, placeholder: plain('Choose an identity') },
      },
    ],
  };
}

export function loadingView(): slack.ModalView {
  return infoModal(TITLE, [
    section(':hourglass_flowing_sand: *Reading the current values…*'),
    context('From the platform, so the form shows what it holds now.'),
  ]);
}

/** Why the form is not shown; with a way to try again when the platform may answer next time. */
export function loadFailedView(text: string, retryIdentityId?: string): slack.ModalView {
  const blocks: slack.KnownBlock[] = [section(text)];
  if (retryIdentityId) {
    blocks.push({ type: 'actions', block_id: EDIT_RETRY_ACTION, elements: [{ type: 'button', action_id: EDIT_RETRY_ACTION, text: plain('Try again', 75), value: retryIdentityId }] });
  }
  return infoModal(TITLE, blocks);
}

export function savingView(privateMetadata: string): slack.ModalView {
  return infoModal(
    TITLE,
    [
      section(':hourglass_flowing_sand: *Saving the changes…*'),
      context('The platform is taking a moment. This window updates by itself; you can also close it and I will message you the result.'),
    ],
    privateMetadata,
  );
}

export function savedView(input: { identity: StoredIdentity; changedLabels: string[]; moved: boolean }): slack.ModalView {
  const { identity } = input;
  const approvers =
    identity.approverUserIds.length > 0 ? `Only ${identity.approverUserIds.map(userMention).join(', ')} may approve.` : 'Anyone in the channel may approve.';
  const blocks: slack.KnownBlock[] = [
    section(`:white_check_mark: *${escapeMrkdwn(identity.emailAddress)}* is saved.`),
    section(
      input.changedLabels.length > 0
        ? `Changed: ${input.changedLabels.join(', ')}.`
        : 'The platform already held these values, so nothing else needed to change.',
    ),
    section(`Drafted replies are posted in ${channelMention(identity.approvalChannelId)} for approval. ${approvers}`),
  ];
  if (input.moved) blocks.push(context('Drafts already posted in the old channel stay there; new ones come to the new channel. Both channels get a note.'));
  return infoModal('Identity saved', blocks);
}

/** The form's entries for an identity's current values. */
export function draftOf(values: IdentityValues, assistantLabel: string | undefined): FormDraft {
  return {
    displayName: values.displayName,
    assistant: values.assistantId ? { value: values.assistantId, label: assistantLabel ?? 'Current assistant' } : undefined,
    approvalChannelId: values.approvalChannelId,
    approverUserIds: values.approverUserIds,
    requiredApprovals: String(values.settings.requiredApprovals),
    remindAfter: values.settings.remindAfterMinutes === null ? undefined : String(values.settings.remindAfterMinutes),
    escalationUserIds: values.settings.escalationUserIds,
    undoSeconds: String(values.settings.undoSeconds),
    replyTo: values.replyTo ?? undefined,
    threadDepth: String(values.threadDepth),
    signatureText: values.signatureText ?? undefined,
    signatureHtml: values.signatureHtml ?? undefined,
  };
}
