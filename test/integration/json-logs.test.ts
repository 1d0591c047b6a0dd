// LOG_FORMAT=json, the app run as its own process: every line it writes is one JSON object
// with level, time, module and msg, and no secret it holds reaches any of them.
//
// It runs as a distributed app (OAuth installs) at debug level because that is where secrets
// would reach a line without redaction: Slack's web client logs the body of oauth.v2.access,
// client secret included, and the body of each post, where a token-shaped string in an
// email draft would be copied.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeIdentitiesApi, type FakeIdentitiesApi } from '../support/fake-identities-api.ts';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.ts';
import { createSlackClient } from '../support/slack-client.ts';
import { stopAll } from '../support/group-process.ts';
import { BOT_SCOPES } from '../../src/slack/bolt-app.ts';
import { ALICE, approvalEvent, approvalMessage, ENCRYPTION_KEY, PLATFORM_TOKEN, PUBLIC_CHANNEL, SIGNING_SECRET, STATE_SECRET, TEAM, waitFor, WEBHOOK_SECRET } from '../support/harness.ts';
import { appEnv, createPlatformIdentity, deliverTo, randomPort, startAppProcess, type AppProcess } from '../support/app-process.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'];
/** In an email draft: no one registered it, so only the token pattern can catch it. */
const PASTED_TOKEN = 'xoxp-4444-5555-pasted-into-an-email';

