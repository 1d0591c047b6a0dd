import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { ApprovalEvent } from '../platform/schemas.ts';
import { parkingTime, type ChannelPacer } from './channel-pacer.ts';
import { ApprovalJob, dedupeKey } from './job-kinds.ts';
import type { IdentityResolver } from './identity-resolver.ts';
import { indexableKey } from '../db/text.ts';

export type IntakeOutcome =
  | { status: 202; duplicate: boolean }
  | { status: 400; reason: string }
  | { status: 404; reason: string };

export interface IntakeDeps {
  db: Database;
  /** The post is given its channel slot here, so its job waits in the table until shortly before it. */
  pacer: ChannelPacer;
  resolveIdentity: IdentityResolver;
  logger: Logger;
  /** Pokes the job worker so the message is posted without waiting for its next poll. */
  wake: () => void;
}

/** What a close (cancel, expiry) stores when it arrives before its request: the request fills it in later. */
const TOMBSTONE_REQUEST = '{}';

/**
 * Stores one webhook event durably, with what it calls for, in one statement (so one
 * round trip and its own transaction): the caller answers 202 only after it commits. The
 * event id makes a redelivery a no-op; the approval id makes a second "requested" a no-op.
 *
 * A request and a close of one approval may arrive in either order, or at once. Both
 * write the approval row with INSERT … ON CONFLICT, so its primary key orders them: a
 * close that comes first stores the approval closed (a tombstone with no request), and
 * the request then only fills in its content and posts nothing; a close that comes
 * second closes the pending approval and refreshes its message.
 */
export async function receiveApprovalEvent(deps: IntakeDeps, event: ApprovalEvent): Promise<IntakeOutcome> {
  const { data } = event;
  if (event.type === 'approval.requested' && !data.draft) return { status: 400, reason: 'approval.requested needs data.draft' };

  const identity = await deps.resolveIdentity(data.identity_id, data.workspace_id);
  if (!identity) return { status: 404, reason: `identity ${data.identity_id} is not served by this app` };

  const eventId = indexableKey(event.id);
  // Reserved before the statement, given back if nothing is queued after all.
  const postDelayMs = event.type === 'approval.requested' ? (parkingTime(deps.pacer.reserve(identity.approvalChannelId, data.approval_id)) ?? 0) : 0;
  const result =
    event.type === 'approval.requested'
      ? await deps.db.execute(sql`
          with event as (
            insert into approval_events (event_id, approval_id, type) values (${eventId}, ${data.approval_id}, ${event.type})
            on conflict do nothing
            returning approval_id
          ), approval as (
            insert into approvals (id, team_id, identity_id, workspace_id, email_thread_id, status, request, expires_at, channel_id)
            select ${data.approval_id}, ${identity.teamId}, ${identity.id}, ${data.workspace_id},
                   ${data.email_thread_id ? indexableKey(data.email_thread_id) : null}, 'pending',
                   ${JSON.stringify({ inbound: data.inbound ?? null, draft: data.draft, thread: data.thread ?? [] })}::jsonb,
                   ${data.expires_at ?? null}::timestamptz, ${identity.approvalChannelId}
            from event
            on conflict (id) do update
              set request = excluded.request, email_thread_id = excluded.email_thread_id, expires_at = excluded.expires_at, updated_at = now()
              where approvals.request = ${TOMBSTONE_REQUEST}::jsonb
            returning status
          ), job as (
            insert into jobs (kind, payload, dedupe_key, run_at)
            select ${ApprovalJob.post}, ${JSON.stringify({ approvalId: data.approval_id, channelId: identity.approvalChannelId })}::jsonb, ${dedupeKey.post(data.approval_id)},
                   now() + ${postDelayMs}::double precision * interval '1 millisecond'
            from approval where status = 'pending'
            on conflict (dedupe_key) do nothing
            returning id
          )
          select (select count(*) from event)::int as fresh, (select count(*) from approval)::int as stored, (select count(*) from job)::int as queued`)
        .catch((e: unknown) => {
          deps.pacer.release(identity.approvalChannelId, data.approval_id);
          throw e;
        })
      : await deps.db.execute(sql`
          with event as (
            insert into approval_events (event_id, approval_id, type) values (${eventId}, ${data.approval_id}, ${event.type})
            on conflict do nothing
            returning approval_id
          ), closed as (
            insert into approvals (id, team_id, identity_id, workspace_id, status, request, channel_id, closed_reason)
            select ${data.approval_id}, ${identity.teamId}, ${identity.id}, ${data.workspace_id},
                   ${event.type === 'approval.cancelled' ? 'cancelled' : 'expired'}, ${TOMBSTONE_REQUEST}::jsonb,
                   ${identity.approvalChannelId}, ${data.reason ?? null}
            from event
            on conflict (id) do update
              set status = excluded.status, closed_reason = excluded.closed_reason, version = approvals.version + 1, updated_at = now()
              where approvals.status = 'pending'
            -- A new row is the tombstone (version 1); an updated one was a pending approval.
            returning version > 1 as was_pending
          ), job as (
            insert into jobs (kind, payload, dedupe_key)
            select ${ApprovalJob.refresh}, ${JSON.stringify({ approvalId: data.approval_id })}::jsonb, ${dedupeKey.refresh(data.approval_id, eventId)}
            from closed where was_pending
            on conflict (dedupe_key) do nothing
          )
          select (select count(*) from event)::int as fresh, 1 as stored`);
  const [row] = rowsOf<{ fresh: number; stored: number; queued?: number }>(result);
  if (event.type === 'approval.requested' && !row?.queued) deps.pacer.release(identity.approvalChannelId, data.approval_id);
  const outcome = { status: 202 as const, duplicate: !row || row.fresh === 0 || row.stored === 0 };
  if (!outcome.duplicate) deps.wake();
  return outcome;
}
