import type { types as slack } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import type { ApprovalView, EmailMessage } from '../../src/approvals/view.ts';
import { APPROVAL_LIMITS, ApprovalAction, ApprovalBlock, DRAFT_TOO_LONG_CALLBACK, EDIT_DRAFT_CALLBACK, EditDraftField, REJECT_CALLBACK, RejectField } from '../../src/slack/blocks/approval-ids.ts';
import { approvalMessage } from '../../src/slack/blocks/approval-message.ts';
import { canEditInSlack, draftTooLongToEditModal, editDraftModal, fullDraftModal, noticeModal, rejectModal } from '../../src/slack/blocks/approval-modals.ts';
import { blockTextLength } from '../../src/slack/blocks/text-fitting.ts';
import { validateMessage, validateView } from '../support/block-kit.ts';

const APPROVAL_ID = '6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b4a10';
const DECIDER = 'U0DECIDER1';
const AT = new Date('2026-05-01T12:34:56Z');

const mail = (o: Partial<EmailMessage> = {}): EmailMessage => ({
  from: 'ann@customer.com',
  to: ['support@acme.com'],
  subject: 'Where is my order?',
  text: 'Hi,\nwhere is my order #123?\nThanks, Ann',
  sent_at: '2026-05-01T10:00:00Z',
  ...o,
});

const draftMail = (o: Partial<EmailMessage> = {}): EmailMessage =>
  mail({ from: 'support@acme.com', to: ['ann@customer.com'], subject: 'Re: Where is my order?', text: 'Hi Ann,\nit ships tomorrow.\nAcme Support', sent_at: null, ...o });

function approval(o: Partial<ApprovalView> = {}): ApprovalView {
  return {
    approvalId: APPROVAL_ID,
    identity: { emailAddress: 'support@acme.com', displayName: 'Acme Support' },
    assistantName: 'Ava',
    inbound: mail(),
    thread: [],
    draft: draftMail(),
    expiresAt: new Date('2026-05-02T12:00:00Z'),
    state: { kind: 'pending' },
    ...o,
  };
}

const decided = (o: Partial<Extract<ApprovalView['state'], { kind: 'decided' }>> = {}): ApprovalView['state'] => ({
  kind: 'decided',
  decision: 'approve',
  byUserId: DECIDER,
  at: AT,
  edited: false,
  reason: null,
  report: 'accepted',
  reportDetail: null,
  ...o,
});

const STATES: Record<string, ApprovalView['state']> = {
  pending: { kind: 'pending' },
  'approved, report pending': decided({ report: 'pending' }),
  'approved (edited), accepted': decided({ edited: true }),
  'approved, refused': decided({ report: 'refused', reportDetail: 'approval already decided' }),
  'approved, failed': decided({ report: 'failed' }),
  'rejected with reason, accepted': decided({ decision: 'reject', reason: 'Too formal.\nOffer a refund.' }),
  'rejected, refused': decided({ decision: 'reject', report: 'refused', reportDetail: null }),
  cancelled: { kind: 'closed', reason: 'cancelled', detail: 'The customer wrote again.' },
  expired: { kind: 'closed', reason: 'expired', detail: null },
};

const paragraphText = (chars: number, seed = 'The quick brown fox & the lazy <dog> jump over "fences". '): string => {
  let s = '';
  let i = 0;
  while (s.length < chars) {
    s += `${i % 7 === 6 ? '\n\n' : ''}${seed}${i} `;
    i++;
  }
  return s.slice(0, chars);
};

const VARIANTS: Record<string, Partial<ApprovalView>> = {
  'a short draft': {},
  'a 6,000-character draft': { draft: draftMail({ text: paragraphText(6000) }) },
  'a 200,000-character draft': { draft: draftMail({ text: paragraphText(200_000) }) },
  '60 thread messages': { thread: Array.from({ length: 60 }, (_, i) => mail({ text: `Message ${i}: ${paragraphText(1500)}` })) },
  'no inbound mail and no expiry': { inbound: null, expiresAt: null },
};

// ---------- helpers ----------

const isSection = (b: slack.AnyBlock): b is slack.SectionBlock => b.type === 'section';
const isActions = (b: slack.AnyBlock): b is slack.ActionsBlock => b.type === 'actions';
const isInput = (b: slack.AnyBlock): b is slack.InputBlock => b.type === 'input';

