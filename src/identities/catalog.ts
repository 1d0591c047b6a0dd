import type { IdentitiesApi } from '../platform/identities-api.ts';
import { isPlatformError } from '../platform/errors.ts';
import type { Assistant, Domain } from '../platform/schemas.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';

export type CatalogResult<T> =
  | { ok: true; items: T[]; truncated: boolean }
  | { ok: false; code: 'token_missing' | 'token_rejected' | 'unavailable'; detail?: string };

export interface Catalog {
  domains(team: { teamId: string; enterpriseId?: string | null }, opts?: { deadline?: number }): Promise<CatalogResult<Domain>>;
  assistants(team: { teamId: string; enterpriseId?: string | null }, opts?: { deadline?: number }): Promise<CatalogResult<Assistant>>;
}

interface Entry<T> {
  expiresAt: number;
  value: Promise<CatalogResult<T>>;
}

/**
 * Domains and assistants per Slack team, cached briefly: the modal's menus load
 * them on every keystroke and options requests must be answered within 3 s.
 * Failures are not cached, so the next request tries again.
 */
export function createCatalog(deps: { api: IdentitiesApi; tokenForTeam: TokenForTeam; ttlMs?: number; now?: () => number }): Catalog {
  const ttl = deps.ttlMs ?? 60_000;
  const now = deps.now ?? Date.now;
  const domains = new Map<string, Entry<Domain>>();
  const assistants = new Map<string, Entry<Assistant>>();

  function cached<T>(
    cache: Map<string, Entry<T>>,
    load: (token: string, deadline?: number) => Promise<{ items: T[]; truncated: boolean }>,
  ) {
    return async (team: { teamId: string; enterpriseId?: string | null }, opts: { deadline?: number } = {}): Promise<CatalogResult<T>> => {
      const hit = cache.get(team.teamId);
      if (hit && hit.expiresAt > now()) return hit.value;
      const value = (async (): Promise<CatalogResult<T>> => {
        const token = await deps.tokenForTeam(team);
        if (!token) return { ok: false, code: 'token_missing' };
        try {
          const page = await load(token, opts.deadline);
          return { ok: true, items: page.items, truncated: page.truncated };
        } catch (e) {
          if (!isPlatformError(e)) throw e;
          if (e.kind === 'unauthorized' || e.kind === 'forbidden') return { ok: false, code: 'token_rejected' };
          return { ok: false, code: 'unavailable', detail: e.kind };
        }
      })();
      cache.set(team.teamId, { expiresAt: now() + ttl, value });
      const result = await value.catch((e: unknown) => {
        cache.delete(team.teamId);
        throw e;
      });
      if (!result.ok) cache.delete(team.teamId);
      return result;
    };
  }

  return {
    domains: cached(domains, (token, deadline) => deps.api.listDomains(token, deadline ? { deadline } : {})),
    assistants: cached(assistants, (token, deadline) => deps.api.listAssistants(token, deadline ? { deadline } : {})),
  };
}

export const isVerified = (d: Domain) => d.status.toLowerCase() === 'verified';
