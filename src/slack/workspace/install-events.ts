import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Logger } from '../../logger.ts';
import type { createInstallationStore } from '../oauth/installation-store.ts';

const envelope = z.object({
  team_id: z.string().optional(),
  enterprise_id: z.string().nullish(),
  is_enterprise_install: z.boolean().optional(),
  event: z.object({ tokens: z.object({ bot: z.array(z.string()).optional() }).partial().optional() }).passthrough(),
});

/** app_uninstalled and tokens_revoked remove what they revoke. */
export function registerInstallEvents(app: App, deps: { installations: ReturnType<typeof createInstallationStore>; logger: Logger }): void {
  const queryOf = (body: unknown) => {
    const parsed = envelope.safeParse(body);
    if (!parsed.success) return undefined;
    const b = parsed.data;
    return { teamId: b.team_id, enterpriseId: b.enterprise_id ?? undefined, isEnterpriseInstall: b.is_enterprise_install === true, event: b.event };
  };

  app.event('app_uninstalled', async ({ body }) => {
    const q = queryOf(body);
    if (!q) return deps.logger.warn('app_uninstalled without a readable team');
    await deps.installations.removeTeam(q, { reason: 'app_uninstalled', unlink: true });
    deps.logger.info(`app uninstalled from ${q.isEnterpriseInstall ? q.enterpriseId : q.teamId}: installation and platform link removed`);
  });

  app.event('tokens_revoked', async ({ body }) => {
    const q = queryOf(body);
    if (!q) return deps.logger.warn('tokens_revoked without a readable team');
    // Only bot tokens are stored; user tokens are never requested.
    if ((q.event.tokens?.bot ?? []).length === 0) return;
    await deps.installations.removeTeam(q, { reason: 'tokens_revoked', unlink: false });
    deps.logger.info(`bot token revoked in ${q.isEnterpriseInstall ? q.enterpriseId : q.teamId}: installation removed`);
  });
}
