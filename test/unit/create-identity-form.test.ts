import { describe, expect, it } from 'vitest';
import { readDraft, validateDraft, validateEditDraft } from '../../src/slack/create-identity/form.ts';
import type { FormDraft } from '../../src/slack/create-identity/views.ts';

const DOMAIN = { value: '3c90c3cc-0d44-4b50-8888-8dd25736052a', label: 'acme.com' };
const good: FormDraft = {
  domain: DOMAIN,
  localPart: ' Support ',
  displayName: 'Acme Support',
  approvalChannelId: 'C0123',
  threadDepth: '10',
};

describe('readDraft', () => {
  it('reads each element type from view.state.values', () => {
    const draft = readDraft({
      domain: { domain: { type: 'external_select', selected_option: { text: { type: 'plain_text', text: 'acme.com' }, value: DOMAIN.value } } },
      local_part: { local_part: { type: 'plain_text_input', value: 'support' } },
      approval_channel: { approval_channel: { type: 'conversations_select', selected_conversation: 'C1' } },
      approvers: { approvers: { type: 'multi_users_select', selected_users: ['U1', 'U2'] } },
      thread_depth: { thread_depth: { type: 'number_input', value: '5' } },
      reply_to: { reply_to: { type: 'email_text_input', value: null } },
      required_approvals: { required_approvals: { type: 'number_input', value: '2' } },
      remind_after: { remind_after: { type: 'number_input', value: '30' } },
      escalate_to: { escalate_to: { type: 'multi_users_select', selected_users: ['U3'] } },
      undo_seconds: { undo_seconds: { type: 'number_input', value: '15' } },
    });
    expect(draft).toMatchObject({
      domain: DOMAIN,
      localPart: 'support',
      approvalChannelId: 'C1',
      approverUserIds: ['U1', 'U2'],
      threadDepth: '5',
      replyTo: undefined,
      requiredApprovals: '2',
      remindAfter: '30',
      escalationUserIds: ['U3'],
      undoSeconds: '15',
    });
  });

  it('tolerates values of the wrong shape instead of throwing', () => {
    expect(readDraft({ domain: { domain: { selected_option: 'nope' } }, local_part: 7 })).toMatchObject({ domain: undefined, localPart: undefined });
    expect(readDraft('garbage')).toMatchObject({ domain: undefined });
  });
});

