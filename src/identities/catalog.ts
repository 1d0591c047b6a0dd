import type { IdentitiesApi } from '../platform/identities-api.ts';
import { isPlatformError } from '../platform/errors.ts';
import type { Assistant, Domain, Identity } from '../platform/schemas.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';

export type CatalogResult<T> =
  | { ok: true; items: T[]; truncated: boolean }
  | { ok: false; code: 'token_missing' | 'token_rejected' | 'unavailable'; detail?: string };

type Team = { teamId: string; enterpriseId?: string | null };

export interface Catalog {
  domains(team: Team, opts?: { deadline?: number }): Promise<CatalogResult<Domain>>;
  assistants(team: Team, opts?: { deadline?: number }): Promise<CatalogResult<Assistant>>;
  /** The platform workspace's identities, for the edit picker (which filters them by Slack team). */
  identities(team: Team, opts?: { deadline?: number }): Promise<CatalogResult<Identity>>;
}

interface Entry<T> {
  expiresAt: number;
  value: Promise<CatalogResult<T>>;
}

/** Resolves with the promise's value, or with `fallback` once the deadline passes. */
async function byDeadline<T>(promise: Promise<T>, deadline: number | undefined, fallback: T): Promise<T> {
  if (deadline === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), Math.max(0, deadline - Date.now()))))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Domains, assistants and identities per platform token, cached briefly: the modal's menus load
 * them on every keystroke and options requests must be answered within 3 s. A caller's
 * deadline bounds its wait even when it joins a load already in flight. Failures are
 * not cached, so the next request tries again.
 */
export function createCatalog(deps: { api: IdentitiesApi; tokenForTeam: TokenForTeam; ttlMs?: number; now?: () => number }): Catalog {
  const ttl = deps.ttlMs ?? 60_000;
  const now = deps.now ?? Date.now;

  function cached<T>(load: (token: string) => Promise<{ items: T[]; truncated: boolean }>) {
    // Keyed by token, not team: /identity connect can change a team's token at any time.
    const cache = new Map<string, Entry<T>>();
    return async (team: Team, opts: { deadline?: number } = {}): Promise<CatalogResult<T>> => {
      const token = await deps.tokenForTeam(team);
      if (!token) return { ok: false, code: 'token_missing' };
      let entry = cache.get(token);
      if (!entry || entry.expiresAt <= now()) {
        const value = load(token).then(
          (page): CatalogResult<T> => ({ ok: true, items: page.items, truncated: page.truncated }),
          (e: unknown): CatalogResult<T> => {
            if (!isPlatformError(e)) return { ok: false, code: 'unavailable', detail: 'error' };
            if (e.kind === 'unauthorized' || e.kind === 'forbidden') return { ok: false, code: 'token_rejected' };
            return { ok: false, code: 'unavailable', detail: e.kind };
          },
        );
        entry = { expiresAt: now() + ttl, value };
        cache.set(token, entry);
        const settled = entry;
        void value.then((result) => {
          if (!result.ok && cache.get(token) === settled) cache.delete(token);
        });
      }
      return byDeadline(entry.value, opts.deadline, { ok: false, code: 'unavailable', detail: 'timeout' });
    };
  }

  return {
    // The loads themselves run to the client's own timeouts; only the waiting is bounded.
    domains: cached((token) => deps.api.listDomains(token)),
    assistants: cached((token) => deps.api.listAssistants(token)),
    identities: cached((token) => deps.api.listIdentities(token, { maxItems: 1000 })),
  };
}

export const isVerified = (d: Domain) => d.status.toLowerCase() === 'verified';
