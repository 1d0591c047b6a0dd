import { randomUUID } from 'node:crypto';
import { buildApp } from '../../src/app.ts';
import { signPayload } from '../../src/approvals/webhook-signature.ts';
import { mirrorIdentity, type StoredIdentity } from '../../src/identities/store.ts';
import type { ApprovalEvent } from '../../src/platform/schemas.ts';
import type { DatabaseHandle } from '../../src/db/client.ts';
import { parseConfig, secretsOf, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createPrometheusMetrics } from '../../src/metrics/prometheus.ts';
import { createIdentitiesApi } from '../../src/platform/identities-api.ts';
import type { TestDatabase } from './database.ts';
import { startFakeIdentitiesApi, type AddedWorkspace, type FakeIdentitiesApi } from './fake-identities-api.ts';
import { startFakeSlack, type FakeMessage, type FakeSlack } from './fake-slack.ts';
import { createSlackClient, type SlackClient } from './slack-client.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
export const PLATFORM_TOKEN = 'plat_live_token_team_one_0123456789';
export const TEAM = { id: 'T0TEAMONE', botToken: 'xoxb-1111-team-one-bot-token', botUserId: 'U0BOT1', botId: 'B0BOT1' };
export const ALICE = 'U0ALICE';
/** A workspace admin of TEAM. */
export const ADMIN = 'U0ADMIN';
export const ENCRYPTION_KEY = Buffer.alloc(32, 11).toString('base64');
export const STATE_SECRET = 'test-state-secret-0123456789';
export const BOB = 'U0BOB';
export const PUBLIC_CHANNEL = { id: 'C0APPROVE', name: 'support-approvals' };
export const PRIVATE_CHANNEL = { id: 'G0SECRET', name: 'secret-approvals' };
export const PRIVATE_WITH_BOT = { id: 'G0WITHBOT', name: 'vip-approvals' };
export const ARCHIVED_CHANNEL = { id: 'C0ARCHIVED', name: 'old-approvals' };

export interface ApprovalEventInput {
  id?: string;
  type?: 'approval.requested' | 'approval.cancelled' | 'approval.expired';
  approvalId?: string;
  identityId: string;
  workspaceId: string;
  emailThreadId?: string | null;
  expiresAt?: string | null;
  draftText?: string;
  reason?: string | null;
}

/** An approval event shaped as the contract's ApprovalEvent. */
export function approvalEvent(input: ApprovalEventInput): ApprovalEvent {
  const approvalId = input.approvalId ?? randomUUID();
  return {
    id: input.id ?? `evt_${randomUUID()}`,
    type: input.type ?? 'approval.requested',
    created_at: new Date().toISOString(),
    data: {
      approval_id: approvalId,
      workspace_id: input.workspaceId,
      identity_id: input.identityId,
      email_thread_id: input.emailThreadId ?? null,
      expires_at: input.expiresAt ?? null,
      ...(input.type === undefined || input.type === 'approval.requested'
        ? {
            inbound: { from: 'carol@customer.example', to: ['support@acme.com'], subject: 'Where is my order?', text: 'Hi, order 1234 has not arrived yet.', sent_at: new Date().toISOString() },
            draft: { from: 'support@acme.com', to: ['carol@customer.example'], cc: [], subject: 'Re: Where is my order?', text: input.draftText ?? 'Hi Carol, your order ships tomorrow.' },
            thread: [],
          }
        : { reason: input.reason ?? null }),
    },
  };
}

export interface HarnessOptions {
  /** Platform token in IDENTITIES_API_TOKEN; null leaves it unset. */
  platformToken?: string | null;
  /** Distributed app: OAuth installs instead of SLACK_BOT_TOKEN. */
  oauth?: boolean;
  env?: Record<string, string>;
  ackBudgetMs?: number;
  /** Spacing of posts per channel (default 0: no pacing, so tests need not wait for it). */
  channelIntervalMs?: number;
}

export interface Harness {
  slack: FakeSlack;
  api: FakeIdentitiesApi;
  workspace: AddedWorkspace;
  client: SlackClient;
  config: Config;
  /** Every line the app logged. */
  logs: string[];
  /** Values that must never appear in a log line; close() fails the test if one does. */
  secrets: string[];
  baseUrl: string;
  /** Runs every job that is ready now (posting, updates, reports). */
  drain(): Promise<void>;
  /** POSTs a signed delivery to /webhooks/approvals. */
  deliver: AppInstance['deliver'];
  /** Another instance of the app on the same fakes, with its own database connections. */
  startInstance(database: DatabaseHandle): Promise<AppInstance>;
  /** An identity that exists at the platform and in the app's mirror, approved in `channelId`. */
  /** `settings`: the approval settings the platform holds in approval_channel (quorum, reminders, escalation, undo). */
  seedIdentity(opts?: { channelId?: string; approverUserIds?: string[]; localPart?: string; settings?: IdentitySettings }): Promise<StoredIdentity>;
  /** Opens the create-identity modal as ALICE in the public channel; returns its view id. */
  openCreateModal(opts?: { channelId?: string; userId?: string }): Promise<string>;
  close(): Promise<void>;
}

