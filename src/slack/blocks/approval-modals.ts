// The modals an approval's buttons open: the full draft, the edit form, the reject
// reason, and notices. Pure functions of data, within Slack's view limits.
import type { types as slack } from '@slack/bolt';
import type { EmailMessage } from '../../approvals/view.ts';
import { APPROVAL_LIMITS, ApprovalBlock, DRAFT_TOO_LONG_CALLBACK, EDIT_DRAFT_CALLBACK, EditDraftField, FULL_DRAFT_CALLBACK, NOTICE_CALLBACK, REJECT_CALLBACK, RejectField } from './approval-ids.ts';
import { contextMd, draftMetaLines, recipientList, sectionMd, truncationNote } from './mail-blocks.ts';
import { codePointsFrom, count, isBlank, splitEscaped, utf8Bytes } from './text-fitting.ts';
import { clip, plain } from './text.ts';

function modal(o: {
  title: string;
  blocks: slack.KnownBlock[];
  callbackId: string;
  close?: string;
  submit?: string;
  privateMetadata?: string;
}): slack.ModalView {
  if (o.privateMetadata !== undefined && o.privateMetadata.length > 3000) {
    throw new RangeError(`private_metadata is ${o.privateMetadata.length} chars; Slack allows 3000`);
  }
  return {
    type: 'modal',
    callback_id: o.callbackId,
    title: plain(clip(o.title, 24), 24),
    close: plain(o.close ?? 'Close', 24),
    ...(o.submit ? { submit: plain(o.submit, 24) } : {}),
    ...(o.privateMetadata !== undefined ? { private_metadata: o.privateMetadata } : {}),
    blocks: o.blocks,
  };
}

/**
 * The whole draft, split across up to 95 sections and kept under 230 kB of
 * JSON (Slack refuses views over 250 kB); beyond that a note says how much is missing.
 */
export function fullDraftModal(v: { approvalId: string; draft: EmailMessage }): slack.ModalView {
  const L = APPROVAL_LIMITS;
  const meta = sectionMd(draftMetaLines(v.draft).join('\n'));
  const split = splitEscaped(v.draft.text, { chunk: L.sectionChunk, maxChunks: L.modalBodySections, total: Number.POSITIVE_INFINITY });
  const base = modal({ title: 'Full draft', callbackId: FULL_DRAFT_CALLBACK, blocks: [meta, truncationNote(codePointsFrom(v.draft.text))] });
  let bytes = utf8Bytes(JSON.stringify(base));
  const body: slack.KnownBlock[] = [];
  let shownEnd = 0;
  for (const [i, chunk] of split.chunks.entries()) {
    const end = split.ends[i] ?? shownEnd;
    if (isBlank(chunk)) {
      shownEnd = end;
      continue;
    }
    const block = sectionMd(chunk, `${ApprovalBlock.draftBody}_${i}`);
    const size = utf8Bytes(JSON.stringify(block)) + 1;
    if (bytes + size > L.modalBytes) break;
    body.push(block);
    bytes += size;
    shownEnd = end;
  }
  const omitted = codePointsFrom(v.draft.text, shownEnd);
  return modal({
    title: 'Full draft',
    callbackId: FULL_DRAFT_CALLBACK,
    blocks: [meta, ...body, ...(omitted > 0 ? [truncationNote(omitted)] : [])],
  });
}

/** Whether the draft fits Slack's text inputs (counted in UTF-16 units, at least Slack's count). */
export function canEditInSlack(draft: Pick<EmailMessage, 'subject' | 'text'>): boolean {
  return draft.text.length <= APPROVAL_LIMITS.editText && draft.subject.length <= APPROVAL_LIMITS.editSubject;
}

/**
 * Subject and text prefilled; submitting approves the edited draft. A draft
 * that does not fit Slack's inputs gets `draftTooLongToEditModal` instead
 * (never a silently shortened copy).
 */
