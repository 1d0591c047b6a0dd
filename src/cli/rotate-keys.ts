import type { TokenCipher } from '../crypto/token-cipher.ts';
import type { Database } from '../db/client.ts';
import { reencryptInstallationTokens } from '../slack/oauth/installation-store.ts';
import { reencryptLinkTokens } from '../workspaces/links.ts';

/** Re-encrypts every stored token with the first configured key, all or nothing; run after adding a new key in front. */
export async function reencryptTokens(db: Database, cipher: TokenCipher): Promise<{ installations: number; links: number }> {
  return db.transaction(async (tx) => ({ installations: await reencryptInstallationTokens(tx, cipher), links: await reencryptLinkTokens(tx, cipher) }));
}
