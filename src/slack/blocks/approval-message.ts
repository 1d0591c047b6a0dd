// The channel message of an approval: the inbound mail, the thread, the drafted
// reply, and the buttons or the outcome. A pure function of an ApprovalView that stays
// inside Slack's limits whatever the mail holds: long texts are split on line, word or
// grapheme boundaries, then truncated with a visible note when the budget runs out.
import type { types as slack } from '@slack/bolt';
import type { ApprovalView, EmailMessage, ReportState } from '../../approvals/view.ts';
import { APPROVAL_LIMITS, ApprovalAction, ApprovalBlock, type ApprovalActionId } from './approval-ids.ts';
import { bodySections, contextMd, draftMetaLines, recipientList, sectionMd, sentDate, slackDate, subjectLine, truncationNote } from './mail-blocks.ts';
import { blockTextLength, codePointsFrom, count, escapedCost, fit, fitList, isBlank, oneLine, plural, splitEscaped } from './text-fitting.ts';
import { clip, plain, userMention } from './text.ts';

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

function threadHeader(total: number, hidden: number): slack.ContextBlock {
  const head = `:speech_balloon: *Earlier in this thread* (${plural(total, 'message', 'messages')})`;
  return contextMd(hidden > 0 ? `${head} · _${plural(hidden, 'earlier message', 'earlier messages')} not shown_` : head);
}

function threadLine(m: EmailMessage): slack.ContextBlock {
  const date = sentDate(m.sent_at);
  const excerpt = oneLine(m.text);
  const body = excerpt === '' ? '_(no text)_' : fit(clip(excerpt, APPROVAL_LIMITS.threadExcerpt), 260);
  return contextMd(`*${fit(oneLine(m.from), 200)}*${date ? ` · ${date}` : ''} — ${body}`);
}

function confirmText(d: EmailMessage): string {
  const all = [...d.to, ...(d.cc ?? [])].map(oneLine).filter((r) => r !== '');
  if (all.length === 0) return 'It will be emailed as drafted.';
  const prefix = 'It will be emailed to ';
  const max = 300;
  const { shown, more } = fitList(all.map((r) => clip(r, 80)), max - prefix.length - 1);
  const list = shown.length === 0 ? plural(more, 'recipient', 'recipients') : more > 0 ? `${shown.join(', ')} and ${count(more)} more` : shown.join(', ');
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
