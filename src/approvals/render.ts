import { z } from 'zod';
import type { StoredIdentity } from '../identities/store.ts';
import { EmailMessage } from '../platform/schemas.ts';
import { approvalMessage, type ApprovalView } from './message.ts';
import type { StoredApproval } from './store.ts';

/** The request as stored at intake (already validated then; parsed again because it comes out of jsonb). */
const storedRequest = z.object({
  inbound: EmailMessage.nullable().default(null),
  draft: EmailMessage,
  thread: z.array(EmailMessage).default([]),
});
export type StoredRequest = z.output<typeof storedRequest>;

export function requestOf(approval: StoredApproval): StoredRequest {
  return storedRequest.parse(approval.request);
}

/** The draft that will be (or was) sent: the edited one when a person edited it. */
export function effectiveDraft(approval: StoredApproval): z.output<typeof EmailMessage> {
  const { draft } = requestOf(approval);
  return approval.editedDraft ? { ...draft, subject: approval.editedDraft.subject, text: approval.editedDraft.text } : draft;
}

export function approvalViewOf(approval: StoredApproval, identity: StoredIdentity, assistantName: string | null): ApprovalView {
  const request = requestOf(approval);
  let state: ApprovalView['state'];
  if (approval.status === 'pending') state = { kind: 'pending' };
  else if (approval.status === 'cancelled' || approval.status === 'expired') state = { kind: 'closed', reason: approval.status, detail: approval.closedReason };
  else {
    state = {
      kind: 'decided',
      decision: approval.status === 'approved' ? 'approve' : 'reject',
      byUserId: approval.decidedByUserId ?? 'unknown',
      at: approval.decidedAt ?? approval.updatedAt,
      edited: approval.editedDraft !== null,
      reason: approval.rejectReason,
      report: approval.reportStatus === 'none' ? 'pending' : approval.reportStatus,
      reportDetail: approval.reportDetail,
    };
  }
  return {
    approvalId: approval.id,
    identity: { emailAddress: identity.emailAddress, displayName: identity.displayName },
    assistantName,
    inbound: request.inbound,
    thread: request.thread,
    draft: effectiveDraft(approval),
    expiresAt: approval.expiresAt,
    state,
  };
}

export function renderApproval(approval: StoredApproval, identity: StoredIdentity, assistantName: string | null) {
  return approvalMessage(approvalViewOf(approval, identity, assistantName));
}