export function editDraftModal(v: { approvalId: string; draft: EmailMessage; privateMetadata: string }): slack.ModalView {
  const L = APPROVAL_LIMITS;
  if (!canEditInSlack(v.draft)) return draftTooLongToEditModal({ approvalId: v.approvalId, length: Math.max(v.draft.text.length, v.draft.subject.length) });
  const cc = v.draft.cc ?? [];
  const to = `*To:* ${recipientList(v.draft.to, 1200)}${cc.length > 0 ? `\n*Cc:* ${recipientList(cc, 1000)}` : ''}`;
  const subject: slack.PlainTextInput = {
    type: 'plain_text_input',
    action_id: EditDraftField.subject,
    max_length: L.editSubject,
    ...(v.draft.subject !== '' ? { initial_value: v.draft.subject } : {}),
  };
  const text: slack.PlainTextInput = {
    type: 'plain_text_input',
    action_id: EditDraftField.text,
    multiline: true,
    max_length: L.editText,
    ...(v.draft.text !== '' ? { initial_value: v.draft.text } : {}),
  };
  return modal({
    title: 'Edit reply',
    callbackId: EDIT_DRAFT_CALLBACK,
    submit: 'Approve & send',
    close: 'Cancel',
    privateMetadata: v.privateMetadata,
    blocks: [
      contextMd(`${to}\n_Recipients cannot be changed here. Submitting approves and sends the edited reply._`),
      { type: 'input', block_id: EditDraftField.subject, optional: true, label: plain('Subject', 2000), element: subject },
      { type: 'input', block_id: EditDraftField.text, label: plain('Reply', 2000), element: text },
    ],
  });
}

export function draftTooLongToEditModal(v: { approvalId: string; length: number }): slack.ModalView {
  const limit = count(APPROVAL_LIMITS.editText);
  return modal({
    title: 'Draft too long to edit',
    callbackId: DRAFT_TOO_LONG_CALLBACK,
    blocks: [
      sectionMd(
        `:straight_ruler: *This draft is too long to edit in Slack.* It is ${count(v.length)} characters long; ` +
          `Slack's text boxes hold at most ${limit} characters, so it cannot be loaded here without cutting it.`,
      ),
      sectionMd(
        '*What you can do:*\n' +
          '• *Approve & send* it as it is, if it is right.\n' +
          '• *Reject* it with a reason asking the assistant to shorten it; it will draft again.\n' +
          '• Edit it on the platform, then approve it there.',
      ),
    ],
  });
}

/** Optional reason for the assistant, up to 2,000 characters. */
export function rejectModal(v: { approvalId: string; privateMetadata: string }): slack.ModalView {
  return modal({
    title: 'Reject draft',
    callbackId: REJECT_CALLBACK,
    submit: 'Reject',
    close: 'Cancel',
    privateMetadata: v.privateMetadata,
    blocks: [
      sectionMd('The reply will *not* be sent. You can tell the assistant why, so its next draft is better.'),
      {
        type: 'input',
        block_id: RejectField.reason,
        optional: true,
        label: plain('Reason for the assistant', 2000),
        hint: plain('Optional. The assistant reads this; nobody outside your team sees it.', 2000),
        element: {
          type: 'plain_text_input',
          action_id: RejectField.reason,
          multiline: true,
          max_length: APPROVAL_LIMITS.rejectReason,
          placeholder: plain('e.g. Too formal, and offer a refund instead of a voucher.', 150),
        },
      },
    ],
  });
}

/** A modal with one message; `text` is mrkdwn written by the app (escape user content before). */
export function noticeModal(title: string, text: string): slack.ModalView {
  const body = isBlank(text) ? '(no details)' : clip(text, APPROVAL_LIMITS.sectionChunk);
  return modal({ title: isBlank(title) ? 'Notice' : title, callbackId: NOTICE_CALLBACK, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: body } }] });
}
