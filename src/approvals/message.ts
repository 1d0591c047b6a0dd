// Block Kit for an approval: the channel message (inbound mail, thread, drafted
// reply, buttons or outcome) and the modals its buttons open. Pure functions of
// data. Every builder stays inside Slack's limits whatever the mail contains:
// long texts are split on line/word/grapheme boundaries, then truncated with a
// visible note when the block or character budget runs out.
import type { types as slack } from '@slack/bolt';
import { escapeMrkdwn, plain, truncate, userMention } from '../slack/text.ts';

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

export interface EmailMessage {
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  sent_at?: string | null;
}

export type ReportState = 'pending' | 'accepted' | 'refused' | 'failed';

export interface ApprovalView {
  approvalId: string;
  identity: { emailAddress: string; displayName: string };
  assistantName: string | null;
  inbound: EmailMessage | null;
  /** Earlier messages of the email thread, oldest first. */
  thread: EmailMessage[];
  draft: EmailMessage;
  expiresAt: Date | null;
  state:
    | { kind: 'pending' }
    | {
        kind: 'decided';
        decision: 'approve' | 'reject';
        byUserId: string;
        at: Date;
        edited: boolean;
        reason: string | null;
        report: ReportState;
        reportDetail: string | null;
      }
    | { kind: 'closed'; reason: 'cancelled' | 'expired'; detail: string | null };
}

// ---------- text measuring and splitting ----------

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Length after escapeMrkdwn, in UTF-16 units (never less than Slack's character count). */
function escapedCost(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c === 38 ? 5 : c === 60 || c === 62 ? 4 : 1;
  }
  return n;
}

function codePointsFrom(s: string, from = 0): number {
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

interface Cut {
  end: number;
  cost: number;
}

/**
 * The longest piece of `raw` from `pos` whose escaped length fits `avail`,
 * ending after a line break or a space when that keeps at least half the room,
 * else at a grapheme boundary (code point boundary inside absurdly long clusters).
 */
function takeChunk(raw: string, pos: number, avail: number): Cut {
  // Escaping never shortens text, so the piece is at most `avail` units long.
  const window = raw.slice(pos, pos + avail + 16);
  let used = 0;
  let end = pos;
  let lineCut: Cut | null = null;
  let spaceCut: Cut | null = null;
  outer: for (const { segment } of graphemes.segment(window)) {
    const pieces = segment.length > 16 ? Array.from(segment) : [segment];
    for (const piece of pieces) {
      const cost = escapedCost(piece);
      if (used + cost > avail) break outer;
      used += cost;
      end += piece.length;
      if (piece.includes('\n')) lineCut = { end, cost: used };
      else if (/^\s+$/u.test(piece)) spaceCut = { end, cost: used };
    }
  }
  if (end === raw.length) return { end, cost: used };
  if (lineCut && lineCut.cost >= avail / 2) return lineCut;
  if (spaceCut && spaceCut.cost >= avail / 2) return spaceCut;
  return { end, cost: used };
}

interface Split {
  /** Escaped pieces, each ≤ the chunk size. */
  chunks: string[];
  /** Raw end index of each chunk. */
  ends: number[];
  /** Characters (code points) of `raw` not in any chunk. */
  omitted: number;
  cost: number;
}

const MIN_TAIL = 100;

function splitEscaped(raw: string, o: { chunk: number; maxChunks: number; total: number }): Split {
  const chunks: string[] = [];
  const ends: number[] = [];
  let pos = 0;
  let used = 0;
  while (pos < raw.length && chunks.length < o.maxChunks) {
    const avail = Math.min(o.chunk, o.total - used);
    if (avail <= 0) break;
    const cut = takeChunk(raw, pos, avail);
    if (cut.end === pos) break;
    // A budget-limited tail of a few characters helps nobody; the note says what is missing.
    if (cut.end < raw.length && avail < o.chunk && avail < MIN_TAIL) break;
    chunks.push(escapeMrkdwn(raw.slice(pos, cut.end)));
    ends.push(cut.end);
    used += cut.cost;
    pos = cut.end;
  }
  return { chunks, ends, omitted: codePointsFrom(raw, pos), cost: used };
}

/** Escaped `raw` in at most `max` units, cut with '…' when longer. */
function fit(raw: string, max: number): string {
  if (escapedCost(raw) <= max) return escapeMrkdwn(raw);
  const cut = takeChunk(raw, 0, max - 1);
  return `${escapeMrkdwn(raw.slice(0, cut.end)).trimEnd()}…`;
}

/** Unescaped text cut to `max` UTF-16 units on a code point boundary (plain_text fields). */
function clip(raw: string, max: number): string {
  if (raw.length <= max) return raw;
  let out = '';
  for (const ch of raw) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
const count = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, one: string, many: string): string => `${count(n)} ${n === 1 ? one : many}`;

/** Sum of the `text` strings of every text object in `value` (blocks, views…). */
export function blockTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + blockTextLength(v), 0);
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(value)) n += k === 'text' && typeof v === 'string' ? v.length : blockTextLength(v);
  return n;
}

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

