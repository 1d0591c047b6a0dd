import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { approvals } from '../db/schema.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { findIdentity, type StoredIdentity } from '../identities/store.ts';
import { enqueue } from '../jobs/store.ts';
import type { Logger } from '../logger.ts';
import { ApprovalJob, dedupeKey, REPORT_MAX_ATTEMPTS } from './job-kinds.ts';
import { bumpVersion, findApproval, type StoredApproval } from './store.ts';
import { expireOverdue } from './expiry.ts';
import type { ApprovalMetrics } from './ports.ts';
import { namedDeciders, standsFor } from './deciders.ts';
import { delegationsTo } from '../people/out-of-office.ts';

export interface Decider {
  approvalId: string;
  teamId: string;
  userId: string;
}

export type DeciderCheck =
  /** `standsFor`: whom this person decides as (themselves, or those who made them their delegate). */
  | { ok: true; approval: StoredApproval; identity: StoredIdentity; standsFor: string[] }
  | { ok: false; code: 'not_found' }
  | { ok: false; code: 'wrong_team'; approval: StoredApproval }
  /** `deciderUserIds`: the people named to decide (approvers and escalation contacts). */
  | { ok: false; code: 'not_allowed'; deciderUserIds: string[]; identity: StoredIdentity }
  | { ok: false; code: 'not_pending'; approval: StoredApproval };

/** Whether this person may decide this approval now. Re-read at every click: state lives in the database. */
export async function checkDecider(db: Database, who: Decider): Promise<DeciderCheck> {
  const approval = await findApproval(db, who.approvalId);
  if (!approval) return { ok: false, code: 'not_found' };
  if (approval.teamId !== who.teamId) return { ok: false, code: 'wrong_team', approval };
  const identity = await findIdentity(db, approval.identityId);
  if (!identity) return { ok: false, code: 'not_found' };
  const named = namedDeciders(identity);
  // Delegations are read only for someone not named: the usual click costs no extra query.
  const delegations = named.length > 0 && !named.includes(who.userId) ? await delegationsTo(db, approval.teamId, who.userId) : [];
  const as = standsFor(identity, who.userId, delegations);
  if (!as) return { ok: false, code: 'not_allowed', deciderUserIds: named, identity };
  if (approval.status !== 'pending') return { ok: false, code: 'not_pending', approval };
  return { ok: true, approval, identity, standsFor: as };
}

export type Decision =
  | { decision: 'approve'; editedDraft: { subject: string; text: string } | null }
  | { decision: 'reject'; reason: string | null };

/**
 * Records a decision. Exactly one wins under concurrent clicks, across app instances:
 * the status changes only `WHERE status = 'pending'`. The report to the platform and
 * the message update are enqueued in the same transaction, so neither can be lost.
 */
export async function decide(deps: { db: Database; logger: Logger; wake: () => void; metrics: Pick<ApprovalMetrics, 'decided'> }, who: Decider, decision: Decision): Promise<DeciderCheck> {
  const check = await checkDecider(deps.db, who);
  if (!check.ok) {
    if (check.code === 'wrong_team') deps.logger.warn(`decision on approval ${who.approvalId} refused: click from team ${who.teamId}, approval belongs to ${check.approval.teamId}`);
    return check;
  }
  const status = decision.decision === 'approve' ? 'approved' : 'rejected';
  const won = await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(approvals)
      .set({
        status,
        decidedByUserId: who.userId,
        decidedAt: sql`now()`,
        editedDraft: decision.decision === 'approve' ? decision.editedDraft : null,
        rejectReason: decision.decision === 'reject' ? decision.reason : null,
        reportStatus: 'pending',
        version: bumpVersion,
        updatedAt: sql`now()`,
      })
      // Past expires_at is expired even before the sweep notices: the platform would refuse it.
      .where(and(eq(approvals.id, who.approvalId), eq(approvals.status, 'pending'), or(isNull(approvals.expiresAt), gt(approvals.expiresAt, sql`now()`))))
      .returning();
    if (!row) return undefined;
    await enqueue(tx, { kind: ApprovalJob.report, payload: { approvalId: row.id }, dedupeKey: dedupeKey.report(row.id), maxAttempts: REPORT_MAX_ATTEMPTS });
    await enqueue(tx, { kind: ApprovalJob.refresh, payload: { approvalId: row.id }, dedupeKey: dedupeKey.refresh(row.id, 'decided') });
    await recordAudit(tx, {
      teamId: row.teamId,
      actorUserId: who.userId,
      action: decision.decision === 'approve' ? (decision.editedDraft ? 'approval.approved_edited' : 'approval.approved') : 'approval.rejected',
      subjectType: 'approval',
      subjectId: row.id,
      details: decision.decision === 'reject' ? { reason: decision.reason } : { edited: decision.editedDraft !== null },
    });
    return row;
  });
  if (!won) {
    // Someone else won the race between our check and our update, or it just expired.
    if ((await expireOverdue(deps.db)).length > 0) deps.wake();
    const latest = await findApproval(deps.db, who.approvalId);
    return latest ? { ok: false, code: 'not_pending', approval: latest } : { ok: false, code: 'not_found' };
  }
  deps.wake();
  deps.metrics.decided(decision.decision, won.postedAt && won.decidedAt ? (won.decidedAt.getTime() - won.postedAt.getTime()) / 1000 : null);
  return { ok: true, approval: won, identity: check.identity, standsFor: check.standsFor };
}
