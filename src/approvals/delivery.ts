import { z } from 'zod';
import { CHANNEL_PROBLEMS, type ChannelSlots } from '../channels/ports.ts';
import { jobOutcomeOf, parkUntilSlot } from '../channels/send-outcome.ts';
import type { Database } from '../db/client.ts';
import type { Catalog } from '../identities/catalog.ts';
import { channelUnusable, channelUsable } from '../identities/channel-changes.ts';
import type { RefreshIdentity } from '../identities/platform-sync.ts';
import type { StoredIdentity } from '../identities/store.ts';
import type { JobHandler, JobOutcome } from '../jobs/job.ts';
import { enqueue } from '../jobs/store.ts';
import type { Logger } from '../logger.ts';
import { conflictIsSameDecision, type IdentitiesApi } from '../platform/identities-api.ts';
import { isPlatformError } from '../platform/errors.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';
import { ApprovalJob, dedupeKey } from './job-kinds.ts';
import type { ApprovalMessages, ApprovalMetrics } from './ports.ts';
import { approvalViewOf, effectiveDraft } from './view.ts';
import { clearPostAttempt, findApproval, findApprovalWithIdentity, markPostAttempt, moveUnpostedApproval, savePostedMessage, setReport, threadRootOf, type StoredApproval } from './store.ts';

export interface DeliveryDeps {
  db: Database;
  slots: ChannelSlots;
  messages: ApprovalMessages;
  api: IdentitiesApi;
  catalog: Catalog;
  tokenForTeam: TokenForTeam;
  /** The identity as the platform holds it now (the mirror follows it). */
  refreshIdentity: RefreshIdentity;
  logger: Logger;
  metrics: ApprovalMetrics;
  /** Pokes the job worker after queueing work. */
  wake: () => void;
}

/** `channelId` (post jobs since it was added) lets a post take its slot before loading anything. */
const payload = z.object({ approvalId: z.string().min(1), channelId: z.string().min(1).optional() });

async function assistantNameOf(deps: DeliveryDeps, identity: StoredIdentity): Promise<string | null> {
  if (!identity.assistantId) return null;
  // Decoration only: a slow or failing platform must not hold up the message.
  const list = await deps.catalog.assistants({ teamId: identity.teamId, enterpriseId: identity.enterpriseId }, { deadline: Date.now() + 2000 }).catch(() => undefined);
  return list?.ok ? (list.items.find((a) => a.id === identity.assistantId)?.name ?? null) : null;
}

async function load(deps: DeliveryDeps, raw: unknown): Promise<{ approval: StoredApproval; identity: StoredIdentity } | JobOutcome> {
  const parsed = payload.safeParse(raw);
  if (!parsed.success) return { status: 'dead', error: 'job payload has no approvalId' };
  const found = await findApprovalWithIdentity(deps.db, parsed.data.approvalId);
  if (!found) return { status: 'dead', error: `approval ${parsed.data.approvalId} not found` };
  if (!found.identity) return { status: 'dead', error: `identity ${found.approval.identityId} not found` };
  return { approval: found.approval, identity: found.identity };
}

/**
 * The identity may have moved to another channel (edited elsewhere) since the approval was
 * stored: one never tried is posted where the identity is now, taking its turn there.
 */
async function inCurrentChannel(deps: DeliveryDeps, approval: StoredApproval, identity: StoredIdentity): Promise<{ approval: StoredApproval; identity: StoredIdentity }> {
  const current = await deps.refreshIdentity(identity);
  if (current.approvalChannelId === approval.channelId) return { approval, identity: current };
  const moved = await moveUnpostedApproval(deps.db, approval.id, { from: approval.channelId, to: current.approvalChannelId });
  if (!moved) return { approval, identity: current };
  deps.slots.release(approval.channelId, approval.id);
  deps.logger.info(`approval ${approval.id}: its identity now approves in ${current.approvalChannelId}, so it is posted there instead of ${approval.channelId}`);
  return { approval: moved, identity: current };
}