// ---------- small block helpers ----------

/** Mail content is escaped and `verbatim`, so nothing in it becomes a mention or link. */
const md = (text: string): slack.MrkdwnElement => ({ type: 'mrkdwn', text: text.length === 0 ? ' ' : text, verbatim: true });
const sectionMd = (text: string, blockId?: string): slack.SectionBlock => ({
  type: 'section',
  ...(blockId ? { block_id: blockId } : {}),
  text: md(text),
});
const contextMd = (text: string): slack.ContextBlock => ({ type: 'context', elements: [md(text)] });

/** `<!date^…>`: shown in each reader's time zone, with the ISO time as fallback. */
function slackDate(d: Date): string | null {
  const t = d.getTime();
  if (!Number.isFinite(t)) return null;
  return `<!date^${Math.floor(t / 1000)}^{date_short_pretty} at {time}|${d.toISOString()}>`;
}

function sentDate(sentAt: string | null | undefined): string | null {
  return sentAt ? slackDate(new Date(sentAt)) : null;
}

/** Escaped, comma-separated addresses within `max` units, then "and N more". */
function recipientList(list: readonly string[], max: number): string {
  const parts: string[] = [];
  let used = 0;
  for (const [i, r] of list.entries()) {
    const s = fit(oneLine(r), 200);
    const left = list.length - i - 1;
    const reserve = left > 0 ? ` and ${count(left)} more`.length : 0;
    if (used + s.length + 2 + reserve > max) break;
    parts.push(s);
    used += s.length + 2;
  }
  const more = list.length - parts.length;
  if (parts.length === 0) return more > 0 ? plural(more, 'recipient', 'recipients') : '_(none)_';
  return more > 0 ? `${parts.join(', ')} and ${count(more)} more` : parts.join(', ');
}

const subjectLine = (subject: string): string => (oneLine(subject) === '' ? '_(no subject)_' : fit(oneLine(subject), 500));
const isBlank = (s: string): boolean => s.trim() === '';

function truncationNote(omitted: number): slack.ContextBlock {
  return contextMd(`_…(truncated: ${plural(omitted, 'more character', 'more characters')})_`);
}

function bodySections(chunks: string[], prefix: string): slack.SectionBlock[] {
  const out: slack.SectionBlock[] = [];
  chunks.forEach((c, i) => {
    if (!isBlank(c)) out.push(sectionMd(c, `${prefix}_${i}`));
  });
  return out;
}

// ---------- the message ----------

function summaryBlock(v: ApprovalView): slack.SectionBlock {
  const who = `*${fit(oneLine(v.identity.displayName), 200)}* &lt;${fit(oneLine(v.identity.emailAddress), 300)}&gt;`;
  const by = v.assistantName && !isBlank(v.assistantName) ? `*${fit(oneLine(v.assistantName), 200)}*` : 'the assistant';
  return sectionMd(`:envelope_with_arrow: ${who} · reply drafted by ${by}`);
}

