/**
 * Shapes of the Identities API (shared/contracts/identities-api.yaml) as zod schemas,
 * each with its inferred type under the same name.
 *
 * Responses are parsed leniently where the contract allows growth: unknown keys are
 * dropped (or kept, for approval_channel) rather than rejected, so a server that adds
 * a field does not break the app. Required fields stay required.
 */
import { z } from 'zod';

/** Ids are UUID strings. `guid` checks the 8-4-4-4-12 hex shape without insisting on RFC version bits. */
const Id = z.guid();

/** RFC 3339; FastAPI may send microseconds and `+00:00` instead of `Z`. */
const Timestamp = z.iso.datetime({ offset: true, local: true });

/** The Slack approval channel this app writes on identities it creates. */
export const ApprovalChannel = z.object({
  type: z.literal('slack'),
  team_id: z.string().min(1),
  enterprise_id: z.string().nullable().optional(),
  channel_id: z.string().min(1),
  channel_name: z.string().nullable(),
  approver_user_ids: z.array(z.string()).optional(),
  // Approval settings (assumed keys, see the contract): absent means the default.
  required_approvals: z.number().int().min(1).max(5).optional(),
  remind_after_minutes: z.number().int().min(1).nullable().optional(),
  escalation_user_ids: z.array(z.string()).optional(),
  undo_seconds: z.number().int().min(0).max(300).optional(),
});
export type ApprovalChannel = z.infer<typeof ApprovalChannel>;

/**
 * approval_channel as read back from the API: any front end may have written it
 * (`{}` means none), so known keys are optional and unknown keys pass through.
 */
export const StoredApprovalChannel = z.looseObject({
  type: z.string().optional(),
  team_id: z.string().optional(),
  enterprise_id: z.string().nullable().optional(),
  channel_id: z.string().optional(),
  channel_name: z.string().nullable().optional(),
  approver_user_ids: z.array(z.string()).optional(),
  // Another front end may have written a value out of range: read as absent (the default), never as an error.
  required_approvals: z.number().int().min(1).max(5).optional().catch(undefined),
  remind_after_minutes: z.number().int().min(1).nullable().optional().catch(undefined),
  escalation_user_ids: z.array(z.string()).optional().catch(undefined),
  undo_seconds: z.number().int().min(0).max(300).optional().catch(undefined),
});
export type StoredApprovalChannel = z.infer<typeof StoredApprovalChannel>;

/** The Slack channel of a stored approval_channel, or null when it is not (fully) a Slack one. */
export function slackApprovalChannel(channel: StoredApprovalChannel): ApprovalChannel | null {
  const parsed = ApprovalChannel.safeParse(channel);
  return parsed.success ? parsed.data : null;
}

/** Request body of POST /v1/identities, as the published reference lists it. */
export const IdentityCreate = z.object({
  domain_id: Id,
  local_part: z.string(),
  display_name: z.string(),
  assistant_id: Id.nullable().optional(),
  reply_to_email: z.string().nullable().optional(),
  signature_text: z.string().nullable().optional(),
  signature_html: z.string().nullable().optional(),
  thread_history_depth: z.number().int().optional(),
  approval_channel: ApprovalChannel.optional(),
});
export type IdentityCreate = z.infer<typeof IdentityCreate>;

/**
 * Request body of PATCH /v1/identities/{id} (assumed, see the contract): only the
 * fields to change. approval_channel replaces the stored one whole, so it carries
 * every key to keep, including other front ends' keys this app does not know.
 */
export const IdentityUpdate = z.object({
  display_name: z.string().optional(),
  assistant_id: Id.nullable().optional(),
  reply_to_email: z.string().nullable().optional(),
  signature_text: z.string().nullable().optional(),
  signature_html: z.string().nullable().optional(),
  thread_history_depth: z.number().int().optional(),
  approval_channel: ApprovalChannel.loose().optional(),
});
export type IdentityUpdate = z.infer<typeof IdentityUpdate>;