/** Posts the approval message once: a retry first looks for a message an earlier try may have posted. */
export function postApprovalHandler(deps: DeliveryDeps): JobHandler {
  return async (job) => {
    // A post far from its turn parks without a database read.
    const early = payload.safeParse(job.payload);
    if (early.success && early.data.channelId) {
      const parked = parkUntilSlot(deps.slots, early.data.channelId, early.data.approvalId);
      if (parked) return parked;
    }
    const loaded = await load(deps, job.payload);
    if ('status' in loaded) {
      if (early.success && early.data.channelId) deps.slots.release(early.data.channelId, early.data.approvalId);
      return loaded;
    }
    // Already posted, or cancelled or expired before it was ever shown: nothing to post, and its slot is free.
    if (loaded.approval.messageTs || loaded.approval.status === 'cancelled' || loaded.approval.status === 'expired') {
      deps.slots.release(loaded.approval.channelId, loaded.approval.id);
      return { status: 'done' };
    }
    // A post that may have gone out is looked for where it was tried.
    const { approval, identity } = loaded.approval.postAttemptedAt ? loaded : await inCurrentChannel(deps, loaded.approval, loaded.identity);

    let threadTs: string | null = null;
    const root = await threadRootOf(deps.db, approval);
    if (root) {
      if (!root.messageTs) return { status: 'retry', error: `waiting for thread root ${root.id} to be posted`, retryAfterMs: 1000 };
      threadTs = root.threadTs ?? root.messageTs;
    }

    if (approval.postAttemptedAt) {
      const found = await deps.messages.findPosted(approval.teamId, {
        channelId: approval.channelId,
        threadTs,
        sinceSeconds: Math.floor(approval.postAttemptedAt.getTime() / 1000),
        approvalId: approval.id,
      });
      if (!found.ok) return jobOutcomeOf(found, 'looking for an earlier post');
      if (found.value !== null) {
        deps.slots.release(approval.channelId, approval.id);
        const saved = await savePostedMessage(deps.db, approval.id, { ts: found.value, threadTs });
        if (saved) deps.metrics.posted(saved.secondsSinceStored);
        // What that earlier try posted may predate a later change: bring it up to date.
        return refreshIfChanged(deps, approval.id, -1, saved?.version);
      }
    }

    const parked = parkUntilSlot(deps.slots, approval.channelId, approval.id);
    if (parked) return parked;

    const view = approvalViewOf(approval, identity, await assistantNameOf(deps, identity));
    await markPostAttempt(deps.db, approval.id);
    const posted = await deps.messages.post(approval.teamId, { channelId: approval.channelId, threadTs, view });
    deps.metrics.messageSent('post', posted.ok ? 'ok' : posted.kind);
    if (!posted.ok) {
      // Slack answered "no": nothing was posted, so the next try need not look for it first.
      if (posted.kind !== 'maybe_done') await clearPostAttempt(deps.db, approval.id);
      // The channel itself refuses (archived, gone, the app removed): the people who can fix it are told.
      // The approval stays, dead-lettered with its job.
      if (posted.kind === 'permanent' && posted.channelProblem) await channelUnusable(deps, approval.teamId, approval.channelId, posted.channelProblem);
      return jobOutcomeOf(posted, 'chat.postMessage');
    }
    // It works again, however it was fixed.
    if (identity.channelProblem !== null) await channelUsable(deps, approval.teamId, approval.channelId, CHANNEL_PROBLEMS);
    const saved = await savePostedMessage(deps.db, approval.id, { ts: posted.value.ts, threadTs });
    if (saved) deps.metrics.posted(saved.secondsSinceStored);
    return refreshIfChanged(deps, approval.id, approval.version, saved?.version);
  };
}

/** A decision or cancellation that landed while we were posting still reaches the message. */
async function refreshIfChanged(deps: DeliveryDeps, approvalId: string, shownVersion: number, latestVersion: number | undefined): Promise<JobOutcome> {
  if (latestVersion !== undefined && latestVersion !== shownVersion) {
    await enqueue(deps.db, { kind: ApprovalJob.refresh, payload: { approvalId }, dedupeKey: dedupeKey.refresh(approvalId, `v${latestVersion}`) });
  }
  return { status: 'done' };
}

