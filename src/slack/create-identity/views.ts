import type { types as slack } from '@slack/bolt';
import { channelMention, context, escapeMrkdwn, plain, section, clip, userMention } from '../blocks/text.ts';

export const CREATE_IDENTITY_CALLBACK = 'identity_create';
export const CREATE_IDENTITY_PROGRESS_CALLBACK = 'identity_create_progress';

/** Block ids of the create-identity modal; each input's action id is the same string. */
export const Field = {
  domain: 'domain',
  localPart: 'local_part',
  displayName: 'display_name',
  assistant: 'assistant',
  approvalChannel: 'approval_channel',
  approvers: 'approvers',
  replyTo: 'reply_to',
  threadDepth: 'thread_depth',
  signatureText: 'signature_text',
  signatureHtml: 'signature_html',
} as const;
export type FieldId = (typeof Field)[keyof typeof Field];

export const THREAD_DEPTH = { min: 0, max: 100, default: 10 } as const;
export const LIMITS = { localPart: 64, displayName: 200, replyTo: 254, signature: 3000, approvers: 20 } as const;

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

export function createIdentityModal(input: CreateIdentityModalInput): slack.ModalView {
  const d = input.draft ?? {};
  const channel = d.approvalChannelId ?? (isChannelId(input.originChannelId) ? input.originChannelId : undefined);
  const blocks: slack.KnownBlock[] = [];
  if (input.notice) blocks.push(section(`:warning: ${input.notice}`), { type: 'divider' });
  blocks.push(
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
        ...(d.approverUserIds && d.approverUserIds.length > 0 ? { initial_users: d.approverUserIds } : {}),
      },
    },
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
    callback_id: CREATE_IDENTITY_CALLBACK,
    private_metadata: input.privateMetadata,
    title: plain('New email identity', 24),
    submit: plain('Create', 24),
    close: plain('Cancel', 24),
    blocks,
  };
}

function infoModal(title: string, blocks: slack.KnownBlock[], privateMetadata = ''): slack.ModalView {
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
