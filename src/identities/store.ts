import { and, asc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { insertAudit, recordAudit } from '../audit/audit-log.ts';
import type { ChannelProblem } from '../channels/ports.ts';
import { preparedPerDatabase, type Database } from '../db/client.ts';
import { identities, identityCreations } from '../db/schema.ts';
import { storableText } from '../db/text.ts';
import { enqueue, insertJob } from '../jobs/store.ts';

export const ANNOUNCE_JOB = 'identity.announce';

/** The announcement job's dedupe key, also its place in the channel's pacing. */
export function announceJobKey(identityId: string): string {
  return `announce:${identityId}`;
}

/** The job that tells a channel an identity's approvals moved in (`to`) or out (`from`). */
export const MOVED_JOB = 'identity.moved';

/** One note per side of one edit (its modal's view id); also its place in the channel's pacing. */
export function movedJobKey(viewId: string, side: 'to' | 'from'): string {
  return `moved:${viewId}:${side}`;
}

/** What a moved note says, carried whole in its job: it is about this move, whatever happens after. */
export interface MovedNote {
  identityId: string;
  teamId: string;
  emailAddress: string;
  fromChannelId: string;
  toChannelId: string;
  movedByUserId: string;
  /** Which channel the note goes to: the new one (`to`) or the old one (`from`). */
  side: 'to' | 'from';
}

export type StoredIdentity = typeof identities.$inferSelect;
export type NewIdentity = typeof identities.$inferInsert;
export type CreationRow = typeof identityCreations.$inferSelect;

/** A creation left pending this long is taken to have died with its process. */
const STALE_CLAIM_SECONDS = 120;

const claimStatement = preparedPerDatabase((db: Database) =>
  db
    .insert(identityCreations)
    .values({ viewId: sql.placeholder('viewId'), teamId: sql.placeholder('teamId'), userId: sql.placeholder('userId'), status: 'pending' })
    .onConflictDoUpdate({
      target: identityCreations.viewId,
      set: { status: 'pending', attempts: sql`${identityCreations.attempts} + 1`, updatedAt: sql`now()`, lastError: null },
      setWhere: or(
        eq(identityCreations.status, 'failed'),
        and(eq(identityCreations.status, 'pending'), lt(identityCreations.updatedAt, sql`now() - make_interval(secs => ${STALE_CLAIM_SECONDS})`)),
      ),
    })
    .returning({ attempts: identityCreations.attempts })
    .prepare('claim_creation'),
);

/**
 * Claims the right to create the identity for one modal. Edit modals claim their view the
 * same way (view ids are unique across both), so one edit submission makes at most one PATCH. Returns the row when this
 * caller owns the attempt; otherwise the existing row (succeeded, or still running).
 */
export async function claimCreation(
  db: Database,
  claim: { viewId: string; teamId: string; userId: string },
): Promise<{ owned: true; attempt: number } | { owned: false; row: CreationRow }> {
  const claimed = await claimStatement(db).execute(claim);
  if (claimed[0]) return { owned: true, attempt: claimed[0].attempts };
  const [row] = await db.select().from(identityCreations).where(eq(identityCreations.viewId, claim.viewId));
  if (!row) throw new Error(`identity creation ${claim.viewId} vanished while being claimed`);
  return { owned: false, row };
}

export async function releaseCreation(db: Database, viewId: string, error: string): Promise<void> {
  await db
    .update(identityCreations)
    .set({ status: 'failed', lastError: error, updatedAt: sql`now()` })
    .where(and(eq(identityCreations.viewId, viewId), eq(identityCreations.status, 'pending')));
}

/**
 * Runs the work of a modal whose claim this caller owns. A failed outcome, or a throw,
 * gives the claim back, so the same modal can be submitted again.
 */
export async function runClaimed<T extends { ok: true } | { ok: false; code: string }>(db: Database, viewId: string, work: () => Promise<T>): Promise<T> {
  let outcome: T;
  try {
    outcome = await work();
  } catch (e) {
    await releaseCreation(db, viewId, 'unexpected error').catch(() => {});
    throw e;
  }
  if (!outcome.ok) await releaseCreation(db, viewId, outcome.code);
  return outcome;
}

/** What the platform returned may hold text PostgreSQL cannot store (U+0000). */
function storable(identity: NewIdentity): NewIdentity {
  return { ...identity, emailAddress: storableText(identity.emailAddress), displayName: storableText(identity.displayName), approvalChannelName: identity.approvalChannelName ? storableText(identity.approvalChannelName) : null };
}

/**
 * Stores the identity, closes the creation, audits it and queues its announcement, all
 * or nothing: one statement, so one round trip and no transaction to open and commit.
 */
const completeStatement = preparedPerDatabase((db: Database) => {
  const p = (name: string) => sql.placeholder(name);
  const stored = db.$with('stored').as(
    db
      .insert(identities)
      .values({
        id: p('id'),
        teamId: p('teamId'),
        enterpriseId: p('enterpriseId'),
        workspaceId: p('workspaceId'),
        emailAddress: p('emailAddress'),
        displayName: p('displayName'),
        domainId: p('domainId'),
        assistantId: p('assistantId'),
        approvalChannelId: p('approvalChannelId'),
        approvalChannelName: p('approvalChannelName'),
        approverUserIds: p('approverUserIds'),
        requiredApprovals: p('requiredApprovals'),
        remindAfterMinutes: p('remindAfterMinutes'),
        escalationUserIds: p('escalationUserIds'),
        undoSeconds: p('undoSeconds'),
        createdByUserId: p('createdByUserId'),
      })
      // An earlier try of this modal stored it already: this try's answer wins.
      .onConflictDoUpdate({
        target: identities.id,
        set: {
          approvalChannelId: sql`excluded.approval_channel_id`,
          approvalChannelName: sql`excluded.approval_channel_name`,
          approverUserIds: sql`excluded.approver_user_ids`,
          requiredApprovals: sql`excluded.required_approvals`,
          remindAfterMinutes: sql`excluded.remind_after_minutes`,
          escalationUserIds: sql`excluded.escalation_user_ids`,
          undoSeconds: sql`excluded.undo_seconds`,
          displayName: sql`excluded.display_name`,
          assistantId: sql`excluded.assistant_id`,
          updatedAt: sql`now()`,
        },
      })
      .returning(),
  );
  const closed = db.$with('closed').as(
    db.update(identityCreations).set({ status: 'succeeded', identityId: sql`${p('id')}`, updatedAt: sql`now()` }).where(eq(identityCreations.viewId, p('viewId'))).returning({ viewId: identityCreations.viewId }),
  );
  const audited = db.$with('audited').as(
    insertAudit(db, { teamId: p('teamId'), actorUserId: p('createdByUserId'), action: 'identity.created', subjectType: 'identity', subjectId: p('id'), details: p('auditDetails') }),
  );
  // Announced by a durable job: after the modal has answered, and retried if Slack is busy.
  const announced = db.$with('announced').as(insertJob(db, { kind: ANNOUNCE_JOB, payload: p('announcePayload'), dedupeKey: p('announceKey') }));
  return db.with(stored, closed, audited, announced).select().from(stored).prepare('complete_creation');
});

export async function completeCreation(db: Database, viewId: string, raw: NewIdentity): Promise<StoredIdentity> {
  const identity = storable(raw);
  const [stored] = await completeStatement(db).execute({
    viewId,
    id: identity.id,
    teamId: identity.teamId,
    enterpriseId: identity.enterpriseId ?? null,
    workspaceId: identity.workspaceId,
    emailAddress: identity.emailAddress,
    displayName: identity.displayName,
    domainId: identity.domainId,
    assistantId: identity.assistantId ?? null,
    approvalChannelId: identity.approvalChannelId,
    approvalChannelName: identity.approvalChannelName ?? null,
    approverUserIds: identity.approverUserIds ?? [],
    requiredApprovals: identity.requiredApprovals ?? 1,
    remindAfterMinutes: identity.remindAfterMinutes ?? null,
    escalationUserIds: identity.escalationUserIds ?? [],
    undoSeconds: identity.undoSeconds ?? 0,
    createdByUserId: identity.createdByUserId ?? null,
    auditDetails: {
      email_address: identity.emailAddress,
      approval_channel_id: identity.approvalChannelId,
      approver_user_ids: identity.approverUserIds ?? [],
      required_approvals: identity.requiredApprovals ?? 1,
      remind_after_minutes: identity.remindAfterMinutes ?? null,
      escalation_user_ids: identity.escalationUserIds ?? [],
      undo_seconds: identity.undoSeconds ?? 0,
    },
    announcePayload: { identityId: identity.id, channelId: identity.approvalChannelId },
    announceKey: announceJobKey(identity.id),
  });
  if (!stored) throw new Error(`identity ${identity.id} was not stored`);
  return stored;
}

const findIdentityStatement = preparedPerDatabase((db: Database) =>
  db.select().from(identities).where(eq(identities.id, sql.placeholder('id'))).prepare('find_identity'),
);

export async function findIdentity(db: Database, id: string): Promise<StoredIdentity | undefined> {
  const [row] = await findIdentityStatement(db).execute({ id });
  return row;
}

export async function listTeamIdentities(db: Database, teamId: string): Promise<StoredIdentity[]> {
  return db.select().from(identities).where(eq(identities.teamId, teamId)).orderBy(asc(identities.emailAddress));
}

/** Stores an identity created elsewhere, as read from the platform. */
export async function mirrorIdentity(db: Database, raw: NewIdentity): Promise<StoredIdentity> {
  const identity = storable(raw);
  const [row] = await db.insert(identities).values(identity).onConflictDoNothing().returning();
  return row ?? (await findIdentity(db, identity.id))!;
}

/** The columns an edit (or the platform's newer copy) may change; the creator and the row's birth stay. */
function editableColumns(identity: NewIdentity) {
  const { id: _id, createdByUserId: _creator, createdAt: _createdAt, updatedAt: _updatedAt, ...columns } = identity;
  return columns;
}

export interface CompletedEdit {
  /** The edit modal's view id, whose claim this closes. */
  viewId: string;
  /** The platform's copy after the PATCH, as mirror columns. */
  identity: NewIdentity;
  actorUserId: string;
  /** Each changed field's value before and after; empty when the platform already held the values. */
  changes: Record<string, { before: unknown; after: unknown }>;
  /** Where approvals went before, when this edit moved them to another channel. */
  movedFrom: string | null;
}

/**
 * Brings the mirror in step with an edit, closes the modal's claim, audits who changed
 * what and queues the moved notes, all or nothing. The identity is inserted when this app
 * had not mirrored it yet (created elsewhere, never asked for approval).
 */
export async function completeEdit(db: Database, edit: CompletedEdit): Promise<StoredIdentity> {
  const identity = storable(edit.identity);
  return db.transaction(async (tx) => {
    // A new channel has none of the old one's problems (archived, bot removed…).
    const moved = edit.movedFrom !== null ? { channelProblem: null, channelProblemAt: null } : {};
    const [stored] = await tx
      .insert(identities)
      .values({ ...identity, ...moved })
      .onConflictDoUpdate({ target: identities.id, set: { ...editableColumns(identity), ...moved, updatedAt: sql`now()` } })
      .returning();
    if (!stored) throw new Error(`identity ${identity.id} was not stored`);
    await tx
      .update(identityCreations)
      .set({ status: 'succeeded', identityId: identity.id, updatedAt: sql`now()` })
      .where(eq(identityCreations.viewId, edit.viewId));
    if (Object.keys(edit.changes).length > 0) {
      await recordAudit(tx, {
        teamId: identity.teamId,
        actorUserId: edit.actorUserId,
        action: 'identity.updated',
        subjectType: 'identity',
        subjectId: identity.id,
        details: { email_address: identity.emailAddress, changes: edit.changes },
      });
    }
    if (edit.movedFrom !== null) {
      for (const side of ['to', 'from'] as const) {
        const note: MovedNote = {
          identityId: identity.id,
          teamId: identity.teamId,
          emailAddress: identity.emailAddress,
          fromChannelId: edit.movedFrom,
          toChannelId: identity.approvalChannelId,
          movedByUserId: edit.actorUserId,
          side,
        };
        await enqueue(tx, { kind: MOVED_JOB, payload: { ...note }, dedupeKey: movedJobKey(edit.viewId, side) });
      }
    }
    return stored;
  });
}

/**
 * The platform's copy wins: a mirrored identity that differs from it (edited elsewhere)
 * takes its values. Returns the row when it changed; identities not mirrored stay so.
 */
export async function followPlatformIfChanged(db: Database, raw: NewIdentity): Promise<StoredIdentity | undefined> {
  const identity = storable(raw);
  const current = await findIdentity(db, identity.id);
  if (!current) return undefined;
  const columns = editableColumns(identity);
  const differs = (Object.keys(columns) as (keyof typeof columns)[]).some(
    (key) => columns[key] !== undefined && JSON.stringify(columns[key]) !== JSON.stringify(current[key as keyof StoredIdentity] ?? null),
  );
  return differs ? followPlatform(db, identity.id, identity) : undefined;
}

/** One Slack channel of one team, as the identities approved in it name it. */
export interface ChannelRef {
  teamId: string;
  channelId: string;
}

const inChannel = (where: ChannelRef) => and(eq(identities.teamId, where.teamId), eq(identities.approvalChannelId, where.channelId));

/** Records a channel's new name on the identities approved in it; returns those whose name changed. */
export async function renameChannel(db: Pick<Database, 'update'>, where: ChannelRef, name: string): Promise<StoredIdentity[]> {
  const stored = storableText(name);
  return db
    .update(identities)
    .set({ approvalChannelName: stored, updatedAt: sql`now()` })
    .where(and(inChannel(where), sql`${identities.approvalChannelName} is distinct from ${stored}`))
    .returning();
}

/** How much each problem tells, least first. */
const PROBLEM_RANK: Record<ChannelProblem, number> = { channel_not_found: 1, bot_removed: 2, archived: 3, deleted: 4 };
const storedProblemRank = sql`(case ${identities.channelProblem} when 'deleted' then 4 when 'archived' then 3 when 'bot_removed' then 2 when 'channel_not_found' then 1 else 0 end)`;

/**
 * Marks the identities approved in a channel as unable to post there; returns those it
 * changed. One already marked with this problem, or with one that tells more (deleted over
 * archived over the app removed over not found), is left as it is: a redelivered event, or
 * the refusal that follows an archive, changes nothing.
 */
export async function markChannelProblem(db: Pick<Database, 'update'>, where: ChannelRef, problem: ChannelProblem): Promise<StoredIdentity[]> {
  return db
    .update(identities)
    .set({ channelProblem: problem, channelProblemAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(inChannel(where), sql`${storedProblemRank} < ${PROBLEM_RANK[problem]}`))
    .returning();
}

/** Clears the listed problems of the identities approved in a channel; returns those it cleared. */
export async function clearChannelProblem(db: Pick<Database, 'update'>, where: ChannelRef, problems: readonly ChannelProblem[]): Promise<StoredIdentity[]> {
  if (problems.length === 0) return [];
  return db
    .update(identities)
    .set({ channelProblem: null, channelProblemAt: null, updatedAt: sql`now()` })
    .where(and(inChannel(where), inArray(identities.channelProblem, [...problems])))
    .returning();
}

/** What the platform holds of an identity that the mirror keeps. */
export type PlatformCopy = Pick<
  NewIdentity,
  'emailAddress' | 'displayName' | 'assistantId' | 'approvalChannelId' | 'approvalChannelName' | 'approverUserIds' | 'requiredApprovals' | 'remindAfterMinutes' | 'escalationUserIds' | 'undoSeconds'
>;

/**
 * Makes the mirror the platform's copy, and records when. A channel that changed takes
 * its problem with it: the new one has none we know of.
 */
export async function followPlatform(db: Pick<Database, 'update'>, id: string, copy: PlatformCopy): Promise<StoredIdentity | undefined> {
  const channelId = copy.approvalChannelId;
  const [row] = await db
    .update(identities)
    .set({
      emailAddress: storableText(copy.emailAddress),
      displayName: storableText(copy.displayName),
      assistantId: copy.assistantId ?? null,
      approvalChannelId: channelId,
      approvalChannelName: copy.approvalChannelName ? storableText(copy.approvalChannelName) : null,
      approverUserIds: copy.approverUserIds ?? [],
      requiredApprovals: copy.requiredApprovals ?? 1,
      remindAfterMinutes: copy.remindAfterMinutes ?? null,
      escalationUserIds: copy.escalationUserIds ?? [],
      undoSeconds: copy.undoSeconds ?? 0,
      channelProblem: sql`case when ${identities.approvalChannelId} = ${channelId} then ${identities.channelProblem} end`,
      channelProblemAt: sql`case when ${identities.approvalChannelId} = ${channelId} then ${identities.channelProblemAt} end`,
      syncedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(eq(identities.id, id))
    .returning();
  return row;
}
