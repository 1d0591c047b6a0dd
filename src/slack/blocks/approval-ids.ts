// Action, callback and block ids of the approval message and its modals, and the
// limits their builders keep to. The listeners match on these ids.
export const ApprovalAction = {
  approve: 'approval_approve',
  edit: 'approval_edit',
  reject: 'approval_reject',
  viewDraft: 'approval_view_draft',
} as const;
export type ApprovalActionId = (typeof ApprovalAction)[keyof typeof ApprovalAction];

export const EDIT_DRAFT_CALLBACK = 'approval_edit_submit';
export const REJECT_CALLBACK = 'approval_reject_submit';
export const FULL_DRAFT_CALLBACK = 'approval_full_draft';
export const DRAFT_TOO_LONG_CALLBACK = 'approval_draft_too_long';
export const NOTICE_CALLBACK = 'approval_notice';

/** Block ids of the approval message; body sections are `${prefix}_${index}`. */
export const ApprovalBlock = {
  actions: 'approval_actions',
  draftBody: 'approval_draft_body',
  inboundBody: 'approval_inbound_body',
} as const;

/** Input blocks of the edit modal; each input's action id is the same string. */
export const EditDraftField = { subject: 'draft_subject', text: 'draft_text' } as const;
/** Input block of the reject modal; its action id is the same string. */
export const RejectField = { reason: 'reject_reason' } as const;

export const APPROVAL_LIMITS = {
  /** Slack: section text ≤ 3000; keep a margin. */
  sectionChunk: 2900,
  messageBlocks: 50,
  /**
   * Sum of all text in a message's blocks. chat.postMessage answers
   * `msg_blocks_too_long` somewhere around 11–13k characters (undocumented;
   * bolt-js#2509, #2867), so a message stays well under that.
   */
  messageText: 10_000,
  modalBlocks: 100,
  modalBodySections: 95,
  /** Slack: views.open answers `view_too_large` above 250 kB. */
  modalBytes: 230_000,
  editText: 3000,
  editSubject: 998,
  rejectReason: 2000,
  threadExcerpt: 200,
  threadShown: 10,
  fallbackText: 3000,
} as const;
