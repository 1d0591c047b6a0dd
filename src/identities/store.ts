import { and, asc, eq, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { identities, identityCreations } from '../db/schema.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { storableText } from '../db/text.ts';
import { enqueue } from '../jobs/queue.ts';

export const ANNOUNCE_JOB = 'identity.announce';

export type StoredIdentity = typeof identities.$inferSelect;
export type NewIdentity = typeof identities.$inferInsert;
export type CreationRow = typeof identityCreations.$inferSelect;

/** A creation left pending this long is taken to have died with its process. */
const STALE_CLAIM_SECONDS = 120;

/**
 * Claims the right to create the identity for one modal. Returns the row when this
 * caller owns the attempt; otherwise the existing row (succeeded, or still running).
 */
export async function claimCreation(
  db: Database,
  claim: { viewId: string; teamId: string; userId: string },
): Promise<{ owned: true; attempt: number } | { owned: false; row: CreationRow }> {
  const claimed = await db
    .insert(identityCreations)
    .values({ ...claim, status: 'pending' })
    .onConflictDoUpdate({
      target: identityCreations.viewId,
      set: { status: 'pending', attempts: sql`${identityCreations.attempts} + 1`, updatedAt: sql`now()`, lastError: null },
      setWhere: or(
        eq(identityCreations.status, 'failed'),
        and(eq(identityCreations.status, 'pending'), lt(identityCreations.updatedAt, sql`now() - make_interval(secs => ${STALE_CLAIM_SECONDS})`)),
      ),
    })
    .returning({ attempts: identityCreations.attempts });
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

/** Stores the identity, closes the creation and audits it, all or nothing. */
/** What the platform returned may hold text PostgreSQL cannot store (U+0000). */
function storable(identity: NewIdentity): NewIdentity {
  return { ...identity, emailAddress: storableText(identity.emailAddress), displayName: storableText(identity.displayName), approvalChannelName: identity.approvalChannelName ? storableText(identity.approvalChannelName) : null };
}

export async function completeCreation(db: Database, viewId: string, raw: NewIdentity): Promise<StoredIdentity> {
  const identity = storable(raw);
  return db.transaction(async (tx) => {
    // Independent statements, sent together: one round trip instead of four.
    const [[stored]] = await Promise.all([
      tx
        .insert(identities)
        .values(identity)
        .onConflictDoUpdate({
          target: identities.id,
          set: {
            approvalChannelId: identity.approvalChannelId,
            approvalChannelName: identity.approvalChannelName,
            approverUserIds: identity.approverUserIds,
            displayName: identity.displayName,
            assistantId: identity.assistantId,
            updatedAt: sql`now()`,
          },
        })
        .returning(),
      tx.update(identityCreations).set({ status: 'succeeded', identityId: identity.id, updatedAt: sql`now()` }).where(eq(identityCreations.viewId, viewId)),
      recordAudit(tx, {
        teamId: identity.teamId,
        actorUserId: identity.createdByUserId ?? null,
        action: 'identity.created',
        subjectType: 'identity',
        subjectId: identity.id,
        details: { email_address: identity.emailAddress, approval_channel_id: identity.approvalChannelId, approver_user_ids: identity.approverUserIds },
      }),
      // Announced by a durable job: after the modal has answered, and retried if Slack is busy.
      enqueue(tx, { kind: ANNOUNCE_JOB, payload: { identityId: identity.id, channelId: identity.approvalChannelId }, dedupeKey: `announce:${identity.id}` }),
    ]);
    if (!stored) throw new Error(`identity ${identity.id} was not stored`);
    return stored;
  });
}

export async function findIdentity(db: Database, id: string): Promise<StoredIdentity | undefined> {
  const [row] = await db.select().from(identities).where(eq(identities.id, id));
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
