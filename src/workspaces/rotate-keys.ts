import { eq } from 'drizzle-orm';
import type { TokenCipher } from '../crypto/token-cipher.ts';
import type { Database } from '../db/client.ts';
import { slackInstallations, workspaceLinks } from '../db/schema.ts';

/** Re-encrypts every stored token with the first configured key; run after adding a new key in front. */
export async function reencryptTokens(db: Database, cipher: TokenCipher): Promise<{ installations: number; links: number }> {
  return db.transaction(async (tx) => {
    let installations = 0;
    for (const row of await tx.select().from(slackInstallations).for('update')) {
      if (cipher.isCurrent(row.botTokenCiphertext)) continue;
      await tx.update(slackInstallations).set({ botTokenCiphertext: cipher.encrypt(cipher.decrypt(row.botTokenCiphertext)) }).where(eq(slackInstallations.id, row.id));
      installations += 1;
    }
    let links = 0;
    for (const row of await tx.select().from(workspaceLinks).for('update')) {
      if (cipher.isCurrent(row.apiTokenCiphertext)) continue;
      await tx.update(workspaceLinks).set({ apiTokenCiphertext: cipher.encrypt(cipher.decrypt(row.apiTokenCiphertext)) }).where(eq(workspaceLinks.teamId, row.teamId));
      links += 1;
    }
    return { installations, links };
  });
}
