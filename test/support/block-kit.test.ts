import { describe, expect, it } from 'vitest';
import { validateMessage, validateOptionsResponse, validateView } from './block-kit.ts';

const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'section', text: mrkdwn(text), ...extra });
const option = (value: string, text = value) => ({ text: plain(text), value });
const input = (blockId: string, element: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'input',
  block_id: blockId,
  label: plain('Label'),
  element: { action_id: `${blockId}_a`, ...element },
  ...extra,
});
const modal = (blocks: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  callback_id: 'cb',
  title: plain('New identity'),
  submit: plain('Create'),
  close: plain('Cancel'),
  blocks,
  ...extra,
});

describe('validateMessage', () => {
  it('accepts a rich, valid message', () => {
    const blocks = [
      { type: 'header', text: plain('Draft reply') },
      section('*From:* a@b.c', { accessory: { type: 'button', action_id: 'open', text: plain('Open'), url: 'https://example.com', style: 'primary' } }),
      { type: 'section', fields: [mrkdwn('*To*'), mrkdwn('x')] },
      { type: 'divider' },
      { type: 'context', elements: [mrkdwn('sent'), { type: 'image', image_url: 'https://example.com/a.png', alt_text: 'a' }] },
      {
        type: 'actions',
        block_id: 'decide',
        elements: [
          {
            type: 'button',
            action_id: 'approve',
            text: plain('Approve'),
            value: 'id-1',
            style: 'primary',
            confirm: { title: plain('Sure?'), text: mrkdwn('Really send?'), confirm: plain('Send'), deny: plain('Back') },
          },
          { type: 'button', action_id: 'reject', text: plain('Reject'), value: 'id-1', style: 'danger' },
          { type: 'static_select', action_id: 'pick', placeholder: plain('Pick'), options: [option('a'), option('b')], initial_option: option('b') },
          { type: 'overflow', action_id: 'more', options: [option('x'), { ...option('y'), url: 'https://example.com' }] },
        ],
      },
      { type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'hi' }] }] },
    ];
    expect(validateMessage({ text: 'fallback', blocks })).toEqual([]);
  });

  it('rejects a 3001-char section and cites the limit', () => {
    expect(validateMessage({ text: 't', blocks: [section('x'), section('y'.repeat(3001))] })).toEqual(['blocks[1].text.text: 3001 chars > 3000']);
  });

  it('requires a text fallback with blocks, and text or blocks at all', () => {
    expect(validateMessage({ blocks: [section('hi')] })).toEqual([expect.stringMatching(/^text: missing text fallback/)]);
    expect(validateMessage({ blocks: [section('hi')] }, { requireTextFallback: false })).toEqual([]);
    expect(validateMessage({})).toEqual([expect.stringMatching(/^text: required/)]);
  });

  it('limits messages to 50 blocks', () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`s${i}`));
    expect(validateMessage({ text: 't', blocks })).toEqual(['blocks: 51 items > 50']);
  });

  it('flags duplicate block_ids and action_ids within a block', () => {
    const btn = (id: string) => ({ type: 'button', action_id: id, text: plain('B') });
    const problems = validateMessage({
      text: 't',
      blocks: [
        { type: 'actions', block_id: 'a', elements: [btn('x'), btn('x')] },
        { type: 'divider', block_id: 'a' },
      ],
    });
    expect(problems).toEqual(['blocks[0].elements[1].action_id: duplicate action_id "x" in this block', 'blocks[1].block_id: duplicate block_id "a"']);
  });

  it('checks text objects, plain_text-only places, and element limits', () => {
    const problems = validateMessage({
      text: 't',
      blocks: [
        { type: 'header', text: mrkdwn('*bold*') },
        { type: 'section', text: { type: 'markdown', text: 'x' } },
        { type: 'section', text: mrkdwn('') },
        { type: 'section' },
        { type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) },
        { type: 'section', fields: [mrkdwn('f'.repeat(2001))] },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'b1', text: plain('b'.repeat(76)), value: 'v'.repeat(2001), style: 'secondary', url: `https://x/${'u'.repeat(3000)}` },
            { type: 'button', action_id: 'b2', text: mrkdwn('b'), confirm: { title: plain('t'.repeat(101)), text: plain('x'.repeat(301)), confirm: plain('c'.repeat(31)), deny: plain('d') } },
          ],
        },
        { type: 'header', text: plain('h'.repeat(151)) },
      ],
    });
    expect(problems).toEqual([
      'blocks[0].text.type: must be plain_text here (got mrkdwn)',
      'blocks[1].text.type: must be plain_text or mrkdwn (got "markdown")',
      'blocks[2].text.text: must not be empty',
      'blocks[3]: section needs text or fields',
      'blocks[4].fields: 11 items > 10',
      'blocks[5].fields[0].text: 2001 chars > 2000',
      'blocks[6].elements[0].text.text: 76 chars > 75',
      'blocks[6].elements[0].value: 2001 chars > 2000',
      'blocks[6].elements[0].url: 3010 chars > 3000',
      'blocks[6].elements[0].style: must be primary or danger (got "secondary")',
      'blocks[6].elements[1].confirm.title.text: 101 chars > 100',
      'blocks[6].elements[1].confirm.text.text: 301 chars > 300',
      'blocks[6].elements[1].confirm.confirm.text: 31 chars > 30',
      'blocks[6].elements[1].text.type: must be plain_text here (got mrkdwn)',
      'blocks[7].text.text: 151 chars > 150',
    ]);
  });

  it('limits context to 10 and actions to 25 elements', () => {
    const btns = Array.from({ length: 26 }, (_, i) => ({ type: 'button', action_id: `b${i}`, text: plain('b') }));
    expect(
      validateMessage({
        text: 't',
        blocks: [
          { type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('c')) },
          { type: 'actions', elements: btns },
        ],
      }),
    ).toEqual(['blocks[0].elements: 11 items > 10', 'blocks[1].elements: 26 items > 25']);
  });

  it('rejects unknown block and element types, and elements in the wrong block', () => {
    const problems = validateMessage({
      text: 't',
      blocks: [
        { type: 'image', image_url: 'https://x', alt_text: 'x' },
        { type: 'actions', elements: [{ type: 'timepicker', action_id: 'tp' }, { type: 'plain_text_input', action_id: 'p' }] },
        { type: 'section', text: mrkdwn('x'), accessory: { type: 'email_text_input', action_id: 'e' } },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^blocks\[0\]\.type: unknown block type "image"/),
      'blocks[1].elements[0].type: unknown element type "timepicker"',
      expect.stringMatching(/^blocks\[1\]\.elements\[1\]\.type: plain_text_input is not allowed here/),
      expect.stringMatching(/^blocks\[2\]\.accessory\.type: email_text_input is not allowed here/),
    ]);
  });

  it('checks select options: count, plain_text text, value length, initial option', () => {
    const many = Array.from({ length: 101 }, (_, i) => option(`v${i}`));
    const problems = validateMessage({
      text: 't',
      blocks: [
        {
          type: 'actions',
          elements: [
            { type: 'static_select', action_id: 's1', options: many },
            { type: 'static_select', action_id: 's2', options: [{ text: mrkdwn('m'), value: 'v' }, option('v'.repeat(76), 't'.repeat(76))], initial_option: option('zz') },
            { type: 'static_select', action_id: 's3', placeholder: plain('p'.repeat(151)) },
          ],
        },
      ],
    });
    expect(problems).toEqual([
      'blocks[0].elements[0].options: 101 items > 100',
      'blocks[0].elements[1].options[0].text.type: must be plain_text here (got mrkdwn)',
      'blocks[0].elements[1].options[1].text.text: 76 chars > 75',
      'blocks[0].elements[1].options[1].value: 76 chars > 75',
      'blocks[0].elements[1].initial_option: value "zz" matches none of the options',
      'blocks[0].elements[2].placeholder.text: 151 chars > 150',
      'blocks[0].elements[2]: exactly one of options or option_groups is required',
    ]);
  });
});

