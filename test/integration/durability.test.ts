import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { approvals, jobs } from '../../src/db/schema.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { appPerTest } from '../support/lifecycle.ts';
import { startFakeIdentitiesApi } from '../support/fake-identities-api.ts';
import { startFakeSlack } from '../support/fake-slack.ts';
import { ALICE, approvalEvent, BOB, PLATFORM_TOKEN, PUBLIC_CHANNEL, TEAM, waitFor, type Harness } from '../support/harness.ts';
import { appEnv, createPlatformIdentity, deliverTo, randomPort, startAppProcess, type AppProcess } from '../support/app-process.ts';
import { stopAll } from '../support/group-process.ts';

describe.runIf(serverUrl())('two app instances on one PostgreSQL database', () => {
  let db: TestDatabase;
  let h: Harness;
  appPerTest((ctx) => ({ db, h } = ctx));

  it('posts each approval of a burst delivered to both exactly once, and records one decision for clicks on both', async () => {
    const second = await h.startInstance(await openDatabase(db.url!));
    const identity = await h.seedIdentity();
    const events = Array.from({ length: 30 }, () => approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId }));
    const results = await Promise.all(events.flatMap((e) => [h.deliver(e), second.deliver(e)]));
    expect(results.every((r) => r.status === 202)).toBe(true);
    await waitFor(() => h.slack.messages(PUBLIC_CHANNEL.id).length === 30, '30 posts', 20_000);
    await Promise.all([h.drain(), second.drain()]);
    expect(h.slack.messages(PUBLIC_CHANNEL.id)).toHaveLength(30);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(30);
    expect(await db.db.select().from(approvals)).toHaveLength(30);

    const target = events[0]!.data.approval_id;
    h.api.addApproval({ approvalId: target, workspaceToken: PLATFORM_TOKEN });
    const message = h.slack.messages(PUBLIC_CHANNEL.id).find((m) => JSON.stringify(m.metadata).includes(target))!;
    const clickOn = (instance: { client: Harness['client'] }, userId: string) =>
      instance.client.blockActions({ teamId: TEAM.id, userId, channelId: PUBLIC_CHANNEL.id, messageTs: message.ts, actionId: 'approval_approve', blockId: 'approval_actions', value: target });
    await Promise.all([clickOn(h, ALICE), clickOn(second, BOB), clickOn(h, BOB), clickOn(second, ALICE)]);
    await waitFor(() => h.api.decisions(target).length === 1, 'one decision');
    await Promise.all([h.drain(), second.drain()]);
    expect(h.api.decisions(target)).toHaveLength(1);
    expect(h.slack.responses.filter((r) => JSON.stringify(r.body).includes('Already approved'))).toHaveLength(3);
  });
});

describe('the app killed between intake and posting', () => {
  it('posts the approval exactly once after a restart', async () => {
    const slack = await startFakeSlack({ chatWritePublic: false });
    const api = await startFakeIdentitiesApi();
    const dataDir = mkdtempSync(join(tmpdir(), 'app-crash-'));
    const server = serverUrl();
    const pg = server ? await createTestDatabase() : undefined;
    const started: AppProcess[] = [];
    try {
      const workspace = api.addWorkspace({ token: PLATFORM_TOKEN, domains: [{ name: 'acme.com', status: 'verified' }] });
      slack.addTeam({ ...TEAM });
      slack.addChannel({ ...PUBLIC_CHANNEL, teamId: TEAM.id, isPrivate: false, members: [ALICE, TEAM.botUserId] });
      const identity = await createPlatformIdentity(api, workspace);
      const port = randomPort();
      const databaseUrl = pg?.url ?? `file:${dataDir}`;
      // A short lease: a post the kill interrupted is taken over 5 s after the restart, not 60.
      const launch = () => {
        const app = startAppProcess(appEnv({ slack, api, databaseUrl, port, extra: { JOB_LEASE_SECONDS: '5' } }));
        started.push(app);
        return app;
      };

      // Slack is down, so the post cannot happen before the kill.
      slack.failNext('chat.postMessage', { status: 503 }, 1000);
      const first = launch();
      await waitFor(() => first.output().includes('listening on port'), 'first start', 50_000);
      const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id });
      expect(await deliverTo(port, event)).toBe(202);
      await waitFor(() => slack.callsTo('chat.postMessage').length >= 1, 'a first (failing) post attempt', 10_000);
      first.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      expect(slack.messages(PUBLIC_CHANNEL.id)).toEqual([]);

      slack.reset();
      const second = launch();
      await waitFor(() => slack.messages(PUBLIC_CHANNEL.id).length === 1, 'the post after restart', 50_000);
      second.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      // Stopped, the app can post nothing more; what it stored says whether it would on its next start.
      const [message] = slack.messages(PUBLIC_CHANNEL.id);
      expect(slack.messages(PUBLIC_CHANNEL.id)).toHaveLength(1);
      expect(slack.callsTo('chat.postMessage').filter((c) => (c.result as { ok?: boolean }).ok)).toHaveLength(1);
      const database = pg ?? (await openDatabase(databaseUrl));
      try {
        expect(await database.db.select({ id: approvals.id, messageTs: approvals.messageTs }).from(approvals)).toEqual([{ id: event.data.approval_id, messageTs: message!.ts }]);
        expect(await database.db.select({ kind: jobs.kind, status: jobs.status }).from(jobs)).toEqual([{ kind: 'approval.post', status: 'done' }]);
      } finally {
        if (!pg) await database.close();
      }
    } finally {
      await stopAll(started);
      await slack.close();
      await api.close();
      await pg?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