/** The text of every mrkdwn text object in the value (plain_text is never parsed for mentions). */
function mrkdwnTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnTexts);
  if (typeof value !== 'object' || value === null) return [];
  const own = 'type' in value && value.type === 'mrkdwn' && 'text' in value && typeof value.text === 'string' ? [value.text] : [];
  return [...own, ...Object.values(value).flatMap(mrkdwnTexts)];
}

/** Every `text` string anywhere in the value (text objects, fallback text). */
function allTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allTexts);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'text' && typeof v === 'string' ? [v] : allTexts(v)));
}

function buttons(blocks: slack.AnyBlock[]): slack.Button[] {
  return blocks.filter(isActions).flatMap((b) => b.elements.filter((e): e is slack.Button => e.type === 'button'));
}

function bodyTexts(blocks: slack.AnyBlock[], prefix: string): string[] {
  return blocks.filter(isSection).filter((b) => b.block_id?.startsWith(`${prefix}_`)).map((b) => b.text?.text ?? '');
}

const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const viewBytes = (view: slack.ModalView): number => Buffer.byteLength(JSON.stringify(view), 'utf8');

function expectValidMessage(m: { text: string; blocks: slack.KnownBlock[] }): void {
  expect(validateMessage(m)).toEqual([]);
  expect(m.blocks.length).toBeLessThanOrEqual(50);
  expect(blockTextLength(m.blocks)).toBeLessThanOrEqual(APPROVAL_LIMITS.messageText);
  expect(m.text.length).toBeGreaterThan(0);
  expect(m.text.length).toBeLessThanOrEqual(3000);
  for (const b of m.blocks.filter(isSection)) expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(APPROVAL_LIMITS.sectionChunk);
}

// ---------- the message ----------

