import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.ts';
import { approvalEvents, approvals, jobs } from '../../src/db/schema.ts';
import { dedupeKey } from '../../src/approvals/job-kinds.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { startFakeIdentitiesApi, type AddedWorkspace, type FakeIdentitiesApi } from '../support/fake-identities-api.ts';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.ts';
import { ALICE, approvalEvent, approvalMessage, PLATFORM_TOKEN, PUBLIC_CHANNEL, TEAM, waitFor } from '../support/harness.ts';
import { appEnv, deliverTo, randomPort, type AppProcess } from '../support/app-process.ts';
import { startInGroup, stopAll } from '../support/group-process.ts';

const root = new URL('../../', import.meta.url).pathname;

/** `npm run start:built` exactly (its node flags read from package.json), in a process group of its own. */
function startBuiltApp(env: Record<string, string>): AppProcess {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const [, ...args] = scripts['start:built']!.split(/\s+/);
  return startInGroup(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
}

/** SIGTERM to the app's process group, as a supervisor stopping it sends. */
const terminate = (app: AppProcess) => app.kill('SIGTERM');

/** An identity at the fake platform only: the app's first event for it waits on GET /v1/identities/{id}. */
async function platformIdentity(api: FakeIdentitiesApi, workspace: AddedWorkspace, localPart: string): Promise<{ id: string; workspace_id: string }> {
  const res = await fetch(`${api.url}/v1/identities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PLATFORM_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      domain_id: workspace.domains[0]!.id,
      local_part: localPart,
      display_name: localPart,
      approval_channel: { type: 'slack', team_id: TEAM.id, channel_id: PUBLIC_CHANNEL.id, channel_name: PUBLIC_CHANNEL.name },
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; workspace_id: string };
}

describe('the built app (dist/main.js) on SIGTERM', () => {
  let slack: FakeSlack;
  let api: FakeIdentitiesApi;
  let workspace: AddedWorkspace;
  const started: AppProcess[] = [];

  beforeAll(async () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
    slack = await startFakeSlack();
    api = await startFakeIdentitiesApi();
    workspace = api.addWorkspace({ token: PLATFORM_TOKEN, domains: [{ name: 'acme.com', status: 'verified' }] });
    slack.addTeam({ ...TEAM });
    slack.addChannel({ ...PUBLIC_CHANNEL, teamId: TEAM.id, isPrivate: false, members: [ALICE, TEAM.botUserId] });
  }, 180_000);

  afterAll(async () => {
    // A test that failed half-way must not leave its app running.
    await stopAll(started);
    await slack.close();
    await api.close();
  });

  it('answers the webhook in flight, finishes the post in flight, and exits 0', async () => {
    const server = serverUrl();
    const pg: TestDatabase | undefined = server ? await createTestDatabase() : undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'app-drain-'));
    let inspect: DatabaseHandle | undefined;
    try {
      const port = randomPort();
      const app = startBuiltApp(appEnv({ slack, api, port, databaseUrl: pg?.url ?? `file:${dataDir}` }));
      started.push(app);
      await waitFor(() => app.output().includes('listening on port'), 'the app to listen', 90_000);

      const first = await platformIdentity(api, workspace, 'support');
      const second = await platformIdentity(api, workspace, 'sales');
      const posted = approvalEvent({ identityId: first.id, workspaceId: first.workspace_id });
      const received = approvalEvent({ identityId: second.id, workspaceId: second.workspace_id });

      // A job in flight: the post of the first approval is held by Slack.
      slack.failNext('chat.postMessage', { delayMs: 1500 });
      expect(await deliverTo(port, posted)).toBe(202);
      await waitFor(() => slack.callsTo('chat.postMessage').length === 1, 'the post to reach Slack', 10_000);
      // A request in flight: the second webhook waits for the platform to describe its identity.
      api.setLatency('GET /v1/identities/{identity_id}', 1500);
      const lookups = api.requestsTo('GET', `/v1/identities/${second.id}`).length;
      const delivery = deliverTo(port, received);
      await waitFor(() => api.requestsTo('GET', `/v1/identities/${second.id}`).length > lookups, 'the identity look-up', 10_000);
      expect(slack.callsTo('chat.postMessage')[0]!.result).toBeUndefined();

      terminate(app);
      expect(await delivery).toBe(202);
      expect(await app.exited).toBe(0);
      expect(app.output()).toContain('SIGTERM: shutting down');
      expect(app.output()).toContain('stopped');
      expect(app.output()).not.toContain('shutdown took longer');

      expect(approvalMessage(slack, PUBLIC_CHANNEL.id, posted.data.approval_id)).toBeDefined();
      inspect = pg ?? (await openDatabase(`file:${dataDir}`));
      const ids = [posted.data.approval_id, received.data.approval_id];
      expect((await inspect.db.select({ id: approvalEvents.eventId }).from(approvalEvents)).map((r) => r.id).sort()).toEqual([posted.id, received.id].sort());
      const stored = await inspect.db.select({ id: approvals.id, messageTs: approvals.messageTs }).from(approvals).where(inArray(approvals.id, ids));
      expect(stored.find((a) => a.id === posted.data.approval_id)?.messageTs).toBeTruthy();
      expect(stored.find((a) => a.id === received.data.approval_id)).toBeDefined();
      const postJobs = await inspect.db
        .select({ key: jobs.dedupeKey, status: jobs.status })
        .from(jobs)
        .where(inArray(jobs.dedupeKey, ids.map((id) => dedupeKey.post(id))));
      // Finished, or never started and left for the next instance: none is left running.
      expect(postJobs.find((j) => j.key === dedupeKey.post(posted.data.approval_id))?.status).toBe('done');
      expect(['queued', 'done']).toContain(postJobs.find((j) => j.key === dedupeKey.post(received.data.approval_id))?.status);
    } finally {
      api.setLatency('GET /v1/identities/{identity_id}', 0);
      slack.reset();
      await inspect?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('gives up on a request that outlives the bound and exits 1 with one line saying so', async () => {
    const pg = serverUrl() ? await createTestDatabase() : undefined;
    const port = randomPort();
    const app = startBuiltApp(appEnv({ slack, api, port, databaseUrl: pg?.url ?? 'memory://' }));
    started.push(app);
    try {
      await waitFor(() => app.output().includes('listening on port'), 'the app to listen', 90_000);
      const identity = await platformIdentity(api, workspace, 'billing');
      api.setLatency('GET /v1/identities/{identity_id}', 60_000);
      const delivery = deliverTo(port, approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id }));
      await waitFor(() => api.requestsTo('GET', `/v1/identities/${identity.id}`).length === 1, 'the identity look-up', 10_000);
      terminate(app);
      expect(await app.exited).toBe(1);
      expect(app.output()).toMatch(/shutdown took longer than \d+ s; exiting with work in flight/);
      // The platform was never answered: it keeps the event and delivers it again.
      expect(await delivery).toBe(0);
    } finally {
      api.setLatency('GET /v1/identities/{identity_id}', 0);
      await pg?.close();
    }
  }, 180_000);
});
