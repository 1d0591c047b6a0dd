import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { ApprovalEvent } from '../platform/schemas.ts';
import type { ChannelSlots } from '../channels/ports.ts';
import { parkingTime } from '../channels/send-outcome.ts';
import { ApprovalJob, dedupeKey } from './job-kinds.ts';
import { createBatcher, type Batcher } from './batcher.ts';
import type { IdentityResolver } from './identity-resolver.ts';
import { indexableKey } from '../db/text.ts';
import { insertJobsFrom } from '../jobs/store.ts';

export type IntakeOutcome =
  | { kind: 'stored'; duplicate: boolean }
  | { kind: 'invalid'; reason: string }
  | { kind: 'unknown_identity'; reason: string };

export interface IntakeDeps {
  /** Writes events in batches (group commit); see `createIntakeStore`. */
  store: Batcher<IntakeRow, IntakeResult>;
  /** The post is given its channel slot here, so its job waits in the table until shortly before it. */
  slots: ChannelSlots;
  resolveIdentity: IdentityResolver;
  logger: Logger;
  /** Pokes the job worker so the message is posted without waiting for its next poll. */
  wake: () => void;
}

/** One event as stored: everything the statement needs, worked out before it runs. */
export interface IntakeRow {
  eventId: string;
  approvalId: string;
  type: ApprovalEvent['type'];
  teamId: string;
  identityId: string;
  workspaceId: string;
  emailThreadId: string | null;
  /** The request's content (requests only), stored as JSON. */
  request: { inbound: unknown; draft: unknown; thread: unknown } | null;
  expiresAt: string | null;
  channelId: string;
  closedReason: string | null;
  /** How long the post job waits before its channel slot comes (requests only). */
  postDelayMs: number;
}

export interface IntakeResult {
  /** The event id was new. */
  fresh: boolean;
  /** The approval was written (created, filled in, or closed). */
  stored: boolean;
  /** A post job was queued. */
  queued: boolean;
}

/** What a close (cancel, expiry) stores when it arrives before its request: the request fills it in later. */
const TOMBSTONE_REQUEST = '{}';

/**
 * Stores one webhook event durably, with what it calls for: the caller answers 202 only
 * after its batch has committed. The event id makes a redelivery a no-op; the approval id
 * makes a second "requested" a no-op.
 *
 * A request and a close of one approval may arrive in either order, or at once. Both
 * write the approval row with INSERT … ON CONFLICT, so its primary key orders them: a
 * close that comes first stores the approval closed (a tombstone with no request), and
 * the request then only fills in its content and posts nothing; a close that comes
 * second closes the pending approval and refreshes its message.
 */
export async function receiveApprovalEvent(deps: IntakeDeps, event: ApprovalEvent): Promise<IntakeOutcome> {
  const { data } = event;
  if (event.type === 'approval.requested' && !data.draft) return { kind: 'invalid', reason: 'approval.requested needs data.draft' };

  const identity = await deps.resolveIdentity(data.identity_id, data.workspace_id);
  if (!identity) return { kind: 'unknown_identity', reason: `identity ${data.identity_id} is not served by this app` };

  const requested = event.type === 'approval.requested';
  // Reserved before the write, given back if nothing is queued after all; a redelivery
  // finds the slot of the post already queued and must leave it alone.
  const ownsSlot = requested && !deps.slots.holds(data.approval_id);
  const postDelayMs = requested ? (parkingTime(deps.slots.reserve(identity.approvalChannelId, data.approval_id)) ?? 0) : 0;
  let result: IntakeResult;
  try {
    result = await deps.store.submit({
      eventId: indexableKey(event.id),
      approvalId: data.approval_id,
      type: event.type,
      teamId: identity.teamId,
      identityId: identity.id,
      workspaceId: data.workspace_id,
      emailThreadId: data.email_thread_id ? indexableKey(data.email_thread_id) : null,
      request: requested ? { inbound: data.inbound ?? null, draft: data.draft, thread: data.thread ?? [] } : null,
      expiresAt: data.expires_at ?? null,
      channelId: identity.approvalChannelId,
      closedReason: requested ? null : (data.reason ?? null),
      postDelayMs,
    });
  } catch (e) {
    if (ownsSlot) deps.slots.release(identity.approvalChannelId, data.approval_id);
    throw e;
  }
  if (ownsSlot && !result.queued) deps.slots.release(identity.approvalChannelId, data.approval_id);
  const outcome = { kind: 'stored' as const, duplicate: !result.fresh || !result.stored };
  if (!outcome.duplicate) deps.wake();
  return outcome;
}

