import type { Database } from '../db/client.ts';
import type { Catalog } from '../identities/catalog.ts';
import type { IdentityCache } from '../identities/identity-cache.ts';
import type { Logger } from '../logger.ts';
import type { IdentitiesApi } from '../platform/identities-api.ts';
import type { LinkCache } from '../workspaces/links.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';
import type { WorkspaceDeps } from './workspace/connect.ts';

/** Everything the Slack listeners need, passed in once when the app is built. */
export interface SlackDeps {
  db: Database;
  api: IdentitiesApi;
  catalog: Catalog;
  tokenForTeam: TokenForTeam;
  /** Workspace links through a short-lived cache, for the hot paths that may be a few seconds stale. */
  links: LinkCache;
  logger: Logger;
  /**
   * How long a handler may work before it must answer Slack. Slack allows 3 s and
   * Bolt's HTTP receiver gives up at 3.001 s; the rest is for the network.
   */
  ackBudgetMs: number;
  workspace: WorkspaceDeps;
  /** Pokes the background job worker after enqueueing work. */
  wake: () => void;
  /** The approval intake's identities; an edit replaces its entry so the next approval goes to the new channel. */
  identityCache: IdentityCache;
}
