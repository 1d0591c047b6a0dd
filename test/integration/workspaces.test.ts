import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOT_SCOPES } from '../../src/slack/bolt-app.ts';
import { createTokenCipher } from '../../src/crypto/token-cipher.ts';
import { auditLog } from '../../src/db/schema.ts';
import { reencryptTokens } from '../../src/cli/rotate-keys.ts';
import { type TestDatabase } from '../support/database.ts';
import { databasePerFile } from '../support/lifecycle.ts';
import { ADMIN, ALICE, ENCRYPTION_KEY, PLATFORM_TOKEN, PUBLIC_CHANNEL, startHarness, TEAM, waitFor, type Harness } from '../support/harness.ts';
import { connectWorkspace } from '../../src/workspaces/links.ts';
import { rowsOf } from '../../src/db/client.ts';

let db: TestDatabase;
let h: Harness;
databasePerFile((created) => (db = created));
afterEach(async () => {
  await h.close();
});

/** Raw rows, read with SQL rather than through the app's code. */
async function rawRows(table: string): Promise<Record<string, unknown>[]> {
  const result = await db.db.execute(sql.raw(`select * from ${table}`));
  return rowsOf(result);
}

/** Runs Slack's "Add to Slack" flow against the app: install page, state cookie, redirect with a code. */
async function install(h: Harness, team: { id: string; installer: string; enterpriseId?: string }) {
  const page = await fetch(`${h.baseUrl}/slack/install`, { redirect: 'manual' });
  const html = await page.text();
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  const authorizeUrl = html.match(/href="(https:\/\/slack\.com[^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
  expect(page.status).toBe(200);
  expect(cookie).toBeDefined();
  const state = new URL(authorizeUrl!).searchParams.get('state')!;
  const code = h.slack.issueOAuthCode({ teamId: team.id, userId: team.installer, scopes: BOT_SCOPES, ...(team.enterpriseId ? { enterpriseId: team.enterpriseId } : {}) });
  const done = await fetch(`${h.baseUrl}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, { headers: { cookie: cookie! }, redirect: 'manual' });
  const exchange = h.slack.callsTo('oauth.v2.access').at(-1)!;
  const botToken = (exchange.result as { access_token: string }).access_token;
  h.secrets.push(botToken);
  return { status: done.status, body: await done.text(), botToken };
}

async function connect(h: Harness, opts: { teamId: string; userId: string; token: string; permission?: 'admins' | 'everyone' }) {
  h.secrets.push(opts.token);
  const [opens, answers] = [h.slack.callsTo('views.open').length, h.slack.responses.length];
  const res = await h.client.command({ teamId: opts.teamId, userId: opts.userId, channelId: PUBLIC_CHANNEL.id, text: 'connect' });
  expect(res.status).toBe(200);
  await waitFor(() => h.slack.callsTo('views.open').length > opens || h.slack.responses.length > answers, 'the connect modal or an answer');
  const opened = h.slack.callsTo('views.open').length > opens ? h.slack.callsTo('views.open').at(-1) : undefined;
  if (!opened) return { refused: JSON.stringify(h.slack.responses.at(-1)?.body) };
  const viewId = (opened.result as { view: { id: string } }).view.id;
  const submitted = await h.client.submitView({
    teamId: opts.teamId,
    userId: opts.userId,
    viewId,
    values: { platform_token: opts.token, create_permission: opts.permission ?? 'admins' },
  });
  return { ack: submitted.ack };
}

describe('single-workspace mode with SLACK_BOT_TOKEN', () => {
  beforeEach(async () => {
    await db.reset();
    h = await startHarness(db);
  });

  it('lets an admin connect a token, checked with the platform first and stored only as ciphertext', async () => {
    const teamToken = 'plat_team_one_own_token_abcdef123456';
    h.api.addWorkspace({ token: teamToken, domains: [{ name: 'own.example', status: 'verified' }] });
    const result = await connect(h, { teamId: TEAM.id, userId: ADMIN, token: teamToken, permission: 'everyone' });
    expect(result.ack).toMatchObject({ kind: 'update' });
    const [row] = await rawRows('workspace_links');
    expect(JSON.stringify(row)).not.toContain(teamToken);
    expect(row!.api_token_ciphertext).toMatch(/^v1:/);
    expect(row!.create_permission).toBe('everyone');

    // Every call for this team now carries its own token, not IDENTITIES_API_TOKEN.
    const calls = h.api.requests.length;
    await h.openCreateModal();
    await waitFor(() => h.api.requests.length > calls, 'the domain load');
    expect(h.api.requests.slice(calls).map((r) => r.headers.authorization)).toEqual([`Bearer ${teamToken}`]);
    expect((await db.db.select().from(auditLog)).map((a) => a.action)).toEqual(['workspace.connected']);
  });

  it('tells an admin why the connect form did not open', async () => {
    h.slack.failNext('views.open', { error: 'internal_error' });
    const res = await h.client.command({ teamId: TEAM.id, userId: ADMIN, channelId: PUBLIC_CHANNEL.id, text: 'connect' });
    const said = () => [JSON.stringify(res.body), ...h.slack.responses.map((r) => JSON.stringify(r.body))].join();
    await expect.poll(said).toContain('Slack could not open the form (internal_error). Please run `/identity connect` again');
    expect(await rawRows('workspace_links')).toEqual([]);
  });

  it('rejects a token the platform refuses, inline, and saves nothing', async () => {
    const result = await connect(h, { teamId: TEAM.id, userId: ADMIN, token: 'plat_wrong_token_0000000000000' });
    expect(result.ack).toMatchObject({ kind: 'errors', errors: { platform_token: expect.stringMatching(/refused this token \(HTTP 401\)/) } });
    expect(await rawRows('workspace_links')).toEqual([]);
  });

  it('refuses /identity connect and disconnect to people who are not admins', async () => {
    const result = await connect(h, { teamId: TEAM.id, userId: ALICE, token: 'plat_unused_token_000000000000' });
    expect(result.refused).toContain('Only workspace admins and owners');
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'disconnect' });
    await waitFor(() => h.slack.responses.length === 2, 'the second refusal');
    expect(JSON.stringify(h.slack.responses[1]!.body)).toContain('Only workspace admins and owners');
  });

  it('with "admins only", refuses /identity and its submission to others, and allows admins', async () => {
    const teamToken = 'plat_team_one_admins_only_token_987';
    h.api.addWorkspace({ token: teamToken, domains: [{ name: 'own.example', status: 'verified' }] });
    await connect(h, { teamId: TEAM.id, userId: ADMIN, token: teamToken, permission: 'admins' });
    const opens = h.slack.callsTo('views.open').length;
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id });
    await waitFor(() => h.slack.responses.length === 1, 'the refusal');
    expect(JSON.stringify(h.slack.responses[0]!.body)).toContain('only admins and owners can create email identities');
    expect(h.slack.callsTo('views.open')).toHaveLength(opens);

    // A modal opened by an admin but submitted by someone else (or forged) is refused too.
    const viewId = await h.openCreateModal({ userId: ADMIN });
    const domains = (await (await fetch(`${h.api.url}/v1/domains`, { headers: { authorization: `Bearer ${teamToken}` } })).json()) as { data: { id: string; name: string }[] };
    const domain = domains.data[0]!;
    const forged = await h.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId, values: { domain: { value: domain.id, text: domain.name }, local_part: 'sales', display_name: 'Sales', approval_channel: PUBLIC_CHANNEL.id } });
    expect(forged.ack.kind).toBe('update');
    expect(JSON.stringify(h.slack.view(viewId))).toContain('only admins and owners');
    expect(h.api.identities(teamToken)).toEqual([]);

    const byAdmin = await h.client.submitView({ teamId: TEAM.id, userId: ADMIN, viewId, values: {} });
    expect(byAdmin.ack.kind).toBe('update');
    expect(h.api.identities(teamToken).map((i) => i.email_address)).toEqual(['sales@own.example']);
  });

  it('records a permission change and a disconnect, after which the default token serves the team again', async () => {
    const teamToken = 'plat_team_one_changing_token_4567';
    h.api.addWorkspace({ token: teamToken });
    await connect(h, { teamId: TEAM.id, userId: ADMIN, token: teamToken, permission: 'admins' });
    await connect(h, { teamId: TEAM.id, userId: ADMIN, token: teamToken, permission: 'everyone' });
    await h.client.command({ teamId: TEAM.id, userId: ADMIN, channelId: PUBLIC_CHANNEL.id, text: 'disconnect' });
    await waitFor(() => h.slack.responses.some((r) => JSON.stringify(r.body).includes('Disconnected')), 'the disconnect');
    expect(await rawRows('workspace_links')).toEqual([]);
    const actions = (await db.db.select().from(auditLog)).map((a) => [a.action, a.actorUserId, a.details]);
    expect(actions).toEqual([
      ['workspace.connected', ADMIN, { create_permission: 'admins' }],
      ['workspace.reconnected', ADMIN, { create_permission: 'everyone' }],
      ['workspace.permission_changed', ADMIN, { from: 'admins', to: 'everyone' }],
      ['workspace.disconnected', ADMIN, {}],
    ]);
    const help = await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'help' });
    expect(JSON.stringify(help.body)).toContain('uses the app’s default one');
  });

  it('learns the platform workspace from the first identity created, keeps it on reconnect with the same token, and drops it with another', async () => {
    const teamToken = 'plat_team_one_learning_token_2468';
    const own = h.api.addWorkspace({ token: teamToken, domains: [{ name: 'learn.example', status: 'verified' }] });
    await connect(h, { teamId: TEAM.id, userId: ADMIN, token: teamToken, permission: 'everyone' });
    const learned = async () => (await rawRows('workspace_links'))[0]!.platform_workspace_id;
    // The connect-time check (GET /v1/domains) carries no workspace id.
    expect(await learned()).toBeNull();

    const viewId = await h.openCreateModal();
    const domain = own.domains[0]!;
    const submitted = await h.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId, values: { domain: { value: domain.id, text: domain.name }, local_part: 'learn', display_name: 'Learn', approval_channel: PUBLIC_CHANNEL.id } });
    expect(submitted.ack.kind).toBe('update');
    expect(h.api.identities(teamToken).map((i) => i.workspace_id)).toEqual([own.workspaceId]);
    expect(await learned()).toBe(own.workspaceId);

    await connect(h, { teamId: TEAM.id, userId: ADMIN, token: teamToken, permission: 'admins' });
    expect(await learned()).toBe(own.workspaceId);

    const otherToken = 'plat_team_one_other_token_13579';
    h.api.addWorkspace({ token: otherToken });
    await connect(h, { teamId: TEAM.id, userId: ADMIN, token: otherToken, permission: 'admins' });
    expect(await learned()).toBeNull();
  });

  it('says a stored token cannot be decrypted, on the form and on its submission, and calls nothing', async () => {
    const viewId = await h.openCreateModal();
    const domains = (await (await fetch(`${h.api.url}/v1/domains`, { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } })).json()) as { data: { id: string; name: string }[] };
    // Stored under a key this app does not have (TOKEN_ENCRYPTION_KEY replaced without keeping the old one).
    const foreign = createTokenCipher([Buffer.alloc(32, 5)]);
    await connectWorkspace({ db: db.db, cipher: foreign }, { teamId: TEAM.id, enterpriseId: null, token: 'plat_under_a_lost_key', permission: 'everyone', userId: ADMIN });
    const creates = () => h.api.requests.filter((r) => r.method === 'POST' && r.path === '/v1/identities');

    const submitted = await h.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId, values: { domain: { value: domains.data[0]!.id, text: domains.data[0]!.name }, local_part: 'sales', display_name: 'Sales', approval_channel: PUBLIC_CHANNEL.id } });
    expect(submitted.ack.kind).toBe('update');
    expect(JSON.stringify(h.slack.view(viewId))).toContain('cannot be decrypted with the app’s current keys');

    await h.close();
    h = await startHarness(db);
    const opens = h.slack.callsTo('views.open').length;
    await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id });
    await waitFor(() => h.slack.callsTo('views.open').length > opens, 'views.open');
    expect(JSON.stringify(h.slack.callsTo('views.open').at(-1)!.args.view)).toContain('cannot be decrypted with the app’s current keys');
    expect(creates()).toEqual([]);
  });

  it('says "ask an admin to run /identity connect" to a team with neither its own token nor a default', async () => {
    await h.close();
    h = await startHarness(db, { platformToken: null });
    const help = await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'help' });
    expect(JSON.stringify(help.body)).toContain('ask an admin to run `/identity connect`');
  });
});

describe('distributed app with OAuth', () => {
  beforeEach(async () => {
    await db.reset();
    h = await startHarness(db, { oauth: true, platformToken: null });
  });

  it('installs, uses the installed bot token, and forgets everything on app_uninstalled', async () => {
    const installed = await install(h, { id: 'T0NEWTEAM', installer: 'U0INSTALLER' });
    expect(installed.status).toBe(200);
    const [row] = await rawRows('slack_installations');
    expect(row).toMatchObject({ id: 'T0NEWTEAM', team_id: 'T0NEWTEAM', installer_user_id: 'U0INSTALLER' });
    expect(JSON.stringify(row)).not.toContain(installed.botToken);

    h.slack.addUser({ id: 'U0NEWADMIN', teamId: 'T0NEWTEAM', name: 'newadmin', isAdmin: true });
    h.slack.addChannel({ id: 'C0NEWCHAN', name: 'new-approvals', teamId: 'T0NEWTEAM', isPrivate: false, members: ['U0NEWADMIN'] });
    const help = await h.client.command({ teamId: 'T0NEWTEAM', userId: 'U0NEWADMIN', channelId: 'C0NEWCHAN', text: 'help' });
    expect(JSON.stringify(help.body)).toContain('ask an admin to run `/identity connect`');
    const newToken = 'plat_new_team_token_1234567890ab';
    h.api.addWorkspace({ token: newToken, domains: [{ name: 'new.example', status: 'verified' }] });
    await connect(h, { teamId: 'T0NEWTEAM', userId: 'U0NEWADMIN', token: newToken });
    expect(h.slack.callsTo('users.info').at(-1)!.token).toBe(installed.botToken);

    const uninstall = await h.client.raw({
      contentType: 'application/json',
      body: JSON.stringify({
        token: 'legacy',
        team_id: 'T0NEWTEAM',
        api_app_id: h.slack.appId,
        type: 'event_callback',
        event_id: 'Ev0UNINSTALL',
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_uninstalled' },
        authorizations: [{ team_id: 'T0NEWTEAM', user_id: 'U0BOTNEW', is_bot: true, is_enterprise_install: false }],
      }),
    });
    expect(uninstall.status).toBe(200);
    await expect.poll(async () => (await rawRows('slack_installations')).length).toBe(0);
    expect(await rawRows('workspace_links')).toEqual([]);
    expect((await db.db.select().from(auditLog)).map((a) => a.action)).toEqual(['app.installed', 'workspace.connected', 'app.uninstalled']);
  });

  it('serves two teams with their own bot and platform tokens, each call carrying its own', async () => {
    const one = await install(h, { id: 'T0ALPHA', installer: 'U0A' });
    const two = await install(h, { id: 'T0BETA', installer: 'U0B' });
    for (const [team, admin, channel] of [['T0ALPHA', 'U0AADMIN', 'C0ALPHA'], ['T0BETA', 'U0BADMIN', 'C0BETA']] as const) {
      h.slack.addUser({ id: admin, teamId: team, name: admin, isAdmin: true });
      h.slack.addChannel({ id: channel, name: channel.toLowerCase(), teamId: team, isPrivate: false, members: [admin] });
    }
    const alphaToken = 'plat_alpha_token_aaaaaaaaaaaaaaaa';
    const betaToken = 'plat_beta_token_bbbbbbbbbbbbbbbbb';
    const alpha = h.api.addWorkspace({ token: alphaToken, domains: [{ name: 'alpha.example', status: 'verified' }] });
    const beta = h.api.addWorkspace({ token: betaToken, domains: [{ name: 'beta.example', status: 'verified' }] });
    await connect(h, { teamId: 'T0ALPHA', userId: 'U0AADMIN', token: alphaToken, permission: 'everyone' });
    await connect(h, { teamId: 'T0BETA', userId: 'U0BADMIN', token: betaToken, permission: 'everyone' });

    const create = async (team: string, user: string, channel: string, domain: { id: string; name: string }) => {
      const before = h.slack.callsTo('views.open').length;
      await h.client.command({ teamId: team, userId: user, channelId: channel });
      await waitFor(() => h.slack.callsTo('views.open').length > before, 'views.open');
      const opened = h.slack.callsTo('views.open').at(-1)!;
      const viewId = (opened.result as { view: { id: string } }).view.id;
      await h.client.submitView({ teamId: team, userId: user, viewId, values: { domain: { value: domain.id, text: domain.name }, local_part: 'help', display_name: 'Help', approval_channel: channel } });
      return opened.token;
    };
    expect(await create('T0ALPHA', 'U0AADMIN', 'C0ALPHA', alpha.domains[0]!)).toBe(one.botToken);
    expect(await create('T0BETA', 'U0BADMIN', 'C0BETA', beta.domains[0]!)).toBe(two.botToken);
    expect(h.api.identities(alphaToken).map((i) => [i.email_address, i.approval_channel.team_id])).toEqual([['help@alpha.example', 'T0ALPHA']]);
    expect(h.api.identities(betaToken).map((i) => [i.email_address, i.approval_channel.team_id])).toEqual([['help@beta.example', 'T0BETA']]);
    const creates = h.api.requestsTo('POST', '/v1/identities').map((r) => r.headers.authorization);
    expect(creates).toEqual([`Bearer ${alphaToken}`, `Bearer ${betaToken}`]);

    // Isolation: beta's list shows nothing of alpha's; options for beta come from beta's token.
    await h.client.command({ teamId: 'T0BETA', userId: 'U0BADMIN', channelId: 'C0BETA', text: 'list' });
    await waitFor(() => h.slack.responses.some((r) => JSON.stringify(r.body).includes('help@beta.example')), 'beta’s list');
    expect(JSON.stringify(h.slack.responses)).not.toContain('alpha.example');
    for (const row of await rawRows('slack_installations')) {
      expect(JSON.stringify(row)).not.toContain(one.botToken);
      expect(JSON.stringify(row)).not.toContain(two.botToken);
    }
    for (const row of await rawRows('workspace_links')) {
      expect(JSON.stringify(row)).not.toContain(alphaToken);
      expect(JSON.stringify(row)).not.toContain(betaToken);
    }
  });

  it('removes the installation (but keeps the platform link) on tokens_revoked', async () => {
    await install(h, { id: 'T0REVOKE', installer: 'U0R' });
    const res = await h.client.raw({
      contentType: 'application/json',
      body: JSON.stringify({
        team_id: 'T0REVOKE',
        api_app_id: h.slack.appId,
        type: 'event_callback',
        event_id: 'Ev0REVOKE',
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'tokens_revoked', tokens: { bot: ['U0BOTREVOKED'] } },
        authorizations: [{ team_id: 'T0REVOKE', user_id: 'U0BOTREVOKED', is_bot: true, is_enterprise_install: false }],
      }),
    });
    expect(res.status).toBe(200);
    await expect.poll(async () => (await rawRows('slack_installations')).length).toBe(0);
  });
});

describe('key rotation', () => {
  beforeEach(async () => {
    await db.reset();
  });

  it('decrypts with old keys after a new one is put first, and re-encrypts everything with it', async () => {
    h = await startHarness(db);
    const teamToken = 'plat_rotating_token_0123456789abc';
    h.api.addWorkspace({ token: teamToken, domains: [{ name: 'rot.example', status: 'verified' }] });
    await connect(h, { teamId: TEAM.id, userId: ADMIN, token: teamToken, permission: 'everyone' });
    const before = (await rawRows('workspace_links'))[0]!.api_token_ciphertext as string;
    await h.close();

    const newKey = Buffer.alloc(32, 99).toString('base64');
    h = await startHarness(db, { env: { TOKEN_ENCRYPTION_KEY: `${newKey},${ENCRYPTION_KEY}` } });
    h.api.addWorkspace({ token: teamToken, domains: [{ name: 'rot.example', status: 'verified' }] });
    h.secrets.push(teamToken, newKey);
    const calls = h.api.requests.length;
    await h.openCreateModal();
    await waitFor(() => h.api.requests.length > calls, 'a call with the old-key token');
    expect(h.api.requests.at(-1)!.headers.authorization).toBe(`Bearer ${teamToken}`);

    const cipher = createTokenCipher([Buffer.from(newKey, 'base64'), Buffer.from(ENCRYPTION_KEY, 'base64')]);
    expect(await reencryptTokens(db.db, cipher)).toEqual({ installations: 0, links: 1 });
    const after = (await rawRows('workspace_links'))[0]!.api_token_ciphertext as string;
    expect(after).not.toBe(before);
    expect(createTokenCipher([Buffer.from(newKey, 'base64')]).decrypt(after)).toBe(teamToken);
    expect(await reencryptTokens(db.db, cipher)).toEqual({ installations: 0, links: 0 });
  });
});

