import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit } from '../../audit/audit-log.ts';
import type { TokenCipher } from '../../crypto/token-cipher.ts';
import type { Database } from '../../db/client.ts';
import { identities, slackInstallations } from '../../db/schema.ts';
import { unlinkTeams } from '../../workspaces/links.ts';

type Row = typeof slackInstallations.$inferSelect;

const rowIdOf = (q: { isEnterpriseInstall?: boolean | undefined; enterpriseId?: string | undefined; teamId?: string | undefined }) =>
  q.isEnterpriseInstall ? q.enterpriseId : q.teamId;

/** Bolt's InstallationStore on our database; bot tokens are stored only as ciphertext. */
export function createInstallationStore(deps: { db: Database; cipher: TokenCipher }): InstallationStore & {
  botTokenForTeam(teamId: string): Promise<string | undefined>;
  removeTeam(
    query: { teamId: string | undefined; enterpriseId: string | undefined; isEnterpriseInstall: boolean },
    what: { reason: 'app_uninstalled' | 'tokens_revoked'; unlink: boolean },
  ): Promise<void>;
} {
  const { db, cipher } = deps;

  const toInstallation = (row: Row): Installation<'v2', boolean> => ({
    team: row.teamId ? { id: row.teamId } : undefined,
    enterprise: row.enterpriseId ? { id: row.enterpriseId } : undefined,
    user: { token: undefined, scopes: undefined, id: row.installerUserId ?? '' },
    bot: { token: cipher.decrypt(row.botTokenCiphertext), scopes: row.botScopes.split(',').filter(Boolean), id: row.botId ?? '', userId: row.botUserId },
    ...(row.appId ? { appId: row.appId } : {}),
    tokenType: 'bot',
    isEnterpriseInstall: row.isEnterpriseInstall,
    authVersion: 'v2',
  });

  async function findRow(query: InstallationQuery<boolean>): Promise<Row | undefined> {
    if (!query.isEnterpriseInstall && query.teamId) {
      const [team] = await db.select().from(slackInstallations).where(eq(slackInstallations.id, query.teamId));
      if (team) return team;
    }
    // An org-wide install serves every team of its Enterprise Grid org.
    if (query.enterpriseId) {
      const [org] = await db
        .select()
        .from(slackInstallations)
        .where(and(eq(slackInstallations.id, query.enterpriseId), eq(slackInstallations.isEnterpriseInstall, true)));
      return org;
    }
    return undefined;
  }

  return {
    async storeInstallation(installation) {
      const id = rowIdOf({ isEnterpriseInstall: installation.isEnterpriseInstall, enterpriseId: installation.enterprise?.id, teamId: installation.team?.id });
      if (!id || !installation.bot) throw new Error('installation without a team (or org) and a bot token');
      const values = {
        id,
        teamId: installation.team?.id ?? null,
        enterpriseId: installation.enterprise?.id ?? null,
        isEnterpriseInstall: installation.isEnterpriseInstall === true,
        appId: installation.appId ?? null,
        botUserId: installation.bot.userId,
        botId: installation.bot.id,
        botScopes: installation.bot.scopes.join(','),
        botTokenCiphertext: cipher.encrypt(installation.bot.token),
        installerUserId: installation.user.id || null,
      };
      await db.transaction(async (tx) => {
        await tx
          .insert(slackInstallations)
          .values(values)
          .onConflictDoUpdate({ target: slackInstallations.id, set: { ...values, updatedAt: sql`now()` } });
        await recordAudit(tx, {
          teamId: id,
          actorUserId: values.installerUserId,
          action: 'app.installed',
          subjectType: values.isEnterpriseInstall ? 'enterprise' : 'team',
          subjectId: id,
          details: { scopes: installation.bot?.scopes ?? [] },
        });
      });
    },

    async fetchInstallation(query) {
      const row = await findRow(query);
      if (!row) throw new Error(`no installation for team ${query.teamId ?? '-'} / enterprise ${query.enterpriseId ?? '-'}`);
      return toInstallation(row);
    },

    async deleteInstallation(query) {
      const id = rowIdOf(query);
      if (id) await db.delete(slackInstallations).where(eq(slackInstallations.id, id));
    },

    async botTokenForTeam(teamId) {
      let row = await findRow({ teamId, enterpriseId: undefined, isEnterpriseInstall: false });
      if (!row) {
        // The team may be served by its org's install: its identities know the org.
        const [known] = await db.select({ enterpriseId: identities.enterpriseId }).from(identities).where(eq(identities.teamId, teamId)).limit(1);
        if (known?.enterpriseId) row = await findRow({ teamId, enterpriseId: known.enterpriseId, isEnterpriseInstall: false });
      }
      return row ? cipher.decrypt(row.botTokenCiphertext) : undefined;
    },

    /** Forgets the bot token (tokens_revoked), and on app_uninstalled the platform link too. */
    async removeTeam(query, what) {
      const id = rowIdOf(query);
      if (!id) return;
      await db.transaction(async (tx) => {
        await tx.delete(slackInstallations).where(eq(slackInstallations.id, id));
        if (what.unlink) await unlinkTeams(tx, query.isEnterpriseInstall ? { enterpriseId: id } : { teamId: id });
        await recordAudit(tx, {
          teamId: id,
          actorUserId: null,
          action: what.reason === 'app_uninstalled' ? 'app.uninstalled' : 'app.tokens_revoked',
          subjectType: query.isEnterpriseInstall ? 'enterprise' : 'team',
          subjectId: id,
          details: { unlinked: what.unlink },
        });
      });
    },
  };
}

/** Re-encrypts every bot token that is not under the first configured key; returns how many. */
export async function reencryptInstallationTokens(tx: Pick<Database, 'select' | 'update'>, cipher: TokenCipher): Promise<number> {
  let count = 0;
  for (const row of await tx.select().from(slackInstallations).for('update')) {
    if (cipher.isCurrent(row.botTokenCiphertext)) continue;
    await tx.update(slackInstallations).set({ botTokenCiphertext: cipher.encrypt(cipher.decrypt(row.botTokenCiphertext)) }).where(eq(slackInstallations.id, row.id));
    count += 1;
  }
  return count;
}
