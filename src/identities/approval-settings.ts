import type { ApprovalChannel, StoredApprovalChannel } from '../platform/schemas.ts';

/**
 * How approvals of an identity are decided, as the platform holds them in its
 * approval_channel (see the contract). The behaviours they switch on (quorum,
 * reminders, escalation, undo) read them from the mirror.
 */
export interface ApprovalSettings {
  /** Different approvers who must approve; never more than the approvers named. */
  requiredApprovals: number;
  /** Remind the approvers after this many minutes pending; null: no periodic reminder. */
  remindAfterMinutes: number | null;
  /** Slack users told in a direct message when an approval is still pending late. */
  escalationUserIds: string[];
  /** How long an Approve waits, and can be undone, before it is reported. */
  undoSeconds: number;
}

/** What an absent key means (the contract's defaults). */
export const DEFAULT_APPROVAL_SETTINGS: ApprovalSettings = { requiredApprovals: 1, remindAfterMinutes: null, escalationUserIds: [], undoSeconds: 0 };

export const SETTING_LIMITS = { requiredApprovals: { min: 1, max: 5 }, undoSeconds: { min: 0, max: 300 }, escalationUsers: 20 } as const;

/** The settings an approval channel holds; absent (or out-of-range, already dropped by the schema) keys read as the default. */
export function settingsOf(channel: StoredApprovalChannel): ApprovalSettings {
  return {
    requiredApprovals: channel.required_approvals ?? DEFAULT_APPROVAL_SETTINGS.requiredApprovals,
    remindAfterMinutes: channel.remind_after_minutes ?? null,
    escalationUserIds: channel.escalation_user_ids ?? [],
    undoSeconds: channel.undo_seconds ?? DEFAULT_APPROVAL_SETTINGS.undoSeconds,
  };
}

type SettingKeys = Pick<ApprovalChannel, 'required_approvals' | 'remind_after_minutes' | 'escalation_user_ids' | 'undo_seconds'>;

/** The approval_channel keys this app owns for settings; an absent key means the default. */
export const SETTING_KEYS = ['required_approvals', 'remind_after_minutes', 'escalation_user_ids', 'undo_seconds'] as const;

/**
 * The keys to write for these settings: only those that differ from the default, so an
 * identity without settings keeps the approval_channel it always had, and a setting put
 * back to its default leaves no key behind.
 */
export function settingsKeys(settings: ApprovalSettings): SettingKeys {
  return {
    ...(settings.requiredApprovals !== DEFAULT_APPROVAL_SETTINGS.requiredApprovals && { required_approvals: settings.requiredApprovals }),
    ...(settings.remindAfterMinutes !== null && { remind_after_minutes: settings.remindAfterMinutes }),
    ...(settings.escalationUserIds.length > 0 && { escalation_user_ids: settings.escalationUserIds }),
    ...(settings.undoSeconds !== DEFAULT_APPROVAL_SETTINGS.undoSeconds && { undo_seconds: settings.undoSeconds }),
  };
}

/** The mirror's columns for these settings. */
export function settingsColumns(settings: ApprovalSettings) {
  return {
    requiredApprovals: settings.requiredApprovals,
    remindAfterMinutes: settings.remindAfterMinutes,
    escalationUserIds: settings.escalationUserIds,
    undoSeconds: settings.undoSeconds,
  };
}
