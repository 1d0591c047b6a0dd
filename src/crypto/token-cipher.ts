import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for tokens at rest. Several keys may be configured: the first
 * encrypts, any of them decrypts (found by the key id stored with the ciphertext),
 * so keys can be rotated without downtime and re-encrypted afterwards.
 *
 * Format: `v1:<key id>:<iv>:<auth tag>:<ciphertext>`, base64url parts.
 */
export interface TokenCipher {
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
  /** Whether a value was encrypted with the current (first) key. */
  isCurrent(ciphertext: string): boolean;
}

export class MissingEncryptionKeyError extends Error {
  constructor() {
    super('TOKEN_ENCRYPTION_KEY is not set, so tokens cannot be stored or read');
  }
}

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('base64url').slice(0, 8);

export function createTokenCipher(keys: readonly Buffer[]): TokenCipher {
  for (const key of keys) if (key.length !== 32) throw new RangeError('encryption keys must be 32 bytes');
  const byId = new Map(keys.map((k) => [keyId(k), k] as const));
  const current = keys[0];

  return {
    encrypt(plaintext) {
      if (!current) throw new MissingEncryptionKeyError();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', keyId(current), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(':');
    },
    decrypt(ciphertext) {
      if (!current) throw new MissingEncryptionKeyError();
      const [version, id, iv, tag, body] = ciphertext.split(':');
      if (version !== 'v1' || !id || !iv || !tag || body === undefined) throw new Error('not a token ciphertext');
      const key = byId.get(id);
      if (!key) throw new Error(`token was encrypted with a key that is no longer configured (key id ${id})`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
    isCurrent(ciphertext) {
      return current !== undefined && ciphertext.split(':')[1] === keyId(current);
    },
  };
}
