import type { types as slack } from '@slack/bolt';
import { DEFAULT_APPROVAL_SETTINGS, SETTING_LIMITS } from '../../identities/approval-settings.ts';
import { channelMention, context, escapeMrkdwn, plain, section, clip, userMention } from '../blocks/text.ts';

export const CREATE_IDENTITY_CALLBACK = 'identity_create';
export const CREATE_IDENTITY_PROGRESS_CALLBACK = 'identity_create_progress';
/** The same form, editing an existing identity. */
export const EDIT_IDENTITY_CALLBACK = 'identity_edit';

/** Block ids of the create-identity modal; each input's action id is the same string. */
export const Field = {
  domain: 'domain',
  localPart: 'local_part',
  displayName: 'display_name',
  assistant: 'assistant',
  approvalChannel: 'approval_channel',
  approvers: 'approvers',
  requiredApprovals: 'required_approvals',
  remindAfter: 'remind_after',
  escalateTo: 'escalate_to',
  undoSeconds: 'undo_seconds',
  replyTo: 'reply_to',
  threadDepth: 'thread_depth',
  signatureText: 'signature_text',
  signatureHtml: 'signature_html',
} as const;
export type FieldId = (typeof Field)[keyof typeof Field];

export const THREAD_DEPTH = { min: 0, max: 100, default: 10 } as const;
export const LIMITS = { localPart: 64, displayName: 200, replyTo: 254, signature: 3000, approvers: 20, escalationUsers: SETTING_LIMITS.escalationUsers } as const;
export const REQUIRED_APPROVALS = { ...SETTING_LIMITS.requiredApprovals, default: DEFAULT_APPROVAL_SETTINGS.requiredApprovals } as const;
export const UNDO_SECONDS = { ...SETTING_LIMITS.undoSeconds, default: DEFAULT_APPROVAL_SETTINGS.undoSeconds } as const;

export interface SelectedOption {
  value: string;
  label: string;
}

/** What the person typed, kept so a re-rendered form never loses their input. */
export interface FormDraft {
  domain?: SelectedOption | undefined;
  localPart?: string | undefined;
  displayName?: string | undefined;
  assistant?: SelectedOption | undefined;
  approvalChannelId?: string | undefined;
  approverUserIds?: string[] | undefined;
  requiredApprovals?: string | undefined;
  remindAfter?: string | undefined;
  escalationUserIds?: string[] | undefined;
  undoSeconds?: string | undefined;
  replyTo?: string | undefined;
  threadDepth?: string | undefined;
  signatureText?: string | undefined;
  signatureHtml?: string | undefined;
}

export interface CreateIdentityModalInput {
  /** Channel the command was typed in; preselected when it is a channel (not a DM). */
  originChannelId?: string | undefined;
  draft?: FormDraft | undefined;
  /** Shown above the form, e.g. why the last attempt failed. */
  notice?: string | undefined;
  privateMetadata: string;
  /** Editing an existing identity: its address is shown, not asked for (it cannot change). */
  editing?: { emailAddress: string } | undefined;
}

const option = (o: SelectedOption): slack.PlainTextOption => ({ text: plain(o.label, 75), value: o.value });

function textInput(
  blockId: FieldId,
  label: string,
  opts: { optional?: boolean; hint?: string; placeholder?: string; initial?: string | undefined; maxLength: number; multiline?: boolean },
): slack.InputBlock {
  const element: slack.PlainTextInput = {
    type: 'plain_text_input',
    action_id: blockId,
    max_length: opts.maxLength,
    ...(opts.multiline ? { multiline: true } : {}),
    ...(opts.placeholder ? { placeholder: plain(opts.placeholder, 150) } : {}),
    ...(opts.initial ? { initial_value: clip(opts.initial, opts.maxLength, '') } : {}),
  };
  return {
    type: 'input',
    block_id: blockId,
    optional: opts.optional ?? false,
    label: plain(label, 2000),
    ...(opts.hint ? { hint: plain(opts.hint, 2000) } : {}),
    element,
  };
}

const isChannelId = (id: string | undefined): id is string => id !== undefined && /^[CG][A-Z0-9]+$/.test(id);

