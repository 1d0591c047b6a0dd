import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { approvalEvents, approvals } from '../db/schema.ts';
import { enqueue } from '../jobs/queue.ts';
import type { Logger } from '../logger.ts';
import type { ApprovalEvent } from '../platform/schemas.ts';
import { ApprovalJob, dedupeKey } from './job-kinds.ts';
import type { IdentityResolver } from './identity-resolver.ts';
import { bumpVersion } from './store.ts';
import { indexableKey } from '../db/text.ts';

export type IntakeOutcome =
  | { status: 202; duplicate: boolean }
  | { status: 400; reason: string }
  | { status: 404; reason: string };

export interface IntakeDeps {
  db: Database;
  resolveIdentity: IdentityResolver;
  logger: Logger;
  /** Pokes the job worker so the message is posted without waiting for its next poll. */
  wake: () => void;
}

/**
 * Stores one webhook event durably and enqueues what it calls for, in one
 * transaction: the caller answers 202 only after this resolves. The event id makes
 * a redelivery a no-op; the approval id makes a second "requested" a no-op.
 */
export async function receiveApprovalEvent(deps: IntakeDeps, event: ApprovalEvent): Promise<IntakeOutcome> {
  const { data } = event;
  if (event.type === 'approval.requested' && !data.draft) return { status: 400, reason: 'approval.requested needs data.draft' };

  const identity = await deps.resolveIdentity(data.identity_id, data.workspace_id);
  if (!identity) return { status: 404, reason: `identity ${data.identity_id} is not served by this app` };

  const outcome = await deps.db.transaction(async (tx) => {
    // Events of one approval (a request and its cancel arriving together) take turns.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${data.approval_id}))`);
    const fresh = await tx
      .insert(approvalEvents)
      .values({ eventId: indexableKey(event.id), approvalId: data.approval_id, type: event.type })
      .onConflictDoNothing()
      .returning({ eventId: approvalEvents.eventId });
    if (fresh.length === 0) return { status: 202 as const, duplicate: true };

    if (event.type === 'approval.requested') {
      // A cancel/expiry may overtake its request: then store it closed and post nothing.
      const [closedBy] = await tx
        .select({ type: approvalEvents.type })
        .from(approvalEvents)
        .where(and(eq(approvalEvents.approvalId, data.approval_id), inArray(approvalEvents.type, ['approval.cancelled', 'approval.expired'])));
      const inserted = await tx
        .insert(approvals)
        .values({
          id: data.approval_id,
          teamId: identity.teamId,
          identityId: identity.id,
          workspaceId: data.workspace_id,
          emailThreadId: data.email_thread_id ? indexableKey(data.email_thread_id) : null,
          status: closedBy ? (closedBy.type === 'approval.cancelled' ? 'cancelled' : 'expired') : 'pending',
          request: { inbound: data.inbound ?? null, draft: data.draft, thread: data.thread ?? [] },
          expiresAt: data.expires_at ? new Date(data.expires_at) : null,
          channelId: identity.approvalChannelId,
        })
        .onConflictDoNothing()
        .returning({ id: approvals.id, status: approvals.status });
      if (inserted[0]?.status === 'pending') {
        await enqueue(tx, { kind: ApprovalJob.post, payload: { approvalId: data.approval_id }, dedupeKey: dedupeKey.post(data.approval_id) });
      }
      return { status: 202 as const, duplicate: inserted.length === 0 };
    }

    const status = event.type === 'approval.cancelled' ? 'cancelled' : 'expired';
    const closed = await tx
      .update(approvals)
      .set({ status, closedReason: data.reason ?? null, version: bumpVersion, updatedAt: sql`now()` })
      .where(and(eq(approvals.id, data.approval_id), eq(approvals.status, 'pending')))
      .returning({ id: approvals.id });
    if (closed.length > 0) {
      await enqueue(tx, { kind: ApprovalJob.refresh, payload: { approvalId: data.approval_id }, dedupeKey: dedupeKey.refresh(data.approval_id, indexableKey(event.id)) });
    }
    return { status: 202 as const, duplicate: false };
  });
  if (!outcome.duplicate) deps.wake();
  return outcome;
}
