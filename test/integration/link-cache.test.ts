import { describe, expect, it } from 'vitest';
import { createTokenCipher } from '../../src/crypto/token-cipher.ts';
import { connectWorkspace, createLinkCache, disconnectWorkspace, findLink, type FindLink } from '../../src/workspaces/links.ts';
import { type TestDatabase } from '../support/database.ts';
import { databasePerFile } from '../support/lifecycle.ts';

let db: TestDatabase;
databasePerFile((created) => (db = created));

const cipher = createTokenCipher([Buffer.alloc(32, 7)]);
const connect = (teamId: string, permission: 'admins' | 'everyone') =>
  connectWorkspace({ db: db.db, cipher }, { teamId, enterpriseId: null, token: `plat-${teamId}`, permission, userId: 'U0ADMIN' });

/** Reads links from the database, counting the reads. */
function countingRead(): { read: FindLink; reads: () => number } {
  let reads = 0;
  return {
    read: (teamId) => {
      reads++;
      return findLink(db.db, teamId);
    },
    reads: () => reads,
  };
}

describe('link cache', () => {
  it('answers from memory within its ttl, and sees another instance’s change once the ttl passes', async () => {
    await connect('T0A', 'admins');
    let clock = 1_000;
    const counting = countingRead();
    const cache = createLinkCache({ read: counting.read, ttlMs: 5_000, now: () => clock });

    // Concurrent reads of an empty cache share one query, and later ones use its answer.
    const first = await Promise.all([cache.find('T0A'), cache.find('T0A'), cache.find('T0A')]);
    expect(first.map((l) => l?.createPermission)).toEqual(['admins', 'admins', 'admins']);
    expect((await cache.find('T0A'))?.createPermission).toBe('admins');
    expect(counting.reads()).toBe(1);

    // Another instance changes the setting: still the old value until the ttl passes.
    await connect('T0A', 'everyone');
    clock += 4_999;
    expect((await cache.find('T0A'))?.createPermission).toBe('admins');
    clock += 2;
    expect((await cache.find('T0A'))?.createPermission).toBe('everyone');
    expect(counting.reads()).toBe(2);
  });

  it('remembers that a team has no link, and forgets an entry at once when told', async () => {
    const cache = createLinkCache({ read: (teamId) => findLink(db.db, teamId), ttlMs: 60_000 });
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
    const flaky: FindLink = (teamId) => (failing ? Promise.reject(new Error('database down')) : findLink(db.db, teamId));
    const counting = countingRead();
    const cache = createLinkCache({ read: flaky, ttlMs: 60_000 });
    await expect(cache.find('T0C')).rejects.toThrow('database down');
    failing = false;
    await connect('T0C', 'admins');
    expect((await cache.find('T0C'))?.createPermission).toBe('admins');

    const small = createLinkCache({ read: counting.read, ttlMs: 60_000, maxEntries: 2 });
    for (const team of ['T1', 'T2', 'T3']) await small.find(team);
    await small.find('T3');
    await small.find('T2');
    expect(counting.reads()).toBe(3);
    await small.find('T1'); // evicted first, so read again
    expect(counting.reads()).toBe(4);
  });
});
