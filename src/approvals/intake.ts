import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { ApprovalEvent } from '../platform/schemas.ts';
import { ApprovalJob, dedupeKey } from './job-kinds.ts';
import type { IdentityResolver } from './identity-resolver.ts';
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

  const eventId = indexableKey(event.id);
  const outcome = await deps.db.transaction(async (tx) => {
    // Events of one approval (a request and its cancel arriving together) take turns. The
    // lock and the statement go out together (one round trip); the statement's snapshot
    // is taken after the lock is held, so it sees what the other event committed.
    const lock = tx.execute(sql`select pg_advisory_xact_lock(hashtext(${data.approval_id}))`);
    const statement =
      event.type === 'approval.requested'
        ? tx.execute(sql`
            with event as (
              insert into approval_events (event_id, approval_id, type) values (${eventId}, ${data.approval_id}, ${event.type})
              on conflict do nothing
              returning approval_id
            ), closed_by as (
              -- A cancel or expiry may overtake its request: then store it closed and post nothing.
              select type from approval_events
              where approval_id = ${data.approval_id} and type in ('approval.cancelled', 'approval.expired')
              limit 1
            ), approval as (
              insert into approvals (id, team_id, identity_id, workspace_id, email_thread_id, status, request, expires_at, channel_id)
              select ${data.approval_id}, ${identity.teamId}, ${identity.id}, ${data.workspace_id},
                     ${data.email_thread_id ? indexableKey(data.email_thread_id) : null},
                     coalesce((select case type when 'approval.cancelled' then 'cancelled' else 'expired' end from closed_by), 'pending'),
                     ${JSON.stringify({ inbound: data.inbound ?? null, draft: data.draft, thread: data.thread ?? [] })}::jsonb,
                     ${data.expires_at ?? null}::timestamptz, ${identity.approvalChannelId}
              from event
              on conflict do nothing
              returning status
            ), job as (
              insert into jobs (kind, payload, dedupe_key)
              select ${ApprovalJob.post}, ${JSON.stringify({ approvalId: data.approval_id, channelId: identity.approvalChannelId })}::jsonb, ${dedupeKey.post(data.approval_id)}
              from approval where status = 'pending'
              on conflict (dedupe_key) do nothing
            )
            select (select count(*) from event)::int as fresh, (select count(*) from approval)::int as inserted`)
        : tx.execute(sql`
            with event as (
              insert into approval_events (event_id, approval_id, type) values (${eventId}, ${data.approval_id}, ${event.type})
              on conflict do nothing
              returning approval_id
            ), closed as (
              update approvals
              set status = ${event.type === 'approval.cancelled' ? 'cancelled' : 'expired'}, closed_reason = ${data.reason ?? null},
                  version = version + 1, updated_at = now()
              where id = ${data.approval_id} and status = 'pending' and exists (select 1 from event)
              returning id
            ), job as (
              insert into jobs (kind, payload, dedupe_key)
              select ${ApprovalJob.refresh}, ${JSON.stringify({ approvalId: data.approval_id })}::jsonb, ${dedupeKey.refresh(data.approval_id, eventId)}
              from closed
              on conflict (dedupe_key) do nothing
            )
            select (select count(*) from event)::int as fresh, 1 as inserted`);
    const [, result] = await Promise.all([lock, statement]);
    const [row] = rowsOf<{ fresh: number; inserted: number }>(result);
    return { status: 202 as const, duplicate: !row || row.fresh === 0 || row.inserted === 0 };
  });
  if (!outcome.duplicate) deps.wake();
  return outcome;
}