describe('validateView', () => {
  it('accepts a valid modal with inputs', () => {
    const view = modal([
      input('name', { type: 'plain_text_input', max_length: 64, initial_value: 'abc', placeholder: plain('name') }, { hint: plain('Lowercase') }),
      input('count', { type: 'number_input', is_decimal_allowed: false, min_value: '1', max_value: '10', initial_value: '3' }),
      input('email', { type: 'email_text_input' }),
      input('site', { type: 'url_text_input' }, { optional: true }),
      input('channel', { type: 'conversations_select', default_to_current_conversation: true, filter: { include: ['public', 'private'], exclude_bot_users: true } }),
      input('owner', { type: 'users_select' }),
      input('kind', { type: 'external_select', min_query_length: 0 }),
      input('flags', { type: 'checkboxes', options: [{ text: mrkdwn('*a*'), value: 'a' }], initial_options: [{ text: mrkdwn('*a*'), value: 'a' }] }),
      input('when', { type: 'datepicker', initial_date: '2026-01-31' }),
    ], { private_metadata: 'x'.repeat(3000) });
    expect(validateView(view)).toEqual([]);
  });

  it('enforces modal title/submit/close, submit with inputs, ids and metadata', () => {
    const view = modal([input('a', { type: 'plain_text_input' })], {
      title: plain('t'.repeat(25)),
      submit: undefined,
      close: mrkdwn('x'),
      private_metadata: 'm'.repeat(3001),
      callback_id: 'c'.repeat(256),
    });
    expect(validateView(view)).toEqual([
      'title.text: 25 chars > 24',
      'close.type: must be plain_text here (got mrkdwn)',
      'submit: required',
      'private_metadata: 3001 chars > 3000',
      'callback_id: 256 chars > 255',
    ]);
    expect(validateView({ ...modal([]), type: 'dialog' })).toEqual(['type: must be modal or home (got "dialog")']);
  });

  it('limits modals to 100 blocks', () => {
    expect(validateView(modal(Array.from({ length: 101 }, () => ({ type: 'divider' }))))).toEqual(['blocks: 101 items > 100']);
  });

  it('checks input blocks and input elements', () => {
    const problems = validateView(
      modal([
        { type: 'input', block_id: 'a', label: mrkdwn('l'), elements: [] },
        input('b', { type: 'button', text: plain('no') }),
        input('c', { type: 'plain_text_input', max_length: 0 }),
        input('d', { type: 'plain_text_input', max_length: 5, initial_value: 'toolong' }),
        input('e', { type: 'plain_text_input', max_length: 3001 }),
        input('f', { type: 'number_input', initial_value: 3 }),
        input('g', { type: 'number_input', is_decimal_allowed: false, min_value: '1.5' }),
        input('h', { type: 'plain_text_input' }, { label: plain('l'.repeat(2001)), hint: plain('h'.repeat(2001)) }),
        { ...input('i', { type: 'plain_text_input' }), block_id: 'b'.repeat(256) },
      ]),
    );
    expect(problems).toEqual([
      'blocks[0].label.type: must be plain_text here (got mrkdwn)',
      'blocks[0].elements: input takes exactly one `element`, not `elements`',
      'blocks[0].element: required (exactly one input element)',
      expect.stringMatching(/^blocks\[1\]\.element\.type: button is not allowed here/),
      'blocks[2].element.max_length: 0 outside 1–3000',
      'blocks[3].element.initial_value: 7 chars > 5',
      'blocks[4].element.max_length: 3001 outside 1–3000',
      'blocks[5].element.is_decimal_allowed: required (boolean)',
      'blocks[5].element.initial_value: must be a string (got number)',
      'blocks[6].element.min_value: "1.5" is not an integer (is_decimal_allowed is false)',
      'blocks[7].label.text: 2001 chars > 2000',
      'blocks[7].hint.text: 2001 chars > 2000',
      'blocks[8].block_id: 256 chars > 255',
    ]);
  });
});

describe('validateOptionsResponse', () => {
  it('accepts options or option_groups and checks limits', () => {
    expect(validateOptionsResponse({ options: [option('a')] })).toEqual([]);
    expect(validateOptionsResponse({ option_groups: [{ label: plain('G'), options: [option('a')] }] })).toEqual([]);
    expect(validateOptionsResponse({ options: Array.from({ length: 101 }, (_, i) => option(`o${i}`)) })).toEqual(['options: 101 items > 100']);
    expect(validateOptionsResponse({})).toEqual(['body: exactly one of options or option_groups is required']);
  });
});
