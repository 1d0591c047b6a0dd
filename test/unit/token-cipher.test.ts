import { describe, expect, it } from 'vitest';
import { createTokenCipher, MissingEncryptionKeyError } from '../../src/crypto/token-cipher.ts';

const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);

describe('token cipher', () => {
  it('round-trips a token and never stores it in the clear', () => {
    const cipher = createTokenCipher([keyA]);
    const sealed = cipher.encrypt('xoxb-secret-token');
    expect(sealed).not.toContain('xoxb-secret-token');
    expect(sealed).toMatch(/^v1:[\w-]{8}:[\w-]+:[\w-]+:[\w-]+$/);
    expect(cipher.decrypt(sealed)).toBe('xoxb-secret-token');
  });

  it('uses a fresh IV each time', () => {
    const cipher = createTokenCipher([keyA]);
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
  });

  it('detects tampering', () => {
    const cipher = createTokenCipher([keyA]);
    const parts = cipher.encrypt('token').split(':');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.decrypt(parts.join(':'))).toThrow();
  });

  it('rotates: the first key encrypts, every configured key decrypts', () => {
    const old = createTokenCipher([keyA]).encrypt('token');
    const rotated = createTokenCipher([keyB, keyA]);
    expect(rotated.decrypt(old)).toBe('token');
    expect(rotated.isCurrent(old)).toBe(false);
    const fresh = rotated.encrypt('token');
    expect(rotated.isCurrent(fresh)).toBe(true);
    expect(createTokenCipher([keyB]).decrypt(fresh)).toBe('token');
    expect(() => createTokenCipher([keyB]).decrypt(old)).toThrow(/no longer configured/);
  });

  it('refuses to work without a key', () => {
    expect(() => createTokenCipher([]).encrypt('x')).toThrow(MissingEncryptionKeyError);
  });
});
