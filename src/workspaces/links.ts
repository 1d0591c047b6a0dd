import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/audit-log.ts';
import type { TokenCipher } from '../crypto/token-cipher.ts';
import { preparedPerDatabase, type Database } from '../db/client.ts';
import { workspaceLinks } from '../db/schema.ts';
import type { TokenForTeam } from './tokens.ts';

export type CreatePermission = 'admins' | 'everyone';
export type WorkspaceLink = typeof workspaceLinks.$inferSelect;

export type FindLink = (teamId: string) => Promise<WorkspaceLink | undefined>;

const findLinkStatement = preparedPerDatabase((db: Database) =>
  db.select().from(workspaceLinks).where(eq(workspaceLinks.teamId, sql.placeholder('teamId'))).prepare('find_link'),
);

export async function findLink(db: Database, teamId: string): Promise<WorkspaceLink | undefined> {
  const [row] = await findLinkStatement(db).execute({ teamId });
  return row;
}

export interface LinkCache {
  find: FindLink;
  /** Drops the team's entry: call after changing its link through this process. */
  forget(teamId: string): void;
}

/**
 * Links as read on the hot paths (opening the form, every keystroke in its menus),
 * kept for `ttlMs`: one query per team every few seconds instead of several per
 * request. A change made through this process is seen at once (`forget`), one made
 * by another instance within `ttlMs`. What must be exact (the submission's checks,
 * connect, the token used to create) reads the database instead.
 */
export function createLinkCache(deps: { read: FindLink; ttlMs?: number; maxEntries?: number; now?: () => number }): LinkCache {
  const ttl = deps.ttlMs ?? 5_000;
  const maxEntries = deps.maxEntries ?? 10_000;
  const now = deps.now ?? Date.now;
  const entries = new Map<string, { expiresAt: number; link: Promise<WorkspaceLink | undefined> }>();
  return {
    find(teamId) {
      const hit = entries.get(teamId);
      if (hit && hit.expiresAt > now()) return hit.link;
      // An expired entry makes room for its own refresh before anyone else is evicted.
      entries.delete(teamId);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      // Concurrent requests for one team share the query; a failure is not kept.
      const entry = { expiresAt: now() + ttl, link: deps.read(teamId) };
      entries.set(teamId, entry);
      entry.link.catch(() => {
        if (entries.get(teamId) === entry) entries.delete(teamId);
      });
      return entry.link;
    },
    forget(teamId) {
      entries.delete(teamId);
    },
  };
}

/**
 * Stores (or replaces) a team's platform token, encrypted, and who may create identities.
 * The platform workspace learned for the old token is kept only when the token is the same.
 */
export async function connectWorkspace(
  deps: { db: Database; cipher: TokenCipher },
  input: { teamId: string; enterpriseId: string | null; token: string; permission: CreatePermission; userId: string },
): Promise<void> {
  const ciphertext = deps.cipher.encrypt(input.token);
  await deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(workspaceLinks).where(eq(workspaceLinks.teamId, input.teamId)).for('update');
    const values = {
      teamId: input.teamId,
      enterpriseId: input.enterpriseId,
      apiTokenCiphertext: ciphertext,
      platformWorkspaceId: before && holdsToken(before, input.token, deps.cipher) ? before.platformWorkspaceId : null,
      createPermission: input.permission,
      connectedByUserId: input.userId,
    };
    await tx.insert(workspaceLinks).values(values).onConflictDoUpdate({ target: workspaceLinks.teamId, set: { ...values, updatedAt: sql`now()` } });
    await recordAudit(tx, {
      teamId: input.teamId,
      actorUserId: input.userId,
      action: before ? 'workspace.reconnected' : 'workspace.connected',
      subjectType: 'team',
      subjectId: input.teamId,
      details: { create_permission: input.permission },
    });
    if (before && before.createPermission !== input.permission) {
      await recordAudit(tx, {
        teamId: input.teamId,
        actorUserId: input.userId,
        action: 'workspace.permission_changed',
        subjectType: 'team',
        subjectId: input.teamId,
        details: { from: before.createPermission, to: input.permission },
      });
    }
  });
}

export async function disconnectWorkspace(db: Database, input: { teamId: string; userId: string }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const removed = await tx.delete(workspaceLinks).where(eq(workspaceLinks.teamId, input.teamId)).returning({ teamId: workspaceLinks.teamId });
    if (removed.length === 0) return false;
    await recordAudit(tx, { teamId: input.teamId, actorUserId: input.userId, action: 'workspace.disconnected', subjectType: 'team', subjectId: input.teamId });
    return true;
  });
}

/** The team's own token first; the app-wide IDENTITIES_API_TOKEN only for teams without one. */
export function tokenOfLink(link: WorkspaceLink | undefined, deps: { cipher: TokenCipher; defaultToken: string | undefined }): string | undefined {
  return link ? deps.cipher.decrypt(link.apiTokenCiphertext) : deps.defaultToken;
}

