import { describe, expect, it } from 'vitest';
import { patchBody } from '../../src/identities/edit-identity.ts';
import { changedFields, fingerprints, type IdentityValues } from '../../src/identities/identity-values.ts';
import type { Identity } from '../../src/platform/schemas.ts';
import { movedMessage } from '../../src/slack/blocks/announcement.ts';
import { listMessage } from '../../src/slack/commands/messages.ts';
import { validateMessage } from '../support/block-kit.ts';

const values: IdentityValues = {
  displayName: 'Acme Support',
  assistantId: null,
  replyTo: null,
  threadDepth: 10,
  signatureText: 'Thanks ',
  signatureHtml: null,
  approvalChannelId: 'C1',
  approverUserIds: ['U2', 'U1'],
  settings: { requiredApprovals: 2, remindAfterMinutes: null, escalationUserIds: [], undoSeconds: 30 },
};

const identity: Identity = {
  id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  workspace_id: '3c90c3cc-0d44-4b50-8888-8dd25736052b',
  domain_id: '3c90c3cc-0d44-4b50-8888-8dd25736052c',
  assistant_id: null,
  local_part: 'support',
  email_address: 'support@acme.com',
  display_name: 'Acme Support',
  reply_to_email: null,
  signature_text: 'Thanks ',
  signature_html: null,
  thread_history_depth: 10,
  status: 'active',
  approval_channel: { type: 'slack', team_id: 'T1', channel_id: 'C1', channel_name: 'one', approver_user_ids: ['U2', 'U1'], required_approvals: 2, undo_seconds: 30, theirs: [1] },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

describe('what the person changed', () => {
  it('is nothing when the form comes back as it was filled, whatever the order of people or trailing spaces', () => {
    expect(changedFields(fingerprints(values), { ...values, signatureText: 'Thanks', approverUserIds: ['U1', 'U2'] })).toEqual([]);
  });

  it('names each changed field, and treats a missing fingerprint as changed', () => {
    const shown = fingerprints(values);
    expect(changedFields(shown, { ...values, displayName: 'Help', settings: { ...values.settings, undoSeconds: 0 } })).toEqual(['display_name', 'undo_seconds']);
    const { channel_id: _dropped, ...partial } = shown;
    expect(changedFields(partial, values)).toEqual(['channel_id']);
  });
});

describe('the PATCH body', () => {
  it('holds only the given fields', () => {
    expect(patchBody(identity, { ...values, displayName: 'Help', threadDepth: 3 }, ['display_name', 'thread_history_depth'], null)).toEqual({ display_name: 'Help', thread_history_depth: 3 });
  });

  it('sends approval_channel whole when one of its keys changed, keeping the keys it does not know', () => {
    const body = patchBody(identity, { ...values, approvalChannelId: 'C9', settings: { ...values.settings, remindAfterMinutes: 15 } }, ['channel_id', 'remind_after_minutes'], 'nine');
    expect(body).toEqual({
      approval_channel: { type: 'slack', team_id: 'T1', channel_id: 'C9', channel_name: 'nine', approver_user_ids: ['U2', 'U1'], required_approvals: 2, undo_seconds: 30, remind_after_minutes: 15, theirs: [1] },
    });
  });

  it('removes a key put back to its default, and the approvers when none are left', () => {
    const body = patchBody(identity, { ...values, approverUserIds: [], settings: { ...values.settings, requiredApprovals: 1, undoSeconds: 0 } }, ['approver_user_ids', 'required_approvals', 'undo_seconds'], null);
    expect(body.approval_channel).toEqual({ type: 'slack', team_id: 'T1', channel_id: 'C1', channel_name: 'one', theirs: [1] });
  });
});

describe('Block Kit of the moved notes and the list', () => {
  const note = { identityId: identity.id, teamId: 'T1', emailAddress: 'support@acme.com', fromChannelId: 'C1', toChannelId: 'C9', movedByUserId: 'U1' };

  it('says where approvals come now, in both channels, within Slack’s limits', () => {
    const into = movedMessage({ ...note, side: 'to' });
    const out = movedMessage({ ...note, side: 'from' });
    expect(into.text).toBe('Approvals for support@acme.com now come here, moved by <@U1>.');
    expect(out.text).toBe('Approvals for support@acme.com now go to <#C9>, moved by <@U1>.');
    expect(validateMessage({ text: into.text, blocks: into.blocks })).toEqual([]);
    expect(validateMessage({ text: out.text, blocks: out.blocks })).toEqual([]);
  });

  it('puts an Edit button beside the first identities of a long list and stays within 50 blocks', () => {
    const listed = Array.from({ length: 500 }, (_, i) => ({ id: `3c90c3cc-0d44-4b50-8888-${String(i).padStart(12, '0')}`, emailAddress: `agent${i}@acme.com`, displayName: `Agent ${i}`, channelId: 'C1', approverUserIds: [] }));
    const message = listMessage({ ok: true, identities: listed, elsewhere: 0, truncated: false });
    expect(validateMessage({ text: message.text, blocks: message.blocks })).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const buttons = JSON.stringify(message.blocks).match(/"action_id":"identity_edit_open"/g) ?? [];
    expect(buttons).toHaveLength(30);
    expect(JSON.stringify(message.blocks)).toContain('`/identity edit` finds any identity');
  });
});