/** Re-renders the message from the current state; idempotent, so running it twice is harmless. */
export function refreshApprovalHandler(deps: DeliveryDeps): JobHandler {
  return async (job) => {
    const loaded = await load(deps, job.payload);
    if ('status' in loaded) return loaded;
    const { approval, identity } = loaded;
    // Not posted yet: the post job renders the current state when it runs.
    if (!approval.messageTs) return { status: 'done' };
    const view = approvalViewOf(approval, identity, await assistantNameOf(deps, identity));
    const updated = await deps.messages.update(approval.teamId, { channelId: approval.channelId, ts: approval.messageTs, view });
    deps.metrics.messageSent('update', updated.ok ? 'ok' : updated.kind);
    if (!updated.ok) return jobOutcomeOf(updated, 'chat.update');
    // Refreshes may overlap (several workers, instances); the last to land must show the latest state.
    const latest = await findApproval(deps.db, approval.id);
    if (latest && latest.version !== approval.version) return { status: 'retry', error: 'the approval changed while its message was being updated', retryAfterMs: 100 };
    return { status: 'done' };
  };
}

/** Reports the stored decision to the platform with a stable idempotency key, then refreshes the message. */
export function reportDecisionHandler(deps: DeliveryDeps): JobHandler {
  return async (job) => {
    const loaded = await load(deps, job.payload);
    if ('status' in loaded) return loaded;
    const { approval, identity } = loaded;
    if (approval.status !== 'approved' && approval.status !== 'rejected') return { status: 'dead', error: `approval ${approval.id} is ${approval.status}, not decided` };
    if (approval.reportStatus === 'accepted' || approval.reportStatus === 'refused') return { status: 'done' };

    const token = await deps.tokenForTeam({ teamId: identity.teamId, enterpriseId: identity.enterpriseId });
    if (!token) return { status: 'retry', error: 'no platform token for this team' };
    const decidedBy = { type: 'slack' as const, team_id: approval.teamId, user_id: approval.decidedByUserId ?? 'unknown', name: null };
    const decision =
      approval.status === 'approved'
        ? { decision: 'approve' as const, decided_by: decidedBy, draft: approval.editedDraft ? { subject: effectiveDraft(approval).subject, text: effectiveDraft(approval).text } : null }
        : { decision: 'reject' as const, decided_by: decidedBy, reason: approval.rejectReason };

    let report: { status: 'accepted' | 'refused'; detail: string | null };
    try {
      await deps.api.decideApproval(token, approval.id, decision, { idempotencyKey: `slack-decision:${approval.id}` });
      report = { status: 'accepted', detail: null };
    } catch (e) {
      if (!isPlatformError(e)) throw e;
      if (job.attempts > 1 && conflictIsSameDecision(e, decision.decision)) {
        // An earlier try got through but its answer was lost.
        report = { status: 'accepted', detail: null };
      } else if (e.kind === 'conflict' || e.kind === 'not_found' || e.kind === 'validation' || e.kind === 'client') {
        report = { status: 'refused', detail: e.detail ?? e.kind };
      } else {
        const error = `decideApproval: ${e.kind}${e.status ? ` ${e.status}` : ''}`;
        if (job.attempts >= job.maxAttempts) await markReportFailed(deps, approval.id, error);
        return e.retryAfterMs !== undefined ? { status: 'retry', error, retryAfterMs: e.retryAfterMs } : { status: 'retry', error };
      }
    }
    await setReport(deps.db, approval.id, report);
    deps.metrics.reported(report.status);
    await enqueue(deps.db, { kind: ApprovalJob.refresh, payload: { approvalId: approval.id }, dedupeKey: dedupeKey.refresh(approval.id, `report-${report.status}`) });
    return { status: 'done' };
  };
}

/** The last try failed: show it on the message rather than "sending…" forever. */
async function markReportFailed(deps: DeliveryDeps, approvalId: string, error: string): Promise<void> {
  await setReport(deps.db, approvalId, { status: 'failed', detail: error });
  deps.metrics.reported('failed');
  await enqueue(deps.db, { kind: ApprovalJob.refresh, payload: { approvalId }, dedupeKey: dedupeKey.refresh(approvalId, 'report-failed') });
}

export function approvalJobHandlers(deps: DeliveryDeps): Record<string, JobHandler> {
  return {
    [ApprovalJob.post]: postApprovalHandler(deps),
    [ApprovalJob.refresh]: refreshApprovalHandler(deps),
    [ApprovalJob.report]: reportDecisionHandler(deps),
  };
}
