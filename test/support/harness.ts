import { buildApp } from '../../src/app.ts';
import { parseConfig, secretsOf, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createIdentitiesApi } from '../../src/platform/identities-api.ts';
import type { TestDatabase } from './database.ts';
import { startFakeIdentitiesApi, type AddedWorkspace, type FakeIdentitiesApi } from './fake-identities-api.ts';
import { startFakeSlack, type FakeSlack } from './fake-slack.ts';
import { createSlackClient, type SlackClient } from './slack-client.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
export const PLATFORM_TOKEN = 'plat_live_token_team_one_0123456789';
export const TEAM = { id: 'T0TEAMONE', botToken: 'xoxb-1111-team-one-bot-token', botUserId: 'U0BOT1', botId: 'B0BOT1' };
export const ALICE = 'U0ALICE';
export const BOB = 'U0BOB';
export const PUBLIC_CHANNEL = { id: 'C0APPROVE', name: 'support-approvals' };
export const PRIVATE_CHANNEL = { id: 'G0SECRET', name: 'secret-approvals' };
export const PRIVATE_WITH_BOT = { id: 'G0WITHBOT', name: 'vip-approvals' };
export const ARCHIVED_CHANNEL = { id: 'C0ARCHIVED', name: 'old-approvals' };

export interface HarnessOptions {
  /** Platform token in IDENTITIES_API_TOKEN; null leaves it unset. */
  platformToken?: string | null;
  env?: Record<string, string>;
  ackBudgetMs?: number;
}

export interface Harness {
  slack: FakeSlack;
  api: FakeIdentitiesApi;
  workspace: AddedWorkspace;
  client: SlackClient;
  config: Config;
  /** Every line the app logged. */
  logs: string[];
  baseUrl: string;
  /** Opens the create-identity modal as ALICE in the public channel; returns its view id. */
  openCreateModal(opts?: { channelId?: string; userId?: string }): Promise<string>;
  close(): Promise<void>;
}

/** Polls until `check` holds; for effects that follow an ack. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The real app, in this process, wired to a fake Slack, a fake platform API and a test database. */
export async function startHarness(db: TestDatabase, options: HarnessOptions = {}): Promise<Harness> {
  const slack = await startFakeSlack();
  const api = await startFakeIdentitiesApi();
  const token = options.platformToken === undefined ? PLATFORM_TOKEN : options.platformToken;
  const workspace = api.addWorkspace({
    token: PLATFORM_TOKEN,
    domains: [
      { name: 'acme.com', status: 'verified' },
      { name: 'acme.io', status: 'verified' },
      { name: 'pending.example', status: 'pending' },
    ],
    assistants: [{ name: 'Support assistant' }, { name: 'Sales assistant' }],
  });
  slack.addTeam({ ...TEAM });
  slack.addUser({ id: ALICE, teamId: TEAM.id, name: 'alice' });
  slack.addUser({ id: BOB, teamId: TEAM.id, name: 'bob' });
  slack.addChannel({ ...PUBLIC_CHANNEL, teamId: TEAM.id, isPrivate: false, members: [ALICE, BOB] });
  slack.addChannel({ ...PRIVATE_CHANNEL, teamId: TEAM.id, isPrivate: true, members: [ALICE] });
  slack.addChannel({ ...PRIVATE_WITH_BOT, teamId: TEAM.id, isPrivate: true, members: [ALICE, TEAM.botUserId] });
  slack.addChannel({ ...ARCHIVED_CHANNEL, teamId: TEAM.id, isPrivate: false, members: [], isArchived: true });

  const env: Record<string, string> = {
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: TEAM.botToken,
    SLACK_API_URL: slack.apiUrl,
    IDENTITIES_API_URL: api.url,
    APPROVAL_WEBHOOK_SECRET: WEBHOOK_SECRET,
    DATABASE_URL: 'memory://',
    LOG_LEVEL: 'debug',
    ...(token ? { IDENTITIES_API_TOKEN: token } : {}),
    ...options.env,
  };
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(`test config invalid: ${parsed.problems.join('; ')}`);
  const config = parsed.config;
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: () => secretsOf(config), write: (line) => logs.push(line) });
  const apiClient = createIdentitiesApi({ baseUrl: api.url, logger: logger.child('platform') });
  const { start } = buildApp({
    config,
    database: db,
    api: apiClient,
    logger,
    tuning: { host: '127.0.0.1', ...(options.ackBudgetMs ? { ackBudgetMs: options.ackBudgetMs } : {}) },
  });
  const running = await start(0);
  const baseUrl = `http://127.0.0.1:${running.port}`;
  const client = createSlackClient({ url: `${baseUrl}/slack/events`, signingSecret: SIGNING_SECRET, fakeSlack: slack });

  return {
    slack,
    api,
    workspace,
    client,
    config,
    logs,
    baseUrl,
    async openCreateModal(opts = {}) {
      const before = slack.callsTo('views.open').length;
      const res = await client.command({ teamId: TEAM.id, userId: opts.userId ?? ALICE, channelId: opts.channelId ?? PUBLIC_CHANNEL.id, text: '' });
      if (res.status !== 200) throw new Error(`/identity answered ${res.status}`);
      // The command is acked first; views.open follows.
      await waitFor(() => slack.callsTo('views.open').length > before, 'views.open after /identity');
      const opened = slack.callsTo('views.open').at(-1)!;
      const id = (opened.result as { view?: { id?: string } } | undefined)?.view?.id;
      if (!id) throw new Error(`views.open failed: ${JSON.stringify(opened.result)}`);
      return id;
    },
    async close() {
      await running.stop();
      await apiClient.close();
      await slack.close();
      await api.close();
    },
  };
}