describe('validateDraft', () => {
  it('accepts a complete draft and normalises it', () => {
    const result = validateDraft({ ...good, replyTo: ' help@acme.com ', approverUserIds: ['U1', 'U1', 'W2'] });
    expect(result).toEqual({
      ok: true,
      form: {
        domainId: DOMAIN.value,
        localPart: 'support',
        displayName: 'Acme Support',
        assistantId: null,
        approvalChannelId: 'C0123',
        approverUserIds: ['U1', 'W2'],
        replyTo: 'help@acme.com',
        threadDepth: 10,
        signatureText: null,
        signatureHtml: null,
        settings: { requiredApprovals: 1, remindAfterMinutes: null, escalationUserIds: [], undoSeconds: 0 },
      },
    });
  });

  it('reads the approval settings, defaults when left empty', () => {
    const result = validateDraft({ ...good, approverUserIds: ['U1', 'U2'], requiredApprovals: '2', remindAfter: ' 45 ', escalationUserIds: ['U9', 'U9'], undoSeconds: '300' });
    expect(result.ok && result.form.settings).toEqual({ requiredApprovals: 2, remindAfterMinutes: 45, escalationUserIds: ['U9'], undoSeconds: 300 });
    const empty = validateDraft({ ...good, requiredApprovals: '', remindAfter: '', undoSeconds: '' });
    expect(empty.ok && empty.form.settings).toEqual({ requiredApprovals: 1, remindAfterMinutes: null, escalationUserIds: [], undoSeconds: 0 });
  });

  it('checks the edit form the same way, without the address', () => {
    expect(validateEditDraft({ ...good, domain: undefined, localPart: undefined })).toMatchObject({ ok: true, values: { displayName: 'Acme Support', approvalChannelId: 'C0123' } });
    expect(validateEditDraft({ ...good, requiredApprovals: '3' })).toMatchObject({ ok: false, errors: { required_approvals: expect.stringMatching(/needs approvers/) } });
  });

  it.each<[string, FormDraft, Record<string, RegExp>]>([
    ['no domain', { ...good, domain: undefined }, { domain: /Choose a domain/ }],
    ['a domain option that is not an id', { ...good, domain: { value: 'unavailable', label: 'x' } }, { domain: /not one of the workspace/ }],
    ['an empty local part', { ...good, localPart: '   ' }, { local_part: /before the @/ }],
    ['a whole address as local part', { ...good, localPart: 'a@b.com' }, { local_part: /only the part before the @/ }],
    ['a local part with spaces', { ...good, localPart: 'sales team' }, { local_part: /letters, digits/ }],
    ['a local part ending in a dot', { ...good, localPart: 'sales.' }, { local_part: /letters, digits/ }],
    ['a local part with two dots', { ...good, localPart: 'a..b' }, { local_part: /letters, digits/ }],
    ['a local part of 65 characters', { ...good, localPart: 'a'.repeat(65) }, { local_part: /At most 64/ }],
    ['no display name', { ...good, displayName: '' }, { display_name: /Enter a display name/ }],
    ['a direct message as channel', { ...good, approvalChannelId: 'D0123' }, { approval_channel: /direct messages/ }],
    ['a bad reply-to', { ...good, replyTo: 'not-an-email' }, { reply_to: /valid email/ }],
    ['a fractional depth', { ...good, threadDepth: '2.5' }, { thread_depth: /whole number from 0 to 100/ }],
    ['a depth too large', { ...good, threadDepth: '101' }, { thread_depth: /whole number/ }],
    ['a negative depth', { ...good, threadDepth: '-1' }, { thread_depth: /whole number/ }],
    ['an oversize signature', { ...good, signatureHtml: 'x'.repeat(3001) }, { signature_html: /At most 3000/ }],
    ['too many approvers', { ...good, approverUserIds: Array.from({ length: 21 }, (_, i) => `U${i}`) }, { approvers: /at most 20/ }],
    ['an assistant that is not an id', { ...good, assistant: { value: 'x', label: 'x' } }, { assistant: /not one of/ }],
    ['approvals required of 0', { ...good, requiredApprovals: '0' }, { required_approvals: /whole number from 1 to 5/ }],
    ['approvals required of 6', { ...good, approverUserIds: Array.from({ length: 6 }, (_, i) => `U${i}`), requiredApprovals: '6' }, { required_approvals: /from 1 to 5/ }],
    ['approvals required above 1 without approvers', { ...good, requiredApprovals: '2' }, { required_approvals: /needs approvers/ }],
    ['more approvals required than approvers', { ...good, approverUserIds: ['U1', 'U2'], requiredApprovals: '3' }, { required_approvals: /number of approvers \(2\)/ }],
    ['a reminder of 0 minutes', { ...good, remindAfter: '0' }, { remind_after: /1 or more/ }],
    ['a fractional reminder', { ...good, remindAfter: '1.5' }, { remind_after: /whole number of minutes/ }],
    ['too many people to escalate to', { ...good, escalationUserIds: Array.from({ length: 21 }, (_, i) => `U${i}`) }, { escalate_to: /at most 20/ }],
    ['escalating to something that is not a person', { ...good, escalationUserIds: ['C123'] }, { escalate_to: /people from this workspace/ }],
    ['an undo window of 301 seconds', { ...good, undoSeconds: '301' }, { undo_seconds: /from 0 to 300/ }],
    ['a negative undo window', { ...good, undoSeconds: '-5' }, { undo_seconds: /from 0 to 300/ }],
  ])('rejects %s with a message on that field', (_name, draft, expected) => {
    const result = validateDraft(draft);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors)).toEqual(Object.keys(expected));
    for (const [field, pattern] of Object.entries(expected)) expect(result.errors[field as keyof typeof result.errors]).toMatch(pattern);
  });

  it('reports every bad field at once', () => {
    const result = validateDraft({ threadDepth: 'x' });
    expect(result.ok ? [] : Object.keys(result.errors).sort()).toEqual(['approval_channel', 'display_name', 'domain', 'local_part', 'thread_depth']);
  });
});