/** Response of the identity endpoints: every field required, some nullable (published reference). */
export const Identity = z.object({
  id: Id,
  workspace_id: Id,
  domain_id: Id,
  assistant_id: Id.nullable(),
  local_part: z.string(),
  email_address: z.string(),
  display_name: z.string(),
  reply_to_email: z.string().nullable(),
  signature_text: z.string().nullable(),
  signature_html: z.string().nullable(),
  thread_history_depth: z.number().int(),
  status: z.string(),
  approval_channel: StoredApprovalChannel,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Identity = z.infer<typeof Identity>;

/** A sending domain; only `verified` ones can send (status is open-ended). */
export const Domain = z.object({
  id: Id,
  name: z.string(),
  status: z.string(),
});
export type Domain = z.infer<typeof Domain>;

export const Assistant = z.object({
  id: Id,
  name: z.string(),
});
export type Assistant = z.infer<typeof Assistant>;

/** One page of a cursor-paginated list; `next_cursor` is null on the last page. */
export function Page<Item extends z.ZodType>(item: Item) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable(),
  });
}
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

const DecidedBy = z.object({
  type: z.literal('slack'),
  team_id: z.string().min(1),
  user_id: z.string().min(1),
  name: z.string().nullable().optional(),
});

/**
 * Request body of POST /v1/approvals/{id}/decision. A union so the type only
 * allows `draft` with approve and `reason` with reject, as the contract describes.
 */
export const Decision = z.discriminatedUnion('decision', [
  z.object({
    decision: z.literal('approve'),
    /** Only when the person edited the draft before approving. */
    draft: z.object({ subject: z.string().optional(), text: z.string().optional() }).nullable().optional(),
    decided_by: DecidedBy,
  }),
  z.object({
    decision: z.literal('reject'),
    /** Feedback for the assistant. */
    reason: z.string().nullable().optional(),
    decided_by: DecidedBy,
  }),
]);
export type Decision = z.infer<typeof Decision>;

export const DecisionResult = z.object({
  id: Id,
  status: z.enum(['approved', 'rejected']),
});
export type DecisionResult = z.infer<typeof DecisionResult>;

/** One entry of a FastAPI 422 body. FastAPI adds `input`, `ctx` and more; only these three are kept. */
export const ValidationIssue = z.object({
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
  type: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** FastAPI's 422 body: `{"detail": [{loc, msg, type}, …]}`. */
export const ValidationErrorBody = z.object({
  detail: z.array(ValidationIssue),
});
export type ValidationErrorBody = z.infer<typeof ValidationErrorBody>;

/** Every other error: `{"detail": "<message>"}`. */
export const ErrorDetailBody = z.object({
  detail: z.string(),
});
export type ErrorDetailBody = z.infer<typeof ErrorDetailBody>;

/** An email in a webhook event (inbound mail, draft reply, earlier thread messages). */
export const EmailMessage = z.object({
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()).optional(),
  subject: z.string(),
  text: z.string(),
  html: z.string().nullable().optional(),
  sent_at: Timestamp.nullable().optional(),
});
export type EmailMessage = z.infer<typeof EmailMessage>;

export const ApprovalEventType = z.enum(['approval.requested', 'approval.cancelled', 'approval.expired']);
export type ApprovalEventType = z.infer<typeof ApprovalEventType>;

/** Body of the platform's POST /webhooks/approvals delivery. */
export const ApprovalEvent = z.object({
  /** The unit of de-duplication: deliveries are at least once. */
  id: z.string().min(1),
  type: ApprovalEventType,
  created_at: Timestamp,
  data: z.object({
    approval_id: Id,
    workspace_id: Id,
    identity_id: Id,
    /** Approvals with the same value belong to one email conversation. */
    email_thread_id: z.string().nullable().optional(),
    expires_at: Timestamp.nullable().optional(),
    inbound: EmailMessage.optional(),
    draft: EmailMessage.optional(),
    /** Earlier messages, oldest first. */
    thread: z.array(EmailMessage).optional(),
    /** With approval.cancelled / approval.expired. */
    reason: z.string().nullable().optional(),
  }),
});
export type ApprovalEvent = z.infer<typeof ApprovalEvent>;