/** Echo back only what a number_input accepts; anything else was already flagged as an error. */
function numberInitial(value: string | undefined, min: number, max: number | undefined): string | undefined {
  if (value === undefined || !/^\d{1,6}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && (max === undefined || n <= max) ? String(n) : undefined;
}

function numberInput(
  blockId: FieldId,
  label: string,
  opts: { optional?: boolean; hint: string; min: number; max?: number; initial: string | undefined; placeholder?: string },
): slack.InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: opts.optional ?? false,
    label: plain(label),
    hint: plain(opts.hint, 2000),
    element: {
      type: 'number_input',
      action_id: blockId,
      is_decimal_allowed: false,
      min_value: String(opts.min),
      ...(opts.max !== undefined ? { max_value: String(opts.max) } : {}),
      ...(opts.placeholder ? { placeholder: plain(opts.placeholder, 150) } : {}),
      ...(opts.initial !== undefined ? { initial_value: opts.initial } : {}),
    },
  };
}

/** The approval settings, beside Approvers; labels are part of the public interface. */
function settingsBlocks(d: FormDraft): slack.KnownBlock[] {
  return [
    numberInput(Field.requiredApprovals, 'Approvals required', {
      hint: `How many different approvers must approve a reply before it is sent (${REQUIRED_APPROVALS.min}–${REQUIRED_APPROVALS.max}); more than 1 needs approvers chosen above.`,
      min: REQUIRED_APPROVALS.min,
      max: REQUIRED_APPROVALS.max,
      initial: numberInitial(d.requiredApprovals, REQUIRED_APPROVALS.min, REQUIRED_APPROVALS.max) ?? String(REQUIRED_APPROVALS.default),
    }),
    numberInput(Field.remindAfter, 'Remind after (minutes)', {
      optional: true,
      hint: 'Remind the approvers when a draft has waited this long, and again each time it passes. Leave empty for no reminders.',
      min: 1,
      initial: numberInitial(d.remindAfter, 1, undefined),
      placeholder: 'No reminders',
    }),
    {
      type: 'input',
      block_id: Field.escalateTo,
      optional: true,
      label: plain('Escalate to'),
      hint: plain('People who get a direct message with a draft that is still waiting late, and can decide it there.'),
      element: {
        type: 'multi_users_select',
        action_id: Field.escalateTo,
        max_selected_items: LIMITS.escalationUsers,
        placeholder: plain('Nobody'),
        ...(d.escalationUserIds && d.escalationUserIds.length > 0 ? { initial_users: d.escalationUserIds.slice(0, LIMITS.escalationUsers) } : {}),
      },
    },
    numberInput(Field.undoSeconds, 'Undo window (seconds)', {
      hint: `After Approve, how long a reply waits, and can be undone, before it is sent (${UNDO_SECONDS.min}–${UNDO_SECONDS.max}).`,
      min: UNDO_SECONDS.min,
      max: UNDO_SECONDS.max,
      initial: numberInitial(d.undoSeconds, UNDO_SECONDS.min, UNDO_SECONDS.max) ?? String(UNDO_SECONDS.default),
    }),
  ];
}

/** Where the address goes: asked for when creating, shown when editing. */
function addressBlocks(input: CreateIdentityModalInput, d: FormDraft): slack.KnownBlock[] {
  if (input.editing) {
    return [section(`*Address:* ${escapeMrkdwn(clip(input.editing.emailAddress, 320))}`), context('The address cannot be changed.')];
  }
  return [
    {
      type: 'input',
      block_id: Field.domain,
      label: plain('Domain'),
      hint: plain('Only verified domains can send mail.'),
      element: {
        type: 'external_select',
        action_id: Field.domain,
        min_query_length: 0,
        placeholder: plain('Choose a verified domain'),
        ...(d.domain ? { initial_option: option(d.domain) } : {}),
      },
    },
    textInput(Field.localPart, 'Address (the part before @)', {
      placeholder: 'support',
      initial: d.localPart,
      maxLength: LIMITS.localPart,
      hint: 'Letters, digits, and . _ + - (not at the start or end).',
    }),
  ];
}