describe('approvalMessage', () => {
  describe.each(Object.entries(VARIANTS))('with %s', (_name, variant) => {
    it.each(Object.entries(STATES))('is a valid message within the budget when %s', (_state, state) => {
      const m = approvalMessage(approval({ ...variant, state }));
      expectValidMessage(m);
      for (const b of buttons(m.blocks)) expect(b.value).toBe(APPROVAL_ID);
    });
  });

  it('shows, in order, the summary, the inbound mail, the thread, the draft, the expiry and the buttons', () => {
    const m = approvalMessage(approval({ thread: [mail({ text: 'First message of the thread' })] }));
    const all = allTexts(m.blocks).join('\n');
    const order = ['Acme Support', 'Ava', 'Received', 'where is my order #123', 'First message of the thread', 'Drafted reply', 'it ships tomorrow', 'Expires', 'Approve & send'];
    const positions = order.map((s) => all.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const expires = Date.parse('2026-05-02T12:00:00Z') / 1000;
    expect(all).toContain(`<!date^${expires}^{date_short_pretty} at {time}|2026-05-02T12:00:00.000Z>`);
  });

  it('offers Approve & send, Edit and Reject in one actions block while pending', () => {
    const m = approvalMessage(approval());
    const actions = m.blocks.filter(isActions);
    expect(actions).toHaveLength(1);
    const [approve, edit, reject, ...rest] = buttons(m.blocks);
    expect(rest).toEqual([]);
    expect(approve).toMatchObject({ action_id: ApprovalAction.approve, style: 'primary', value: APPROVAL_ID, text: { text: 'Approve & send' } });
    expect(approve?.confirm?.title?.text).toBe('Send this reply?');
    expect(approve?.confirm?.text.text).toContain('ann@customer.com');
    expect(edit).toMatchObject({ action_id: ApprovalAction.edit, value: APPROVAL_ID });
    expect(reject).toMatchObject({ action_id: ApprovalAction.reject, style: 'danger', value: APPROVAL_ID });
  });

  it.each(Object.entries(STATES).filter(([, s]) => s.kind !== 'pending'))('has no decision buttons once %s', (_name, state) => {
    const m = approvalMessage(approval({ state }));
    expect(buttons(m.blocks)).toEqual([]);
    expect(allTexts(m.blocks).join('\n')).not.toContain('Expires');
  });

  it('says who decided, when, and whether the draft was edited', () => {
    const m = approvalMessage(approval({ state: decided({ edited: true }) }));
    const all = allTexts(m.blocks).join('\n');
    expect(all).toContain(`:white_check_mark: *Approved* by <@${DECIDER}> at <!date^${AT.getTime() / 1000}^{date_short_pretty} at {time}|2026-05-01T12:34:56.000Z> (edited)`);
    expect(all).toContain('Sent.');
    expect(m.text).toBe('Approved: reply to ann@customer.com — Re: Where is my order?');
  });

  it('reports each platform outcome in words', () => {
    const line = (state: ApprovalView['state']) => allTexts(approvalMessage(approval({ state })).blocks).join('\n');
    expect(line(decided({ report: 'pending' }))).toContain('Sending…');
    expect(line(decided({ decision: 'reject', report: 'accepted' }))).toContain('The assistant was told.');
    expect(line(decided({ report: 'failed' }))).toContain('the decision was not delivered and nothing was sent');
    expect(line(decided({ report: 'refused', reportDetail: 'approval already decided.' }))).toContain(
      ':warning: The platform did not accept this decision: approval already decided. Nothing was sent.',
    );
  });

  it.each([
    ['approve', decided({ report: 'refused', reportDetail: 'approval expired' })],
    ['approve, edited', decided({ report: 'refused', edited: true, reportDetail: null })],
    ['reject', decided({ decision: 'reject', report: 'refused', reportDetail: 'gone', reason: 'nope' })],
  ])('never says "Sent" when the platform refused the decision (%s)', (_name, state) => {
    const m = approvalMessage(approval({ state }));
    const all = [m.text, ...allTexts(m.blocks)].join('\n');
    expect(all).not.toMatch(/\bSent\b/);
    expect(all).toContain('Nothing was sent.');
    expect(all).not.toContain(':white_check_mark:');
  });

  it('quotes the reject reason for the assistant', () => {
    const m = approvalMessage(approval({ state: decided({ decision: 'reject', reason: 'Too formal.\nOffer a refund.' }) }));
    expect(allTexts(m.blocks).join('\n')).toContain('*Reason for the assistant:*\n>Too formal.\n>Offer a refund.');
    expect(m.text).toMatch(/^Rejected: /);
  });

  it('says a cancelled or expired approval was not sent, with the detail', () => {
    const cancelled = approvalMessage(approval({ state: { kind: 'closed', reason: 'cancelled', detail: 'Customer wrote again' } }));
    expect(allTexts(cancelled.blocks).join('\n')).toMatch(/:no_entry: \*Cancelled\*[^\n]*\n?[\s\S]*Customer wrote again/);
    expect(cancelled.text).toMatch(/^Cancelled: /);
    const expired = approvalMessage(approval({ state: { kind: 'closed', reason: 'expired', detail: null } }));
    expect(allTexts(expired.blocks).join('\n')).toContain(':hourglass: *Expired* — not sent.');
    expect(expired.text).toMatch(/^Expired: /);
  });

  it('has a short state-dependent fallback text, even for absurd subjects', () => {
    expect(approvalMessage(approval()).text).toBe('Approval needed: reply to ann@customer.com — Re: Where is my order?');
    const huge = approvalMessage(approval({ draft: draftMail({ subject: 'x'.repeat(10_000) }), inbound: mail({ from: 'y'.repeat(10_000) }) }));
    expectValidMessage(huge);
    expect(huge.text.length).toBeLessThan(1000);
  });

  it('posts a 6,000-character draft whole, split into sections on word boundaries', () => {
    const text = paragraphText(6000);
    const m = approvalMessage(approval({ draft: draftMail({ text }) }));
    expectValidMessage(m);
    const parts = bodyTexts(m.blocks, ApprovalBlock.draftBody);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.map(unescape).join('')).toBe(text);
    for (const p of parts.slice(0, -1)) expect(p).toMatch(/\s$/);
    expect(allTexts(m.blocks).join('\n')).not.toContain('truncated');
    expect(buttons(m.blocks).map((b) => b.action_id)).not.toContain(ApprovalAction.viewDraft);
  });

  it('truncates a 200,000-character draft with a note and a View full draft button', () => {
    const text = paragraphText(200_000);
    const m = approvalMessage(approval({ draft: draftMail({ text }) }));
    expectValidMessage(m);
    const shown = bodyTexts(m.blocks, ApprovalBlock.draftBody).map(unescape).join('');
    expect(text.startsWith(shown)).toBe(true);
    expect(allTexts(m.blocks).join('\n')).toContain(`…(truncated: ${(200_000 - shown.length).toLocaleString('en-US')} more characters)`);
    const view = buttons(m.blocks).find((b) => b.action_id === ApprovalAction.viewDraft);
    expect(view).toMatchObject({ value: APPROVAL_ID, text: { text: 'View full draft' } });
    // Still one actions block while pending.
    expect(m.blocks.filter(isActions)).toHaveLength(1);
  });

  it('keeps View full draft after the decision when the draft was truncated', () => {
    const m = approvalMessage(approval({ draft: draftMail({ text: paragraphText(50_000) }), state: decided() }));
    expect(buttons(m.blocks).map((b) => b.action_id)).toEqual([ApprovalAction.viewDraft]);
  });

  it('gives the draft priority over the inbound mail and the thread', () => {
    const m = approvalMessage(
      approval({
        inbound: mail({ text: paragraphText(100_000) }),
        draft: draftMail({ text: paragraphText(100_000), to: Array.from({ length: 50 }, (_, i) => `person-${i}@example.com`) }),
        thread: Array.from({ length: 60 }, (_, i) => mail({ text: `m${i} ${paragraphText(5000)}` })),
      }),
    );
    expectValidMessage(m);
    const draft = bodyTexts(m.blocks, ApprovalBlock.draftBody).join('').length;
    const inbound = bodyTexts(m.blocks, ApprovalBlock.inboundBody).join('').length;
    expect(draft).toBeGreaterThan(inbound);
    expect(inbound).toBeGreaterThan(0);
    expect(allTexts(m.blocks).filter((t) => t.includes('truncated:'))).toHaveLength(2);
  });

  it('fits 60 thread messages by showing the latest ones oldest first and counting the rest', () => {
    const thread = Array.from({ length: 60 }, (_, i) => mail({ from: `sender${i}@example.com`, text: `Message number ${i}. ${paragraphText(1000)}` }));
    const m = approvalMessage(approval({ thread }));
    expectValidMessage(m);
    const all = allTexts(m.blocks);
    const shown = all.flatMap((t) => [...t.matchAll(/Message number (\d+)\./g)].map((x) => Number(x[1])));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.at(-1)).toBe(59);
    expect(shown).toEqual([...shown].sort((a, b) => a - b));
    expect(all.join('\n')).toContain(`${60 - shown.length} earlier messages not shown`);
    for (const t of all.filter((x) => x.includes('Message number'))) expect(unescape(t).length).toBeLessThan(600);
  });

  it('never splits a surrogate pair or an emoji sequence between sections', () => {
    const family = '👨‍👩‍👧';
    for (const text of ['😀'.repeat(7000), `a${'😀'.repeat(3000)}`, family.repeat(1500), `${'x'.repeat(2899)}😀${'y'.repeat(3000)}`]) {
      const m = approvalMessage(approval({ draft: draftMail({ text }) }));
      expectValidMessage(m);
      const parts = bodyTexts(m.blocks, ApprovalBlock.draftBody);
      for (const p of parts) expect(p).not.toMatch(LONE_SURROGATE);
      expect(text.startsWith(parts.join(''))).toBe(true);
      if (text.startsWith(family)) for (const p of parts) expect(p.length % family.length).toBe(0);
      const modal = fullDraftModal({ approvalId: APPROVAL_ID, draft: draftMail({ text }) });
      expect(validateView(modal)).toEqual([]);
      const modalParts = bodyTexts(modal.blocks, ApprovalBlock.draftBody);
      for (const p of modalParts) expect(p).not.toMatch(LONE_SURROGATE);
      expect(modalParts.join('')).toBe(text);
    }
  });

  it('keeps the approve confirmation within Slack limits with 50 long recipients', () => {
    const to = Array.from({ length: 40 }, (_, i) => `a-very-long-recipient-name-number-${i}@subdomain.example-company.com`);
    const cc = Array.from({ length: 10 }, (_, i) => `cc-${i}@example.com`);
    const m = approvalMessage(approval({ draft: draftMail({ to, cc }) }));
    expectValidMessage(m);
    const confirm = buttons(m.blocks).find((b) => b.action_id === ApprovalAction.approve)?.confirm;
    expect(confirm).toBeDefined();
    expect(confirm?.title?.text.length).toBeLessThanOrEqual(100);
    expect(confirm?.text.text.length).toBeLessThanOrEqual(300);
    expect(confirm?.confirm?.text.length).toBeLessThanOrEqual(30);
    expect(confirm?.deny?.text.length).toBeLessThanOrEqual(30);
    expect(confirm?.text.text).toContain(to[0]);
    expect(confirm?.text.text).toMatch(/and \d+ more\.$/);
  });

  it('puts only the approval id in button values', () => {
    const views = [approval(), approval({ draft: draftMail({ text: paragraphText(100_000) }) }), approval({ draft: draftMail({ text: paragraphText(100_000) }), state: decided() })];
    for (const v of views) {
      const bs = buttons(approvalMessage(v).blocks);
      expect(bs.length).toBeGreaterThan(0);
      for (const b of bs) expect(b.value).toBe(APPROVAL_ID);
    }
  });

  it('escapes mrkdwn in mail content so it cannot ping anyone or fake a link', () => {
    const evil = '<!channel> <@U123> <!here|here> <#C999> *bold* <https://evil.example|click> & &amp; > @channel';
    const evilMail = (): EmailMessage => mail({ from: evil, to: [evil], cc: [evil], subject: evil, text: `${evil}\n${evil}` });
    const v = approval({
      identity: { emailAddress: evil, displayName: evil },
      assistantName: evil,
      inbound: evilMail(),
      thread: [evilMail(), evilMail()],
      draft: evilMail(),
    });
    const states: ApprovalView['state'][] = [
      { kind: 'pending' },
      decided({ decision: 'reject', reason: evil, report: 'refused', reportDetail: evil }),
      decided({ byUserId: evil }),
      { kind: 'closed', reason: 'cancelled', detail: evil },
    ];
    for (const state of states) {
      const m = approvalMessage({ ...v, state });
      expectValidMessage(m);
      const all = [m.text, ...mrkdwnTexts(m.blocks)].join('\n');
      const withoutOurTokens = all.replace(/<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>]+>/g, '').replaceAll(`<@${DECIDER}>`, '');
      expect(withoutOurTokens).not.toContain('<');
      expect(all).toContain('&lt;!channel&gt;');
      expect(all).toContain('&amp;amp;');
      // No auto-linking of plain "@channel" or "#channel" text in mail content.
      for (const b of m.blocks) {
        const elements = isSection(b) ? [b.text] : b.type === 'context' ? b.elements : [];
        for (const e of elements) if (e && e.type === 'mrkdwn') expect(e.verbatim).toBe(true);
      }
    }
    const confirmText = buttons(approvalMessage(v).blocks).find((b) => b.action_id === ApprovalAction.approve)?.confirm?.text;
    expect(confirmText?.type).toBe('plain_text');
  });
});