/**
 * Whether a team can call the platform: it has a token, has none, or has one that no
 * current key decrypts (TOKEN_ENCRYPTION_KEY changed without the old key kept).
 */
export function tokenStatusOfLink(link: WorkspaceLink | undefined, deps: { cipher: TokenCipher; defaultToken: string | undefined }): { token: string } | { missing: true } | { unreadable: true } {
  let token: string | undefined;
  try {
    token = tokenOfLink(link, deps);
  } catch {
    return { unreadable: true };
  }
  return token ? { token } : { missing: true };
}

export function tokenForTeamFromLinks(deps: { find: FindLink; cipher: TokenCipher; defaultToken: string | undefined }): TokenForTeam {
  return async ({ teamId }) => tokenOfLink(await deps.find(teamId), deps);
}

/** Whether a link holds `token`; one no current key decrypts does not. */
function holdsToken(link: WorkspaceLink, token: string, cipher: TokenCipher): boolean {
  try {
    return cipher.decrypt(link.apiTokenCiphertext) === token;
  } catch {
    return false;
  }
}

/** A connected team's token as a candidate for a platform workspace; decrypted only when used. */
export interface LinkedToken {
  /** Null until the platform said which workspace the token is of. */
  platformWorkspaceId: string | null;
  token(): string;
  /** Records the workspace the platform said this token is of. */
  learn(platformWorkspaceId: string): Promise<void>;
}

/**
 * The links that may hold a platform workspace's tokens: those known to be it first,
 * then those not known yet. Nothing is decrypted here.
 */
export async function linkedTokensFor(deps: { db: Database; cipher: TokenCipher }, platformWorkspaceId: string): Promise<LinkedToken[]> {
  const rows = await deps.db
    .select({ teamId: workspaceLinks.teamId, apiTokenCiphertext: workspaceLinks.apiTokenCiphertext, platformWorkspaceId: workspaceLinks.platformWorkspaceId })
    .from(workspaceLinks)
    .where(or(eq(workspaceLinks.platformWorkspaceId, platformWorkspaceId), isNull(workspaceLinks.platformWorkspaceId)))
    .orderBy(sql`${workspaceLinks.platformWorkspaceId} is null`, asc(workspaceLinks.teamId));
  return rows.map((row) => ({
    platformWorkspaceId: row.platformWorkspaceId,
    token: () => deps.cipher.decrypt(row.apiTokenCiphertext),
    learn: (learned) => rememberPlatformWorkspace(deps.db, row, learned),
  }));
}

/**
 * Records the platform workspace of the token `link` held when it was read; a token
 * changed since (reconnected) is left unknown. A team without a link has nothing to record.
 */
export async function rememberPlatformWorkspace(
  db: Database,
  link: Pick<WorkspaceLink, 'teamId' | 'apiTokenCiphertext' | 'platformWorkspaceId'> | undefined,
  platformWorkspaceId: string,
): Promise<void> {
  if (!link || link.platformWorkspaceId === platformWorkspaceId) return;
  await db
    .update(workspaceLinks)
    .set({ platformWorkspaceId })
    .where(and(eq(workspaceLinks.teamId, link.teamId), eq(workspaceLinks.apiTokenCiphertext, link.apiTokenCiphertext)));
}

/**
 * Whether a Slack team is linked to a platform workspace: its link is known to be it, or
 * holds `token`, which the platform just answered for that workspace (learned then). A team
 * without a link uses the default token.
 */
export function teamLinkedToWorkspace(deps: { db: Database; cipher: TokenCipher; defaultToken: string | undefined }) {
  return async (teamId: string, platformWorkspaceId: string, token: string): Promise<boolean> => {
    const link = await findLink(deps.db, teamId);
    if (!link) return deps.defaultToken === token;
    if (link.platformWorkspaceId !== null) return link.platformWorkspaceId === platformWorkspaceId;
    if (deps.cipher.decrypt(link.apiTokenCiphertext) !== token) return false;
    await rememberPlatformWorkspace(deps.db, link, platformWorkspaceId);
    return true;
  };
}

/** Re-encrypts every link's token that is not under the first configured key; returns how many. */
export async function reencryptLinkTokens(tx: Pick<Database, 'select' | 'update'>, cipher: TokenCipher): Promise<number> {
  let count = 0;
  for (const row of await tx.select().from(workspaceLinks).for('update')) {
    if (cipher.isCurrent(row.apiTokenCiphertext)) continue;
    await tx.update(workspaceLinks).set({ apiTokenCiphertext: cipher.encrypt(cipher.decrypt(row.apiTokenCiphertext)) }).where(eq(workspaceLinks.teamId, row.teamId));
    count += 1;
  }
  return count;
}

/** Removes the platform link of a team, or of every team of an org (an org-wide uninstall). */
export async function unlinkTeams(tx: Pick<Database, 'delete'>, which: { teamId: string } | { enterpriseId: string }): Promise<void> {
  await tx.delete(workspaceLinks).where('teamId' in which ? eq(workspaceLinks.teamId, which.teamId) : eq(workspaceLinks.enterpriseId, which.enterpriseId));
}