/** Events written in batches: one statement for all the events that arrive together. */
export function createIntakeStore(db: Database, logger: Logger, options: { maxBatch?: number; maxInFlight?: number } = {}): Batcher<IntakeRow, IntakeResult> {
  return createBatcher({
    write: (rows) => storeEvents(db, rows),
    keys: (row) => [`approval:${row.approvalId}`, `event:${row.eventId}`],
    onBatchFailure: (e, size) => logger.warn(`a batch of ${size} approval events failed; writing them one at a time`, e),
    ...options,
  });
}

/**
 * One statement, so all or nothing. No two rows may share an approval or an event id.
 * The batch travels as one JSON parameter, so the statement's text is the same for every
 * batch size: each connection prepares it once (a VALUES list per size cost a parse and
 * an extra round trip for most batches).
 */
export async function storeEvents(db: Database, rows: IntakeRow[]): Promise<IntakeResult[]> {
  // In approval order, so concurrent batches lock shared approvals in the same order.
  const ordered = [...rows].sort((a, b) => (a.approvalId < b.approvalId ? -1 : a.approvalId > b.approvalId ? 1 : 0));
  const batch = JSON.stringify(
    ordered.map((r) => ({
      event_id: r.eventId,
      approval_id: r.approvalId,
      type: r.type,
      team_id: r.teamId,
      identity_id: r.identityId,
      workspace_id: r.workspaceId,
      email_thread_id: r.emailThreadId,
      request: r.request,
      expires_at: r.expiresAt,
      channel_id: r.channelId,
      closed_reason: r.closedReason,
      post_delay_ms: r.postDelayMs,
      post_key: dedupeKey.post(r.approvalId),
      refresh_key: dedupeKey.refresh(r.approvalId, r.eventId),
    })),
  );
  const result = await db.execute(sql`
    with input as (
      select * from jsonb_to_recordset(${batch}::jsonb) as x (event_id text, approval_id text, type text, team_id text, identity_id text,
        workspace_id text, email_thread_id text, request jsonb, expires_at timestamptz, channel_id text, closed_reason text,
        post_delay_ms double precision, post_key text, refresh_key text)
    ), event as (
      insert into approval_events (event_id, approval_id, type)
      select event_id, approval_id, type from input
      on conflict do nothing
      returning event_id
    ), requested as (
      insert into approvals (id, team_id, identity_id, workspace_id, email_thread_id, status, request, expires_at, channel_id)
      select i.approval_id, i.team_id, i.identity_id, i.workspace_id, i.email_thread_id, 'pending', i.request, i.expires_at, i.channel_id
      from input i join event e on e.event_id = i.event_id
      where i.type = 'approval.requested'
      on conflict (id) do update
        set request = excluded.request, email_thread_id = excluded.email_thread_id, expires_at = excluded.expires_at, updated_at = now()
        where approvals.request = ${TOMBSTONE_REQUEST}::jsonb
      returning id, status
    ), closed as (
      insert into approvals (id, team_id, identity_id, workspace_id, status, request, channel_id, closed_reason)
      select i.approval_id, i.team_id, i.identity_id, i.workspace_id,
             case i.type when 'approval.cancelled' then 'cancelled' else 'expired' end, ${TOMBSTONE_REQUEST}::jsonb, i.channel_id, i.closed_reason
      from input i join event e on e.event_id = i.event_id
      where i.type <> 'approval.requested'
      on conflict (id) do update
        set status = excluded.status, closed_reason = excluded.closed_reason, version = approvals.version + 1, updated_at = now()
        where approvals.status = 'pending'
      -- A new row is the tombstone (version 1); an updated one was a pending approval.
      returning id, version > 1 as was_pending
    ), posts as (${insertJobsFrom(sql`
      select ${ApprovalJob.post}, jsonb_build_object('approvalId', i.approval_id, 'channelId', i.channel_id), i.post_key, now() + i.post_delay_ms * interval '1 millisecond'
      from requested r join input i on i.approval_id = r.id
      where r.status = 'pending'`)}
    ), refreshes as (${insertJobsFrom(sql`
      select ${ApprovalJob.refresh}, jsonb_build_object('approvalId', i.approval_id), i.refresh_key, now()
      from closed c join input i on i.approval_id = c.id
      where c.was_pending`)}
    )
    select i.event_id,
           exists (select 1 from event e where e.event_id = i.event_id) as fresh,
           exists (select 1 from requested r where r.id = i.approval_id) or exists (select 1 from closed c where c.id = i.approval_id) as stored,
           exists (select 1 from posts p where p.dedupe_key = i.post_key) as queued
    from input i`);
  const byEvent = new Map(rowsOf<{ event_id: string; fresh: boolean; stored: boolean; queued: boolean }>(result).map((r) => [r.event_id, r]));
  return rows.map((r) => {
    const row = byEvent.get(r.eventId);
    if (!row) throw new Error(`event ${r.eventId} missing from its batch's result`);
    return { fresh: row.fresh, stored: row.stored, queued: row.queued };
  });
}