// ---------- modals ----------

describe('fullDraftModal', () => {
  it('shows a 200,000-character draft in full, under 250 kB and 100 blocks', () => {
    const text = paragraphText(200_000, 'Dear Ann, your parcel left our warehouse today. ');
    const view = fullDraftModal({ approvalId: APPROVAL_ID, draft: draftMail({ text }) });
    expect(validateView(view)).toEqual([]);
    expect(viewBytes(view)).toBeLessThan(250_000);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(bodyTexts(view.blocks, ApprovalBlock.draftBody).map(unescape).join('')).toBe(text);
  });

  it('truncates a draft beyond what one view can hold, with a note', () => {
    for (const text of [paragraphText(200_000), paragraphText(1_000_000), '€'.repeat(300_000), '&'.repeat(300_000)]) {
      const view = fullDraftModal({ approvalId: APPROVAL_ID, draft: draftMail({ text }) });
      expect(validateView(view)).toEqual([]);
      expect(viewBytes(view)).toBeLessThan(250_000);
      const shown = bodyTexts(view.blocks, ApprovalBlock.draftBody).map(unescape).join('');
      expect(text.startsWith(shown)).toBe(true);
      expect(allTexts(view.blocks).join('\n')).toContain(`…(truncated: ${(Array.from(text).length - Array.from(shown).length).toLocaleString('en-US')} more characters)`);
    }
  });

  it('handles an empty draft', () => {
    const view = fullDraftModal({ approvalId: APPROVAL_ID, draft: draftMail({ text: '' }) });
    expect(validateView(view)).toEqual([]);
    expect(allTexts(view.blocks).join('\n')).toContain('(no text)');
  });
});