describe('the app started with LOG_FORMAT=json', () => {
  let slack: FakeSlack;
  let api: FakeIdentitiesApi;
  let app: AppProcess;
  let exitCode: number | null;
  let botToken: string;
  const port = randomPort();

  beforeAll(async () => {
    slack = await startFakeSlack();
    api = await startFakeIdentitiesApi();
    const workspace = api.addWorkspace({ token: PLATFORM_TOKEN, domains: [{ name: 'acme.com', status: 'verified' }] });
    slack.addTeam({ ...TEAM });
    slack.addUser({ id: ALICE, teamId: TEAM.id, name: 'alice' });
    slack.addChannel({ ...PUBLIC_CHANNEL, teamId: TEAM.id, isPrivate: false, members: [ALICE, TEAM.botUserId] });
    const identity = await createPlatformIdentity(api, workspace);
    const databaseUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : 'memory://';
    const oauth = { SLACK_BOT_TOKEN: '', SLACK_CLIENT_ID: slack.clientId, SLACK_CLIENT_SECRET: slack.clientSecret, SLACK_STATE_SECRET: STATE_SECRET, TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY };
    app = startAppProcess(appEnv({ slack, api, port, databaseUrl, extra: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug', ...oauth } }));
    await waitFor(() => app.output().includes('listening on port'), 'the app to listen', 50_000);

    // Work that uses every secret: an install (client and state secrets), a command (the
    // installed bot token), an approval posted and approved (bot token, platform token), and
    // requests refused for a bad signature on both entry points.
    botToken = await install();
    const client = createSlackClient({ url: `http://127.0.0.1:${port}/slack/events`, signingSecret: SIGNING_SECRET, fakeSlack: slack });
    expect((await client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id })).status).toBe(200);
    await waitFor(() => slack.callsTo('views.open').length === 1, 'the create modal');
    expect(slack.callsTo('views.open')[0]!.token).toBe(botToken);
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id, draftText: `Your new key is ${PASTED_TOKEN}.` });
    api.addApproval({ approvalId: event.data.approval_id, workspaceToken: PLATFORM_TOKEN });
    expect(await deliverTo(port, event)).toBe(202);
    await waitFor(() => approvalMessage(slack, PUBLIC_CHANNEL.id, event.data.approval_id) !== undefined, 'the approval post', 20_000);
    const message = approvalMessage(slack, PUBLIC_CHANNEL.id, event.data.approval_id)!;
    const click = await client.blockActions({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, messageTs: message.ts, actionId: 'approval_approve', blockId: 'approval_actions', value: event.data.approval_id });
    expect(click.status).toBe(200);
    await waitFor(() => api.decisions(event.data.approval_id).length === 1, 'the decision', 20_000);
    const unsigned = await fetch(`http://127.0.0.1:${port}/webhooks/approvals`, { method: 'POST', headers: { 'x-signature': 't=1,v1=00' }, body: JSON.stringify(event) });
    expect(unsigned.status).toBe(401);
    expect((await client.raw({ body: 'command=%2Fidentity', sign: { secret: 'wrong-signing-secret-0123456789' } })).status).toBe(401);

    app.kill('SIGTERM');
    exitCode = await app.exited;
  }, 90_000);

  /** Slack's "Add to Slack" flow for TEAM; returns the bot token it installed. */
  async function install(): Promise<string> {
    const page = await fetch(`http://127.0.0.1:${port}/slack/install`, { redirect: 'manual' });
    const cookie = page.headers.get('set-cookie')?.split(';')[0];
    const authorizeUrl = (await page.text()).match(/href="(https:\/\/slack\.com[^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
    const state = new URL(authorizeUrl!).searchParams.get('state')!;
    const code = slack.issueOAuthCode({ teamId: TEAM.id, userId: ALICE, scopes: BOT_SCOPES });
    const done = await fetch(`http://127.0.0.1:${port}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, { headers: { cookie: cookie! }, redirect: 'manual' });
    expect(done.status).toBe(200);
    return (slack.callsTo('oauth.v2.access').at(-1)!.result as { access_token: string }).access_token;
  }

  afterAll(async () => {
    if (app) await stopAll([app]);
    await slack?.close();
    await api?.close();
  });

  const lines = () => app.output().split('\n').filter((l) => l !== '');

  it('writes only JSON objects, each with level, time, module and msg', () => {
    expect(exitCode).toBe(0);
    const notJson = lines().filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const objects = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    const incomplete = objects.filter(
      (o) => !LEVELS.includes(o.level as string) || Number.isNaN(Date.parse(String(o.time))) || typeof o.module !== 'string' || typeof o.msg !== 'string',
    );
    expect(incomplete).toEqual([]);
    // The run logged at every level it reached, from the app and from Bolt's clients alike.
    expect(objects.find((o) => String(o.msg).startsWith('listening on port'))).toMatchObject({ level: 'info', module: 'app' });
    expect(objects.find((o) => String(o.msg).startsWith('SIGTERM: shutting down'))).toMatchObject({ level: 'info' });
    expect(objects.some((o) => o.level === 'debug' && o.module === 'app:bolt' && String(o.msg).includes("apiCall('views.open')"))).toBe(true);
    expect(objects.some((o) => o.level === 'warn' && o.module === 'app:webhook')).toBe(true);
    expect(new Set(objects.map((o) => o.module)).size).toBeGreaterThan(2);
  });

  it('never writes a secret, raw or encoded', () => {
    const output = app.output();
    // Decoded too: a value escaped inside a JSON string would not match its raw form.
    const decoded = lines().map((l) => Object.values(JSON.parse(l) as Record<string, unknown>).join(' ')).join('\n');
    const secrets = {
      'the installed bot token': botToken,
      'the signing secret': SIGNING_SECRET,
      'the platform token': PLATFORM_TOKEN,
      'the webhook secret': WEBHOOK_SECRET,
      'the OAuth client secret': slack.clientSecret,
      'the OAuth state secret': STATE_SECRET,
      'the encryption key': ENCRYPTION_KEY,
      'a token pasted into an email': PASTED_TOKEN,
    };
    const leaked = Object.entries(secrets).filter(([, secret]) =>
      [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)].some((v) => output.includes(v) || decoded.includes(v)),
    );
    expect(leaked).toEqual([]);
    expect(decoded).toContain('[redacted]');
  });
});
