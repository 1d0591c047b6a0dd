import { createHash } from 'node:crypto';
import type { ApprovalChannel, Identity } from '../platform/schemas.ts';
import { settingsColumns, settingsOf, type ApprovalSettings } from './approval-settings.ts';
import type { NewIdentity } from './store.ts';

/** What the identity form holds besides the address: the same for creating and editing. */
export interface IdentityValues {
  displayName: string;
  assistantId: string | null;
  replyTo: string | null;
  threadDepth: number;
  signatureText: string | null;
  signatureHtml: string | null;
  approvalChannelId: string;
  approverUserIds: string[];
  settings: ApprovalSettings;
}

/** What an edit may change, named as the platform names it (approval_channel's keys by their own names). */
export const EDITABLE_FIELDS = [
  'display_name',
  'assistant_id',
  'reply_to_email',
  'signature_text',
  'signature_html',
  'thread_history_depth',
  'channel_id',
  'approver_user_ids',
  'required_approvals',
  'remind_after_minutes',
  'escalation_user_ids',
  'undo_seconds',
] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

/** The approval_channel keys among the editable fields: changing any sends approval_channel whole. */
export const CHANNEL_FIELDS: readonly EditableField[] = ['channel_id', 'approver_user_ids', 'required_approvals', 'remind_after_minutes', 'escalation_user_ids', 'undo_seconds'];

/** The values an identity has on the platform, as the form shows them. */
export function valuesOf(identity: Identity, channel: ApprovalChannel): IdentityValues {
  return {
    displayName: identity.display_name,
    assistantId: identity.assistant_id,
    replyTo: identity.reply_to_email,
    threadDepth: identity.thread_history_depth,
    signatureText: identity.signature_text,
    signatureHtml: identity.signature_html,
    approvalChannelId: channel.channel_id,
    approverUserIds: channel.approver_user_ids ?? [],
    settings: settingsOf(channel),
  };
}

const text = (value: string | null): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};
const people = (ids: readonly string[]): string[] => [...new Set(ids)].sort();

/**
 * Each field as the comparison sees it: text trimmed (the form trims what it reads, so a
 * stored trailing space is no change), people as sets.
 */
export function comparable(values: IdentityValues): Record<EditableField, unknown> {
  return {
    display_name: text(values.displayName),
    assistant_id: values.assistantId,
    reply_to_email: text(values.replyTo),
    signature_text: text(values.signatureText),
    signature_html: text(values.signatureHtml),
    thread_history_depth: values.threadDepth,
    channel_id: values.approvalChannelId,
    approver_user_ids: people(values.approverUserIds),
    required_approvals: values.settings.requiredApprovals,
    remind_after_minutes: values.settings.remindAfterMinutes,
    escalation_user_ids: people(values.settings.escalationUserIds),
    undo_seconds: values.settings.undoSeconds,
  };
}

const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 12);

/**
 * A short digest of each field, to carry in a form so its submission can tell what the
 * person changed from what they were shown, without carrying the values themselves.
 */
export function fingerprints(values: IdentityValues): Record<EditableField, string> {
  const all = comparable(values);
  return Object.fromEntries(EDITABLE_FIELDS.map((f) => [f, digest(all[f])])) as Record<EditableField, string>;
}

/** The fields whose value differs from the one the form was filled with; a field without a fingerprint counts as changed. */
export function changedFields(shown: Partial<Record<string, string>>, values: IdentityValues): EditableField[] {
  const now = fingerprints(values);
  return EDITABLE_FIELDS.filter((f) => shown[f] !== now[f]);
}

/** The fields where two sets of values differ. */
export function differingFields(a: IdentityValues, b: IdentityValues): EditableField[] {
  const left = comparable(a);
  const right = comparable(b);
  return EDITABLE_FIELDS.filter((f) => JSON.stringify(left[f]) !== JSON.stringify(right[f]));
}

/** The platform's copy of an identity as mirror columns (the creator is not the platform's to say). */
export function mirrorColumnsOf(identity: Identity, channel: ApprovalChannel, teamId: string): NewIdentity {
  return {
    id: identity.id,
    teamId,
    enterpriseId: channel.enterprise_id ?? null,
    workspaceId: identity.workspace_id,
    emailAddress: identity.email_address,
    displayName: identity.display_name,
    domainId: identity.domain_id,
    assistantId: identity.assistant_id,
    approvalChannelId: channel.channel_id,
    approvalChannelName: channel.channel_name,
    approverUserIds: channel.approver_user_ids ?? [],
    ...settingsColumns(settingsOf(channel)),
  };
}