describe('editDraftModal', () => {
  const edit = (draft: EmailMessage) => editDraftModal({ approvalId: APPROVAL_ID, draft, privateMetadata: APPROVAL_ID });

  function inputs(view: slack.ModalView): Map<string, slack.PlainTextInput> {
    const out = new Map<string, slack.PlainTextInput>();
    for (const b of view.blocks.filter(isInput)) if (b.block_id && b.element.type === 'plain_text_input') out.set(b.block_id, b.element);
    return out;
  }

  it.each([
    ['a short draft', draftMail()],
    ['a draft of exactly 3,000 characters', draftMail({ text: paragraphText(3000) })],
    ['a draft of 1,500 emoji (3,000 UTF-16 units)', draftMail({ text: '😀'.repeat(1500) })],
    ['an empty draft', draftMail({ text: '', subject: '' })],
  ])('prefills subject and text within max_length for %s', (_name, draft) => {
    expect(canEditInSlack(draft)).toBe(true);
    const view = edit(draft);
    expect(validateView(view)).toEqual([]);
    expect(view.callback_id).toBe(EDIT_DRAFT_CALLBACK);
    expect(view.private_metadata).toBe(APPROVAL_ID);
    const fields = inputs(view);
    const subject = fields.get(EditDraftField.subject);
    const text = fields.get(EditDraftField.text);
    expect(subject?.action_id).toBe(EditDraftField.subject);
    expect(text?.action_id).toBe(EditDraftField.text);
    expect(subject?.initial_value ?? '').toBe(draft.subject);
    expect(text?.initial_value ?? '').toBe(draft.text);
    expect((subject?.initial_value ?? '').length).toBeLessThanOrEqual(subject?.max_length ?? 0);
    expect((text?.initial_value ?? '').length).toBeLessThanOrEqual(text?.max_length ?? 0);
    expect(text?.max_length).toBeLessThanOrEqual(3000);
    expect(text?.multiline).toBe(true);
  });

  it.each([
    ['3,001 characters', draftMail({ text: paragraphText(3001) })],
    ['1,501 emoji', draftMail({ text: '😀'.repeat(1501) })],
    ['a 1,000-character subject', draftMail({ subject: 's'.repeat(1000) })],
  ])('routes a draft of %s to draftTooLongToEditModal', (_name, draft) => {
    expect(canEditInSlack(draft)).toBe(false);
    const view = edit(draft);
    expect(validateView(view)).toEqual([]);
    expect(view.callback_id).toBe(DRAFT_TOO_LONG_CALLBACK);
    expect(view.blocks.filter(isInput)).toEqual([]);
    expect(view.submit).toBeUndefined();
  });

  it('refuses private_metadata longer than Slack allows', () => {
    expect(() => editDraftModal({ approvalId: APPROVAL_ID, draft: draftMail(), privateMetadata: 'x'.repeat(3001) })).toThrow(RangeError);
  });
});