function inboundMetaBlock(m: EmailMessage): slack.SectionBlock {
  const date = sentDate(m.sent_at);
  const lines = [
    '*:inbox_tray: Received*',
    `*From:* ${fit(oneLine(m.from), 300)}`,
    `*Subject:* ${subjectLine(m.subject)}`,
    ...(date ? [`*Date:* ${date}`] : []),
  ];
  if (isBlank(m.text)) lines.push('_(no text)_');
  return sectionMd(lines.join('\n'));
}

function draftMetaLines(d: EmailMessage): string[] {
  const cc = d.cc ?? [];
  return [
    `*To:* ${recipientList(d.to, 700)}`,
    ...(cc.length > 0 ? [`*Cc:* ${recipientList(cc, 500)}`] : []),
    `*Subject:* ${subjectLine(d.subject)}`,
    ...(isBlank(d.text) ? ['_(no text)_'] : []),
  ];
}

function threadHeader(total: number, hidden: number): slack.ContextBlock {
  const head = `:speech_balloon: *Earlier in this thread* (${plural(total, 'message', 'messages')})`;
  return contextMd(hidden > 0 ? `${head} · _${plural(hidden, 'earlier message', 'earlier messages')} not shown_` : head);
}

function threadLine(m: EmailMessage): slack.ContextBlock {
  const date = sentDate(m.sent_at);
  const excerpt = oneLine(m.text);
  const body = excerpt === '' ? '_(no text)_' : fit(truncate(excerpt, APPROVAL_LIMITS.threadExcerpt), 260);
  return contextMd(`*${fit(oneLine(m.from), 200)}*${date ? ` · ${date}` : ''} — ${body}`);
}

function confirmText(d: EmailMessage): string {
  const all = [...d.to, ...(d.cc ?? [])].map(oneLine).filter((r) => r !== '');
  if (all.length === 0) return 'It will be emailed as drafted.';
  const prefix = 'It will be emailed to ';
  const max = 300;
  const parts: string[] = [];
  let used = prefix.length + 1;
  for (const [i, r] of all.entries()) {
    const s = clip(r, 80);
    const left = all.length - i - 1;
    const reserve = left > 0 ? ` and ${count(left)} more`.length : 0;
    if (used + s.length + 2 + reserve > max) break;
    parts.push(s);
    used += s.length + 2;
  }
  const more = all.length - parts.length;
  const list = parts.length === 0 ? plural(more, 'recipient', 'recipients') : more > 0 ? `${parts.join(', ')} and ${count(more)} more` : parts.join(', ');
  return clip(`${prefix}${list}.`, max);
}

function button(actionId: ApprovalActionId, text: string, approvalId: string, extra: Partial<slack.Button> = {}): slack.Button {
  return { type: 'button', action_id: actionId, text: plain(text, 75), value: approvalId, ...extra };
}

function viewDraftButton(approvalId: string): slack.Button {
  return button(ApprovalAction.viewDraft, 'View full draft', approvalId);
}

