import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTokenCipher } from '../../src/crypto/token-cipher.ts';
import { mirrorIdentity } from '../../src/identities/store.ts';
import { createInstallationStore } from '../../src/slack/oauth/installation-store.ts';
import { type TestDatabase } from '../support/database.ts';
import { databasePerFile } from '../support/lifecycle.ts';
import { rowsOf } from '../../src/db/client.ts';

let db: TestDatabase;
databasePerFile((created) => (db = created));

const cipher = createTokenCipher([Buffer.alloc(32, 5)]);
const bot = (token: string) => ({ token, scopes: ['chat:write', 'commands'], id: 'B1', userId: 'U0BOT' });

describe('installation store', () => {
  it('looks up an org-wide (Enterprise Grid) install by enterprise id for any team of the org', async () => {
    const store = createInstallationStore({ db: db.db, cipher });
    await store.storeInstallation({
      team: undefined,
      enterprise: { id: 'E0ORG' },
      user: { token: undefined, scopes: undefined, id: 'U0ORGADMIN' },
      bot: bot('xoxb-org-wide-token'),
      isEnterpriseInstall: true,
      authVersion: 'v2',
    });
    const forTeam = await store.fetchInstallation({ teamId: 'T0INORG', enterpriseId: 'E0ORG', isEnterpriseInstall: false });
    expect(forTeam.bot?.token).toBe('xoxb-org-wide-token');
    const forOrg = await store.fetchInstallation({ teamId: undefined, enterpriseId: 'E0ORG', isEnterpriseInstall: true });
    expect(forOrg.isEnterpriseInstall).toBe(true);
    await expect(store.fetchInstallation({ teamId: 'T0ELSE', enterpriseId: 'E0OTHER', isEnterpriseInstall: false })).rejects.toThrow(/no installation/);

    // Background jobs know only the team; its identities name the org.
    await mirrorIdentity(db.db, {
      id: 'i-1', teamId: 'T0INORG', enterpriseId: 'E0ORG', workspaceId: 'w', emailAddress: 'a@b.c', displayName: 'A', domainId: 'd',
      approvalChannelId: 'C1', approvalChannelName: null, approverUserIds: [], createdByUserId: null, assistantId: null,
    });
    expect(await store.botTokenForTeam('T0INORG')).toBe('xoxb-org-wide-token');
    expect(await store.botTokenForTeam('T0UNKNOWN')).toBeUndefined();
  });

  it('prefers a team install over its org install, and stores only ciphertext', async () => {
    const store = createInstallationStore({ db: db.db, cipher });
    await store.storeInstallation({ team: undefined, enterprise: { id: 'E0ORG' }, user: { token: undefined, scopes: undefined, id: 'U1' }, bot: bot('xoxb-org-token'), isEnterpriseInstall: true, authVersion: 'v2' });
    await store.storeInstallation({ team: { id: 'T0OWN' }, enterprise: { id: 'E0ORG' }, user: { token: undefined, scopes: undefined, id: 'U2' }, bot: bot('xoxb-team-token'), isEnterpriseInstall: false, authVersion: 'v2' });
    expect((await store.fetchInstallation({ teamId: 'T0OWN', enterpriseId: 'E0ORG', isEnterpriseInstall: false })).bot?.token).toBe('xoxb-team-token');
    const result = await db.db.execute(sql`select * from slack_installations`);
    const rows = JSON.stringify(rowsOf(result));
    expect(rows).not.toContain('xoxb-');
    expect(rows).toContain('v1:');
  });
});