describe('draftTooLongToEditModal', () => {
  it('says the draft exceeds the 3,000-character limit and what to do instead', () => {
    const view = draftTooLongToEditModal({ approvalId: APPROVAL_ID, length: 12_345 });
    expect(validateView(view)).toEqual([]);
    const all = allTexts(view.blocks).join('\n');
    expect(all).toContain('12,345 characters');
    expect(all).toContain('3,000 characters');
    expect(all).toMatch(/Approve & send\* it as it is/);
    expect(all).toMatch(/Reject\* it with a reason asking the assistant to shorten it/);
    expect(all).toContain('on the platform');
  });
});

describe('rejectModal', () => {
  it('asks for an optional multiline reason of up to 2,000 characters', () => {
    const view = rejectModal({ approvalId: APPROVAL_ID, privateMetadata: APPROVAL_ID });
    expect(validateView(view)).toEqual([]);
    expect(view.callback_id).toBe(REJECT_CALLBACK);
    expect(view.private_metadata).toBe(APPROVAL_ID);
    const input = view.blocks.filter(isInput).find((b) => b.block_id === RejectField.reason);
    expect(input?.optional).toBe(true);
    expect(input?.element).toMatchObject({ type: 'plain_text_input', action_id: RejectField.reason, multiline: true, max_length: 2000 });
  });
});

describe('noticeModal', () => {
  it('stays valid with an over-long title and text', () => {
    const view = noticeModal('A title far longer than twenty-four characters', 'x'.repeat(10_000));
    expect(validateView(view)).toEqual([]);
    expect(view.title.text.length).toBeLessThanOrEqual(24);
  });

  it('stays valid with empty text', () => {
    expect(validateView(noticeModal('', ''))).toEqual([]);
  });
});
