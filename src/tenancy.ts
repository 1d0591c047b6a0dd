import { WebClient } from '@slack/web-api';
import type { Config } from './config.ts';
import { createTokenCipher, type TokenCipher } from './crypto/token-cipher.ts';
import type { Database } from './db/client.ts';
import { createCatalog, type Catalog } from './identities/catalog.ts';
import type { IdentitiesApi } from './platform/identities-api.ts';
import { createInstallationStore } from './slack/oauth/installation-store.ts';
import { createLinkCache, findLink, linkedTokensFor, teamLinkedToWorkspace, tokenForTeamFromLinks, type LinkCache, type LinkedToken } from './workspaces/links.ts';
import type { TokenForTeam } from './workspaces/tokens.ts';

/** Who the app serves and with which tokens: Slack installs, platform links, and the menus' catalog. */
export interface Tenancy {
  cipher: TokenCipher;
  defaultToken: string | undefined;
  /** Workspace links through a short-lived cache, for hot paths that may be a few seconds stale. */
  links: LinkCache;
  /** A team's platform token, read fresh from the database. */
  tokenForTeam: TokenForTeam;
  /** OAuth installs; undefined in single-workspace mode. */
  installations: ReturnType<typeof createInstallationStore> | undefined;
  botTokenForTeam: (teamId: string) => Promise<string | undefined>;
  /** Whether this app serves the Slack team an approval channel names. */
  servesTeam: (teamId: string) => Promise<boolean>;
  /** Connected teams' tokens known to be of a platform workspace first, then those not known yet. */
  linkedTokens: (platformWorkspaceId: string) => Promise<LinkedToken[]>;
  /** Whether a Slack team is linked to a platform workspace, judged with the token that read an identity there. */
  teamLinkedTo: (teamId: string, platformWorkspaceId: string, token: string) => Promise<boolean>;
  catalog: Catalog;
}

export function createTenancy(deps: { config: Config; db: Database; api: IdentitiesApi }): Tenancy {
  const { config, db } = deps;
  const cipher = createTokenCipher(config.tokenEncryptionKeys);
  const defaultToken = config.identitiesApi.defaultToken;
  const readLink = (teamId: string) => findLink(db, teamId);
  const links = createLinkCache({ read: readLink });
  // OAuth: one bot token per installed team, from our store. Otherwise the one SLACK_BOT_TOKEN.
  const installations = config.slack.oauth ? createInstallationStore({ db, cipher }) : undefined;
  const botTokenForTeam = installations ? installations.botTokenForTeam : async (_teamId: string) => config.slack.botToken;
  const singleTeamId = singleTeamOf(config);
  return {
    cipher,
    defaultToken,
    links,
    tokenForTeam: tokenForTeamFromLinks({ find: readLink, cipher, defaultToken }),
    installations,
    botTokenForTeam,
    // OAuth: the installed teams. Single workspace: the bot token's own team, asked of Slack once.
    servesTeam: async (teamId) => (installations ? (await installations.botTokenForTeam(teamId)) !== undefined : (await singleTeamId()) === teamId),
    linkedTokens: (workspaceId) => linkedTokensFor({ db, cipher }, workspaceId),
    teamLinkedTo: teamLinkedToWorkspace({ db, cipher, defaultToken }),
    // The menus ask on every keystroke; a token changed elsewhere is seen within seconds.
    catalog: createCatalog({ api: deps.api, tokenForTeam: tokenForTeamFromLinks({ find: links.find, cipher, defaultToken }) }),
  };
}

/** The single-workspace bot token's team, learned on first need, never at start (the app makes no network call when it boots). */
function singleTeamOf(config: Config): () => Promise<string> {
  let singleTeam: Promise<string> | undefined;
  return () => {
    singleTeam ??= new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 0 }, timeout: 5000 })
      .auth.test()
      .then((r) => {
        if (!r.team_id) throw new Error('auth.test returned no team_id');
        return r.team_id;
      });
    singleTeam.catch(() => (singleTeam = undefined));
    return singleTeam;
  };
}