export interface IdentitySettings {
  requiredApprovals?: number;
  remindAfterMinutes?: number;
  escalationUserIds?: string[];
  undoSeconds?: number;
}

export interface AppInstance {
  baseUrl: string;
  client: SlackClient;
  drain(): Promise<void>;
  deliver(event: unknown, opts?: { secret?: string; timestamp?: number; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** One running app: its own platform client, worker and HTTP port. */
export async function launchInstance(opts: { config: Config; database: DatabaseHandle; logs: string[]; slack: FakeSlack; ackBudgetMs?: number | undefined; channelIntervalMs?: number | undefined; workerId: string }): Promise<AppInstance> {
  const { config } = opts;
  const logger = createLogger({ level: 'debug', format: config.logFormat, name: opts.workerId, secrets: () => secretsOf(config), write: (line) => opts.logs.push(line) });
  const metrics = createPrometheusMetrics();
  const apiClient = createIdentitiesApi({ baseUrl: config.identitiesApi.url, logger: logger.child('platform'), onCall: metrics.platformCall });
  const { start, drain } = buildApp({
    config,
    database: opts.database,
    api: apiClient,
    logger,
    metrics,
    tuning: { host: '127.0.0.1', pollIntervalMs: 50, expiryIntervalMs: 200, channelIntervalMs: opts.channelIntervalMs ?? 0, workerId: opts.workerId, ...(opts.ackBudgetMs ? { ackBudgetMs: opts.ackBudgetMs } : {}) },
  });
  const running = await start(0);
  const baseUrl = `http://127.0.0.1:${running.port}`;
  return {
    baseUrl,
    client: createSlackClient({ url: `${baseUrl}/slack/events`, signingSecret: SIGNING_SECRET, fakeSlack: opts.slack }),
    drain,
    async deliver(event, o = {}) {
      const raw = o.rawBody ?? JSON.stringify(event);
      const t = o.timestamp ?? Math.floor(Date.now() / 1000);
      const signature = `t=${t},v1=${signPayload(o.secret ?? WEBHOOK_SECRET, t, raw)}`;
      const res = await fetch(`${baseUrl}/webhooks/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': signature, ...o.headers },
        body: raw,
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body };
    },
    async stop() {
      await running.stop();
      await apiClient.close();
    },
  };
}

/** The create modal's `view.state.values`, filled in as Slack sends them (the optional fields empty). */
export function filledCreateForm(input: { domain: { id: string; name: string }; localPart: string; displayName: string; channelId: string }): Record<string, Record<string, Record<string, unknown>>> {
  return {
    domain: { domain: { type: 'external_select', selected_option: { text: { type: 'plain_text', text: input.domain.name, emoji: true }, value: input.domain.id } } },
    local_part: { local_part: { type: 'plain_text_input', value: input.localPart } },
    display_name: { display_name: { type: 'plain_text_input', value: input.displayName } },
    assistant: { assistant: { type: 'external_select', selected_option: null } },
    approval_channel: { approval_channel: { type: 'conversations_select', selected_conversation: input.channelId } },
    approvers: { approvers: { type: 'multi_users_select', selected_users: [] } },
    reply_to: { reply_to: { type: 'email_text_input', value: null } },
    thread_depth: { thread_depth: { type: 'number_input', value: '10' } },
    signature_text: { signature_text: { type: 'plain_text_input', value: null } },
    signature_html: { signature_html: { type: 'plain_text_input', value: null } },
  };
}

/** The approval a bot message was posted for, from its metadata; undefined for any other message. */
export function approvalIdOf(message: { metadata?: unknown }): string | undefined {
  const id = (message.metadata as { event_payload?: { approval_id?: unknown } } | undefined)?.event_payload?.approval_id;
  return typeof id === 'string' ? id : undefined;
}

/** The approval messages the bot posted in a channel (bot messages that carry an approval id). */
export function approvalMessages(slack: FakeSlack, channelId: string): FakeMessage[] {
  return slack.messages(channelId).filter((m) => m.user === TEAM.botUserId && approvalIdOf(m) !== undefined);
}

/** The message the bot posted in a channel for one approval. */
export function approvalMessage(slack: FakeSlack, channelId: string, approvalId: string): FakeMessage | undefined {
  return approvalMessages(slack, channelId).find((m) => approvalIdOf(m) === approvalId);
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
  // The manifest has no chat:write.public: posting needs membership, as in real Slack.
  const slack = await startFakeSlack({ chatWritePublic: false });
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
  slack.addUser({ id: ADMIN, teamId: TEAM.id, name: 'admin', isAdmin: true });
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
    TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
    ...(token ? { IDENTITIES_API_TOKEN: token } : {}),
    ...(options.oauth ? { SLACK_BOT_TOKEN: '', SLACK_CLIENT_ID: slack.clientId, SLACK_CLIENT_SECRET: slack.clientSecret, SLACK_STATE_SECRET: STATE_SECRET } : {}),
    ...options.env,
  };
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(`test config invalid: ${parsed.problems.join('; ')}`);
  const config = parsed.config;
  const logs: string[] = [];
  // The platform token this harness was started with too, when a test gave its own.
  const secrets = [...new Set([SIGNING_SECRET, WEBHOOK_SECRET, TEAM.botToken, PLATFORM_TOKEN, slack.clientSecret, STATE_SECRET, ENCRYPTION_KEY, ...(token ? [token] : [])])];
  const first = await launchInstance({ config, database: db, logs, slack, ackBudgetMs: options.ackBudgetMs, channelIntervalMs: options.channelIntervalMs, workerId: 'instance-1' });
  const instances: AppInstance[] = [first];
  const { client, baseUrl } = first;

  return {
    slack,
    api,
    workspace,
    client,
    config,
    logs,
    baseUrl,
    drain: first.drain,
    deliver: first.deliver,
    async startInstance(database) {
      const instance = await launchInstance({ config, database, logs, slack, workerId: `instance-${instances.length + 1}` });
      instances.push(instance);
      return instance;
    },
    async seedIdentity(opts = {}) {
      const channelId = opts.channelId ?? PUBLIC_CHANNEL.id;
      const settings = opts.settings ?? {};
      const channel = slack.channel(channelId);
      // As creating it from the modal would have: the bot is in its approval channel.
      if (channel && !channel.members.includes(TEAM.botUserId)) channel.members.push(TEAM.botUserId);
      const res = await fetch(`${api.url}/v1/identities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${PLATFORM_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          domain_id: workspace.domains[0]!.id,
          local_part: opts.localPart ?? 'support',
          display_name: 'Acme Support',
          assistant_id: workspace.assistants[0]!.id,
          approval_channel: {
            type: 'slack',
            team_id: TEAM.id,
            channel_id: channelId,
            channel_name: channel?.name ?? null,
            ...(opts.approverUserIds ? { approver_user_ids: opts.approverUserIds } : {}),
            ...(settings.requiredApprovals !== undefined ? { required_approvals: settings.requiredApprovals } : {}),
            ...(settings.remindAfterMinutes !== undefined ? { remind_after_minutes: settings.remindAfterMinutes } : {}),
            ...(settings.escalationUserIds !== undefined ? { escalation_user_ids: settings.escalationUserIds } : {}),
            ...(settings.undoSeconds !== undefined ? { undo_seconds: settings.undoSeconds } : {}),
          },
        }),
      });
      const created = (await res.json()) as { id: string; workspace_id: string; email_address: string; domain_id: string; assistant_id: string };
      if (res.status !== 201) throw new Error(`seeding an identity failed: ${res.status} ${JSON.stringify(created)}`);
      return mirrorIdentity(db.db, {
        id: created.id,
        teamId: TEAM.id,
        enterpriseId: null,
        workspaceId: created.workspace_id,
        emailAddress: created.email_address,
        displayName: 'Acme Support',
        domainId: created.domain_id,
        assistantId: created.assistant_id,
        approvalChannelId: channelId,
        approvalChannelName: channel?.name ?? null,
        approverUserIds: opts.approverUserIds ?? [],
        requiredApprovals: settings.requiredApprovals ?? 1,
        remindAfterMinutes: settings.remindAfterMinutes ?? null,
        escalationUserIds: settings.escalationUserIds ?? [],
        undoSeconds: settings.undoSeconds ?? 0,
        createdByUserId: ALICE,
      });
    },
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
    secrets,
    async close() {
      for (const instance of instances) await instance.stop();
      await slack.close();
      await api.close();
      const leaked = secrets.filter((secret) => logs.some((line) => line.includes(secret)));
      if (leaked.length > 0) throw new Error(`a secret appeared in the app's logs: ${leaked.map((s) => `${s.slice(0, 6)}…`).join(', ')}`);
    },
  };
}
