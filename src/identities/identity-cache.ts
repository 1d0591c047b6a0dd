import type { StoredIdentity } from './store.ts';

/**
 * Mirrored identities kept in memory for the approval intake, which looks one up for
 * every event. An edit made through this instance replaces its entry at once; other
 * instances read the mirror again once their entry is `maxAgeMs` old, so an edit made
 * elsewhere reaches every instance within that time.
 */
export interface IdentityCache {
  /** The entry, while it is younger than the maximum age. */
  get(id: string): StoredIdentity | undefined;
  remember(identity: StoredIdentity): StoredIdentity;
}

export function createIdentityCache(options: { size?: number; maxAgeMs?: number; now?: () => number } = {}): IdentityCache {
  const size = options.size ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { identity: StoredIdentity; readAt: number }>();
  return {
    get(id) {
      const entry = entries.get(id);
      if (!entry) return undefined;
      if (now() - entry.readAt < maxAgeMs) return entry.identity;
      entries.delete(id);
      return undefined;
    },
    remember(identity) {
      // Re-inserted at the end, so the oldest entry is the first to go when full.
      entries.delete(identity.id);
      if (entries.size >= size) entries.delete(entries.keys().next().value!);
      entries.set(identity.id, { identity, readAt: now() });
      return identity;
    },
  };
}
