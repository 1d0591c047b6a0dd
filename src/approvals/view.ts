import { z } from 'zod';
import type { StoredIdentity } from '../identities/store.ts';
import { EmailMessage as EmailMessageSchema } from '../platform/schemas.ts';
import type { StoredApproval } from './store.ts';

/** What an approval message shows, with no Slack in it: the adapter renders it. */
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


/** The request as stored at intake (already validated then; parsed again because it comes out of jsonb). */
const storedRequest = z.object({
  inbound: EmailMessageSchema.nullable().default(null),
  draft: EmailMessageSchema,
  thread: z.array(EmailMessageSchema).default([]),
});
export type StoredRequest = z.output<typeof storedRequest>;

export function requestOf(approval: StoredApproval): StoredRequest {
  return storedRequest.parse(approval.request);
}

/** The draft that will be (or was) sent: the edited one when a person edited it. */
export function effectiveDraft(approval: StoredApproval): z.output<typeof EmailMessageSchema> {
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