function pendingActions(v: ApprovalView, draftTruncated: boolean): slack.ActionsBlock {
  const elements: slack.Button[] = [
    button(ApprovalAction.approve, 'Approve & send', v.approvalId, {
      style: 'primary',
      confirm: {
        title: plain('Send this reply?', 100),
        text: plain(confirmText(v.draft), 300),
        confirm: plain('Send', 30),
        deny: plain('Cancel', 30),
      },
    }),
    button(ApprovalAction.edit, 'Edit', v.approvalId),
    button(ApprovalAction.reject, 'Reject', v.approvalId, { style: 'danger' }),
  ];
  if (draftTruncated) elements.push(viewDraftButton(v.approvalId));
  return { type: 'actions', block_id: ApprovalBlock.actions, elements };
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const mention = (userId: string): string => (USER_ID.test(userId) ? userMention(userId) : fit(oneLine(userId), 40));
/** Platform wording, without a trailing full stop (we add our own). */
const detailText = (detail: string): string => fit(oneLine(detail).replace(/[.\s]+$/u, ''), 500);

function reportLine(decision: 'approve' | 'reject', report: ReportState, detail: string | null): slack.KnownBlock {
  switch (report) {
    case 'pending':
      return contextMd(decision === 'approve' ? ':hourglass_flowing_sand: Sending…' : ':hourglass_flowing_sand: Telling the assistant…');
    case 'accepted':
      return contextMd(decision === 'approve' ? ':outbox_tray: Sent.' : ':speech_balloon: The assistant was told.');
    case 'refused': {
      const why = detail && !isBlank(detail) ? `: ${detailText(detail)}` : '';
      return sectionMd(`:warning: The platform did not accept this decision${why}. Nothing was sent.`);
    }
    case 'failed':
      return contextMd(':warning: The platform could not be reached for a long time, so the decision was not delivered and nothing was sent. An operator can find it with `npm run admin -- jobs`.');
  }
}

function quotedReason(reason: string): slack.SectionBlock {
  let lines = reason.trim().split(/\r?\n/);
  if (lines.length > 15) lines = [...lines.slice(0, 14), lines.slice(14).join(' ')];
  const text = fit(lines.join('\n'), 1500);
  return sectionMd(`*Reason for the assistant:*\n${text.split('\n').map((l) => `>${l}`).join('\n')}`);
}

function stateBlocks(v: ApprovalView, draftTruncated: boolean): slack.KnownBlock[] {
  const s = v.state;
  const viewDraft: slack.KnownBlock[] = draftTruncated
    ? [{ type: 'actions', block_id: ApprovalBlock.actions, elements: [viewDraftButton(v.approvalId)] }]
    : [];
  switch (s.kind) {
    case 'pending':
      return [pendingActions(v, draftTruncated)];
    case 'decided': {
      const approve = s.decision === 'approve';
      const emoji = s.report === 'refused' ? ':no_entry_sign:' : approve ? ':white_check_mark:' : ':x:';
      const at = slackDate(s.at);
      const line = `${emoji} *${approve ? 'Approved' : 'Rejected'}* by ${mention(s.byUserId)}${at ? ` at ${at}` : ''}${approve && s.edited ? ' (edited)' : ''}`;
      const blocks: slack.KnownBlock[] = [sectionMd(line), reportLine(s.decision, s.report, s.reportDetail)];
      if (!approve && s.reason && !isBlank(s.reason)) blocks.push(quotedReason(s.reason));
      return [...blocks, ...viewDraft];
    }
    case 'closed': {
      const line = s.reason === 'cancelled' ? ':no_entry: *Cancelled* — not sent.' : ':hourglass: *Expired* — not sent.';
      const blocks: slack.KnownBlock[] = [sectionMd(line)];
      if (s.detail && !isBlank(s.detail)) blocks.push(contextMd(detailText(s.detail)));
      return [...blocks, ...viewDraft];
    }
  }
}

function expiryBlocks(v: ApprovalView): slack.KnownBlock[] {
  if (v.state.kind !== 'pending' || !v.expiresAt) return [];
  const at = slackDate(v.expiresAt);
  return at ? [contextMd(`:alarm_clock: Expires ${at}`)] : [];
}

function fallbackText(v: ApprovalView): string {
  const s = v.state;
  const prefix =
    s.kind === 'pending'
      ? 'Approval needed'
      : s.kind === 'closed'
        ? s.reason === 'cancelled'
          ? 'Cancelled'
          : 'Expired'
        : s.report === 'refused'
          ? 'Not accepted by the platform'
          : s.decision === 'approve'
            ? 'Approved'
            : 'Rejected';
  const who = v.inbound ? v.inbound.from : v.draft.to.join(', ');
  const subject = isBlank(v.draft.subject) ? (v.inbound?.subject ?? '') : v.draft.subject;
  const about = `reply to ${fit(oneLine(who), 300) || 'unknown sender'}${isBlank(subject) ? '' : ` — ${fit(oneLine(subject), 500)}`}`;
  return `${prefix}: ${about}`;
}

/**
 * The channel message for an approval. Budget: ≤ 50 blocks and ≤ 10,000
 * characters of block text; the draft is served first, then the inbound mail,
 * then the thread (most recent messages kept). A truncated draft gets a
 * "View full draft" button (action `approval_view_draft`, value = approval id).
 */
export function approvalMessage(v: ApprovalView): { text: string; blocks: slack.KnownBlock[] } {
  const L = APPROVAL_LIMITS;
  const summary = summaryBlock(v);
  const inboundMeta = v.inbound ? inboundMetaBlock(v.inbound) : null;
  const draftMeta = sectionMd(['*:pencil2: Drafted reply*', ...draftMetaLines(v.draft)].join('\n'));
  const expiry = expiryBlocks(v);
  const n = v.thread.length;

  // Everything except the bodies and thread lines, at its largest.
  const fixed: slack.KnownBlock[] = [summary, draftMeta, ...expiry, ...stateBlocks(v, true), truncationNote(codePointsFrom(v.draft.text))];
  if (v.inbound && inboundMeta) fixed.push(inboundMeta, truncationNote(codePointsFrom(v.inbound.text)));
  if (n > 0) fixed.push(threadHeader(n, n));
  let blocksLeft = L.messageBlocks - fixed.length;
  let charsLeft = L.messageText - blockTextLength(fixed);

  // Minimum shares kept for the inbound mail and the thread while the draft is served.
  const inboundMin = v.inbound && !isBlank(v.inbound.text) ? { blocks: 1, chars: Math.min(escapedCost(v.inbound.text), 1000) } : { blocks: 0, chars: 0 };
  const threadMinLines = v.thread.slice(-3).map(threadLine);
  const threadMin = { blocks: threadMinLines.length, chars: blockTextLength(threadMinLines) };

  // The draft comes first: it always gets some room, even if the others then get less than their share.
  const draft = splitEscaped(v.draft.text, {
    chunk: L.sectionChunk,
    maxChunks: Math.max(Math.min(blocksLeft, 1), blocksLeft - inboundMin.blocks - threadMin.blocks),
    total: Math.max(Math.min(charsLeft, 2000), charsLeft - inboundMin.chars - threadMin.chars),
  });
  const draftBody = bodySections(draft.chunks, ApprovalBlock.draftBody);
  blocksLeft -= draftBody.length;
  charsLeft -= draft.cost;

  let inboundBody: slack.KnownBlock[] = [];
  let inboundOmitted = 0;
  if (v.inbound) {
    const inbound = splitEscaped(v.inbound.text, {
      chunk: L.sectionChunk,
      maxChunks: Math.max(0, blocksLeft - threadMin.blocks),
      total: charsLeft - threadMin.chars,
    });
    inboundBody = bodySections(inbound.chunks, ApprovalBlock.inboundBody);
    inboundOmitted = inbound.omitted;
    blocksLeft -= inboundBody.length;
    charsLeft -= inbound.cost;
  }

  const threadLines: slack.KnownBlock[] = [];
  for (let i = n - 1; i >= 0 && threadLines.length < L.threadShown && blocksLeft > 0; i--) {
    const m = v.thread[i];
    if (!m) break;
    const line = threadLine(m);
    const cost = blockTextLength(line);
    if (cost > charsLeft) break;
    threadLines.unshift(line);
    blocksLeft--;
    charsLeft -= cost;
  }

  const blocks: slack.KnownBlock[] = [summary];
  if (inboundMeta) blocks.push(inboundMeta, ...inboundBody);
  if (inboundOmitted > 0) blocks.push(truncationNote(inboundOmitted));
  if (n > 0) blocks.push(threadHeader(n, n - threadLines.length), ...threadLines);
  blocks.push(draftMeta, ...draftBody);
  const draftTruncated = draft.omitted > 0;
  if (draftTruncated) blocks.push(truncationNote(draft.omitted));
  blocks.push(...expiry, ...stateBlocks(v, draftTruncated));
  return { text: fallbackText(v), blocks };
}

// ---------- modals ----------

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
