import { describe, expect, it } from 'vitest';
import { createTokenCipher } from '../../src/crypto/token-cipher.ts';
import type { Database } from '../../src/db/client.ts';
import { connectWorkspace, createLinkCache, disconnectWorkspace } from '../../src/workspaces/links.ts';
import { type TestDatabase } from '../support/database.ts';
import { databasePerFile } from '../support/lifecycle.ts';

let db: TestDatabase;
databasePerFile((created) => (db = created));

const cipher = createTokenCipher([Buffer.alloc(32, 7)]);
const connect = (teamId: string, permission: 'admins' | 'everyone') =>
  connectWorkspace({ db: db.db, cipher }, { teamId, enterpriseId: null, token: `plat-${teamId}`, permission, userId: 'U0ADMIN' });

/** Counts the link queries a cache makes, by wrapping the database's select. */
function countingDb(): { db: Database; selects: () => number } {
  let selects = 0;
  const wrapped = new Proxy(db.db, {
    get(target, prop, receiver) {
      if (prop === 'select') {
        return (...args: unknown[]) => {
          selects++;
          return (target.select as (...a: unknown[]) => unknown)(...args);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return { db: wrapped, selects: () => selects };
}

describe('link cache', () => {
  it('answers from memory within its ttl, and sees another instance’s change once the ttl passes', async () => {
    await connect('T0A', 'admins');
    let clock = 1_000;
    const counting = countingDb();
    const cache = createLinkCache({ db: counting.db, ttlMs: 5_000, now: () => clock });

    expect((await cache.find('T0A'))?.createPermission).toBe('admins');
    // Concurrent and repeated reads share the one query.
    const again = await Promise.all([cache.find('T0A'), cache.find('T0A'), cache.find('T0A')]);
    expect(again.map((l) => l?.createPermission)).toEqual(['admins', 'admins', 'admins']);
    expect(counting.selects()).toBe(1);

    // Another instance changes the setting: still the old value until the ttl passes.
    await connect('T0A', 'everyone');
    clock += 4_999;
    expect((await cache.find('T0A'))?.createPermission).toBe('admins');
    clock += 2;
    expect((await cache.find('T0A'))?.createPermission).toBe('everyone');
    expect(counting.selects()).toBe(2);
  });

  it('remembers that a team has no link, and forgets an entry at once when told', async () => {
    const cache = createLinkCache({ db: db.db, ttlMs: 60_000 });
    expect(await cache.find('T0B')).toBeUndefined();
    await connect('T0B', 'everyone');
    expect(await cache.find('T0B')).toBeUndefined();
    cache.forget('T0B');
    expect((await cache.find('T0B'))?.teamId).toBe('T0B');

    await disconnectWorkspace(db.db, { teamId: 'T0B', userId: 'U0ADMIN' });
    cache.forget('T0B');
    expect(await cache.find('T0B')).toBeUndefined();
  });

  it('does not keep a failed read, and holds at most maxEntries teams', async () => {
    let failing = true;
    const flaky = new Proxy(db.db, {
      get(target, prop, receiver) {
        if (prop === 'select' && failing) return () => ({ from: () => ({ where: () => Promise.reject(new Error('database down')) }) });
        return Reflect.get(target, prop, receiver);
      },
    });
    const counting = countingDb();
    const cache = createLinkCache({ db: flaky, ttlMs: 60_000 });
    await expect(cache.find('T0C')).rejects.toThrow('database down');
    failing = false;
    await connect('T0C', 'admins');
    expect((await cache.find('T0C'))?.createPermission).toBe('admins');

    const small = createLinkCache({ db: counting.db, ttlMs: 60_000, maxEntries: 2 });
    for (const team of ['T1', 'T2', 'T3']) await small.find(team);
    await small.find('T3');
    await small.find('T2');
    expect(counting.selects()).toBe(3);
    await small.find('T1'); // evicted first, so read again
    expect(counting.selects()).toBe(4);
  });
});
