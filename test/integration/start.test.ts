import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeIdentitiesApi, type FakeIdentitiesApi } from '../support/fake-identities-api.ts';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.ts';
import { createSlackClient } from '../support/slack-client.ts';
import { ALICE, PLATFORM_TOKEN, PUBLIC_CHANNEL, SIGNING_SECRET, TEAM, waitFor } from '../support/harness.ts';
import { appEnv, randomPort, startAppProcess, type AppProcess } from '../support/app-process.ts';

/** Runs the app exactly as `npm start` does, with only the given environment. */
const npmStart = (env: Record<string, string>) => startAppProcess(env, 'npm');

describe('npm start', () => {
  it('stops with one clear line per configuration mistake and no stack trace', async () => {
    const app = npmStart({ PORT: 'eighty', SLACK_BOT_TOKEN: 'xoxb-1', DATABASE_URL: 'memory://' });
    expect(await app.exited).toBe(78);
    const lines = app.output().trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config error: IDENTITIES_API_URL is required: /),
        expect.stringMatching(/^config error: APPROVAL_WEBHOOK_SECRET is required/),
        expect.stringMatching(/^config error: PORT must be a number/),
      ]),
    );
    expect(app.output()).not.toMatch(/\n\s+at /);
  });

  describe('with a valid environment', () => {
    let slack: FakeSlack;
    let api: FakeIdentitiesApi;
    let app: AppProcess;
    const port = randomPort();

    beforeAll(async () => {
      slack = await startFakeSlack();
      api = await startFakeIdentitiesApi();
      api.addWorkspace({ token: PLATFORM_TOKEN, domains: [{ name: 'acme.com', status: 'verified' }] });
      slack.addTeam({ ...TEAM });
      slack.addUser({ id: ALICE, teamId: TEAM.id, name: 'alice' });
      slack.addChannel({ ...PUBLIC_CHANNEL, teamId: TEAM.id, isPrivate: false, members: [ALICE] });
      app = npmStart(appEnv({ slack, api, port, databaseUrl: process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : 'memory://' }));
      await waitFor(() => app.output().includes('listening on port'), 'the app to listen', 50_000);
    }, 60_000);

    afterAll(async () => {
      app.kill('SIGTERM');
      await app.exited;
      await slack.close();
      await api.close();
    });

    it('makes no network call at start and answers /healthz', async () => {
      expect(slack.calls).toEqual([]);
      expect(api.requests).toEqual([]);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('serves our routes and Slack\'s on one port, and refuses the rest', async () => {
      const at = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${port}${path}`, init).then((r) => r.status);
      expect(await at('/nowhere')).toBe(404);
      expect(await at('/healthz/?probe=1')).toBe(200);
      expect(await at('/webhooks/approvals')).toBe(405);
      // Bolt serves /slack/events, POST only; an unsigned request is refused.
      expect(await at('/slack/events')).toBe(404);
      expect(await at('/slack/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).toBe(401);
      expect(await at('/webhooks/approvals/', { method: 'POST', body: '{}' })).toBe(401);
    });

    it('stops with one clear line when its port is taken', async () => {
      // It opens its database before it listens: this takes as long as a start, hence a start's timeout.
      const second = npmStart(appEnv({ slack, api, port, databaseUrl: 'memory://' }));
      expect(await second.exited).toBe(1);
      // Beside npm's own "> …" lines, the app says exactly one thing.
      const lines = second.output().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('>'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`cannot listen on port ${port} \\(PORT\\): .*EADDRINUSE`));
    }, 60_000);

    it('opens the create modal for /identity within the trigger window and creates one identity', async () => {
      const client = createSlackClient({ url: `http://127.0.0.1:${port}/slack/events`, signingSecret: SIGNING_SECRET, fakeSlack: slack });
      const command = await client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id });
      expect(command.status).toBe(200);
      await waitFor(() => slack.callsTo('views.open').length === 1, 'views.open');
      const opened = slack.callsTo('views.open')[0]!;
      expect(opened.result).toMatchObject({ ok: true });
      const viewId = (opened.result as { view: { id: string } }).view.id;
      const domains = (await (await fetch(`${api.url}/v1/domains`, { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } })).json()) as { data: { id: string; name: string }[] };
      const domain = domains.data[0]!;
      const submitted = await client.submitView({
        teamId: TEAM.id,
        userId: ALICE,
        viewId,
        values: { domain: { value: domain.id, text: domain.name }, local_part: 'support', display_name: 'Acme Support', approval_channel: PUBLIC_CHANNEL.id },
      });
      expect(submitted.ack.kind).toBe('update');
      expect(api.identities(PLATFORM_TOKEN).map((i) => [i.email_address, i.approval_channel])).toEqual([
        ['support@acme.com', { type: 'slack', team_id: TEAM.id, channel_id: PUBLIC_CHANNEL.id, channel_name: PUBLIC_CHANNEL.name }],
      ]);
    });
  });
});