export function createIdentityModal(input: CreateIdentityModalInput): slack.ModalView {
  const d = input.draft ?? {};
  const channel = d.approvalChannelId ?? (isChannelId(input.originChannelId) ? input.originChannelId : undefined);
  const blocks: slack.KnownBlock[] = [];
  if (input.notice) blocks.push(section(`:warning: ${input.notice}`), { type: 'divider' });
  blocks.push(
    ...addressBlocks(input, d),
    textInput(Field.displayName, 'Display name', {
      placeholder: 'Acme Support',
      initial: d.displayName,
      maxLength: LIMITS.displayName,
      hint: 'Shown as the sender name in recipients’ inboxes.',
    }),
    {
      type: 'input',
      block_id: Field.assistant,
      optional: true,
      label: plain('Assistant'),
      hint: plain('The assistant that drafts replies for this address.'),
      element: {
        type: 'external_select',
        action_id: Field.assistant,
        min_query_length: 0,
        placeholder: plain('Choose an assistant'),
        ...(d.assistant ? { initial_option: option(d.assistant) } : {}),
      },
    },
    {
      type: 'input',
      block_id: Field.approvalChannel,
      label: plain('Approval channel'),
      hint: plain('Drafted replies are posted here for a person to approve. For a private channel, invite the app first.'),
      element: {
        type: 'conversations_select',
        action_id: Field.approvalChannel,
        placeholder: plain('Choose a channel'),
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(channel ? { initial_conversation: channel } : { default_to_current_conversation: true }),
      },
    },
    {
      type: 'input',
      block_id: Field.approvers,
      optional: true,
      label: plain('Approvers'),
      hint: plain('If you choose people here, only they may approve; otherwise anyone in the channel can.'),
      element: {
        type: 'multi_users_select',
        action_id: Field.approvers,
        max_selected_items: LIMITS.approvers,
        placeholder: plain('Anyone in the channel'),
        ...(d.approverUserIds && d.approverUserIds.length > 0 ? { initial_users: d.approverUserIds.slice(0, LIMITS.approvers) } : {}),
      },
    },
    ...settingsBlocks(d),
    {
      type: 'input',
      block_id: Field.replyTo,
      optional: true,
      label: plain('Reply-to address'),
      element: {
        type: 'email_text_input',
        action_id: Field.replyTo,
        placeholder: plain('help@acme.com'),
        ...(d.replyTo ? { initial_value: d.replyTo } : {}),
      },
    },
    {
      type: 'input',
      block_id: Field.threadDepth,
      label: plain('Thread history depth'),
      hint: plain(`How many earlier messages of a thread the assistant reads (${THREAD_DEPTH.min}–${THREAD_DEPTH.max}).`),
      element: {
        type: 'number_input',
        action_id: Field.threadDepth,
        is_decimal_allowed: false,
        min_value: String(THREAD_DEPTH.min),
        max_value: String(THREAD_DEPTH.max),
        // Echo back only what a number_input accepts; anything else was already flagged as an error.
        initial_value: d.threadDepth !== undefined && /^\d{1,3}$/.test(d.threadDepth) && Number(d.threadDepth) <= THREAD_DEPTH.max ? d.threadDepth : String(THREAD_DEPTH.default),
      },
    },
    textInput(Field.signatureText, 'Signature (plain text)', {
      optional: true,
      multiline: true,
      initial: d.signatureText,
      maxLength: LIMITS.signature,
    }),
    textInput(Field.signatureHtml, 'Signature (HTML)', {
      optional: true,
      multiline: true,
      initial: d.signatureHtml,
      maxLength: LIMITS.signature,
      placeholder: '<p>Acme Support</p>',
    }),
  );
  return {
    type: 'modal',
    callback_id: input.editing ? EDIT_IDENTITY_CALLBACK : CREATE_IDENTITY_CALLBACK,
    private_metadata: input.privateMetadata,
    title: plain(input.editing ? 'Edit email identity' : 'New email identity', 24),
    submit: plain(input.editing ? 'Save' : 'Create', 24),
    close: plain('Cancel', 24),
    blocks,
  };
}

export function infoModal(title: string, blocks: slack.KnownBlock[], privateMetadata = ''): slack.ModalView {
  return {
    type: 'modal',
    callback_id: CREATE_IDENTITY_PROGRESS_CALLBACK,
    private_metadata: privateMetadata,
    title: plain(title, 24),
    close: plain('Close', 24),
    blocks,
  };
}

export function creatingView(privateMetadata: string): slack.ModalView {
  return infoModal('New email identity', [
    section(':hourglass_flowing_sand: *Creating the identity…*'),
    context('The platform is taking a moment. This window updates by itself; you can also close it and I will message you the result.'),
  ], privateMetadata);
}

export function createdView(input: { emailAddress: string; channelId: string; approverUserIds: string[] }): slack.ModalView {
  const approvers =
    input.approverUserIds.length > 0
      ? `Only ${input.approverUserIds.map(userMention).join(', ')} may approve.`
      : 'Anyone in the channel may approve.';
  const blocks: slack.KnownBlock[] = [
    section(`:white_check_mark: *${escapeMrkdwn(input.emailAddress)}* is ready.`),
    section(`Drafted replies will be posted in ${channelMention(input.channelId)} for approval. ${approvers}`),
  ];
  return infoModal('Identity created', blocks);
}

/** Shown instead of the form when it cannot be filled in (no token, no verified domain…). */
export function blockedView(title: string, lines: string[]): slack.ModalView {
  return infoModal(title, lines.map((l) => section(l)));
}
