import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inArray } from 'drizzle-orm';
import { parseConfig } from '../../src/config.ts';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.ts';
import { approvals, jobs } from '../../src/db/schema.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';
import { appPerTest } from '../support/lifecycle.ts';
import { startFakeIdentitiesApi, type FakeIdentitiesApi } from '../support/fake-identities-api.ts';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.ts';
import { createSlackClient } from '../support/slack-client.ts';
import { ALICE, approvalEvent, approvalIdOf, approvalMessage, BOB, launchInstance, PLATFORM_TOKEN, PUBLIC_CHANNEL, SIGNING_SECRET, TEAM, waitFor, type Harness } from '../support/harness.ts';
import { appEnv, createPlatformIdentity, deliverTo, randomPort, startAppProcess, type AppProcess } from '../support/app-process.ts';
import type { ApprovalEvent } from '../../src/platform/schemas.ts';
import { stopAll } from '../support/group-process.ts';

/** Jobs the app has yet to run or finish: none once its work is done. */
const unfinishedJobs = (database: DatabaseHandle) =>
  database.db.select({ kind: jobs.kind, status: jobs.status, lastError: jobs.lastError }).from(jobs).where(inArray(jobs.status, ['queued', 'running']));

/** Every approval shown exactly once, and no approval decided twice at the platform. */
function expectExactlyOnce(slack: FakeSlack, api: FakeIdentitiesApi, events: ApprovalEvent[], decided: Set<string>) {
  const posted = slack.messages(PUBLIC_CHANNEL.id).map(approvalIdOf).filter((id) => id !== undefined);
  expect(posted.length).toBe(new Set(posted).size);
  expect(new Set(posted)).toEqual(new Set(events.map((e) => e.data.approval_id)));
  for (const e of events) expect(api.decisions(e.data.approval_id).length).toBe(decided.has(e.data.approval_id) ? 1 : 0);
}

describe('the app killed with SIGKILL at random points during a burst', () => {
  it('loses nothing and does nothing twice over several kill/restart cycles', async () => {
    const slack = await startFakeSlack({ chatWritePublic: false, triggerTtlMs: 600_000 });
    const api = await startFakeIdentitiesApi();
    const dataDir = mkdtempSync(join(tmpdir(), 'faults-kill-'));
    const pg = serverUrl() ? await createTestDatabase() : undefined;
    const port = randomPort();
    const started: AppProcess[] = [];
    try {
      const workspace = api.addWorkspace({ token: PLATFORM_TOKEN, domains: [{ name: 'acme.com', status: 'verified' }] });
      slack.addTeam({ ...TEAM });
      slack.addUser({ id: ALICE, teamId: TEAM.id, name: 'alice' });
      slack.addChannel({ ...PUBLIC_CHANNEL, teamId: TEAM.id, isPrivate: false, members: [ALICE, TEAM.botUserId] });
      const identity = await createPlatformIdentity(api, workspace);
      const databaseUrl = pg?.url ?? `file:${dataDir}`;
      const env = appEnv({ slack, api, databaseUrl, port, extra: { JOB_LEASE_SECONDS: '5' } });
      const launch = () => {
        const app = startAppProcess(env);
        started.push(app);
        return app;
      };
      const client = createSlackClient({ url: `http://127.0.0.1:${port}/slack/events`, signingSecret: SIGNING_SECRET, fakeSlack: slack });
      /** The platform delivers at least once: it repeats a delivery until it gets a 2xx. */
      const deliver = async (event: ApprovalEvent) => (await deliverTo(port, event)) === 202;

      const events = Array.from({ length: 40 }, () => approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id }));
      for (const e of events) api.addApproval({ approvalId: e.data.approval_id, workspaceToken: PLATFORM_TOKEN });
      const undelivered = new Set(events);
      const decided = new Set<string>();
      // Slack is slow, so kills land while posts and reports are in flight.
      slack.failNext('chat.postMessage', { delayMs: 150 }, 200);

      for (let cycle = 0; cycle < 4; cycle++) {
        const app = launch();
        await waitFor(() => app.output().includes('listening on port'), 'the app to start', 60_000);
        const killAt = Date.now() + 300 + Math.floor(Math.random() * 1500);
        while (Date.now() < killAt) {
          for (const e of [...undelivered].slice(0, 5)) if (await deliver(e)) undelivered.delete(e);
          // Click approve on posted messages, as people would, some of them twice.
          for (const m of slack.messages(PUBLIC_CHANNEL.id).filter((x) => x.metadata !== undefined).slice(0, 10 + cycle * 5)) {
            const id = approvalIdOf(m)!;
            if (decided.has(id) && Math.random() < 0.7) continue;
            const res = await client
              .blockActions({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, messageTs: m.ts, actionId: 'approval_approve', blockId: 'approval_actions', value: id, bypassClientChecks: true })
              .catch(() => undefined);
            if (res?.status === 200) decided.add(id);
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        app.kill('SIGKILL');
        await app.exited;
      }

      // A last, uninterrupted run finishes the work.
      const app = launch();
      await waitFor(() => app.output().includes('listening on port'), 'the final start', 60_000);
      for (const e of [...undelivered]) if (await deliver(e)) undelivered.delete(e);
      expect(undelivered.size).toBe(0);
      await waitFor(() => slack.messages(PUBLIC_CHANNEL.id).filter((m) => m.metadata !== undefined).length >= events.length, 'every approval posted', 90_000);
      // A click acked just before a kill may or may not have been stored; the ones stored must be reported once.
      await waitFor(() => [...decided].every((id) => api.decisions(id).length >= 1 || api.approvalStatus(id) === 'pending'), 'reports', 90_000);
      // Done means no job left to run. PGlite can be read by one process only, so the app is
      // stopped and an instance in this process, where the queue can be seen, runs the rest.
      app.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      const database = pg ?? (await openDatabase(databaseUrl));
      const config = parseConfig(env);
      if (!config.ok) throw new Error(`test config invalid: ${config.problems.join('; ')}`);
      const finisher = await launchInstance({ config: config.config, database, logs: [], slack, workerId: 'finisher' });
      try {
        await expect.poll(() => unfinishedJobs(database), { timeout: 90_000 }).toEqual([]);
      } finally {
        await finisher.stop();
        if (!pg) await database.close();
      }
      const reported = new Set(events.map((e) => e.data.approval_id).filter((id) => api.decisions(id).length > 0));
      for (const id of reported) expect(decided.has(id)).toBe(true);
      expectExactlyOnce(slack, api, events, reported);
    } finally {
      await stopAll(started);
      await slack.close();
      await api.close();
      await pg?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('outages, in process', () => {
  let db: TestDatabase;
  let h: Harness;
  appPerTest((ctx) => ({ db, h } = ctx));

  async function burst(n: number) {
    const identity = await h.seedIdentity();
    const events = Array.from({ length: n }, () => approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId }));
    for (const e of events) h.api.addApproval({ approvalId: e.data.approval_id, workspaceToken: PLATFORM_TOKEN });
    return events;
  }
  const messageOf = (id: string) => approvalMessage(h.slack, PUBLIC_CHANNEL.id, id);

  it('survives storms of Slack 429s and 5xx: every approval posted once, every decision reported once', async () => {
    const events = await burst(30);
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 15);
    h.slack.failNext('chat.update', { status: 503 }, 10);
    await Promise.all(events.map((e) => h.deliver(e)));
    h.slack.failNext('chat.postMessage', { status: 502 }, 10);
    await waitFor(() => h.slack.messages(PUBLIC_CHANNEL.id).length === events.length, 'every post', 60_000);
    const decided = new Set(events.slice(0, 10).map((e) => e.data.approval_id));
    await Promise.all(
      [...decided].flatMap((id) =>
        [ALICE, BOB].map((user) =>
          h.client.blockActions({ teamId: TEAM.id, userId: user, channelId: PUBLIC_CHANNEL.id, messageTs: messageOf(id)!.ts, actionId: 'approval_approve', blockId: 'approval_actions', value: id, bypassClientChecks: true }),
        ),
      ),
    );
    await waitFor(() => [...decided].every((id) => h.api.decisions(id).length === 1), 'the reports', 30_000);
    await h.drain();
    expectExactlyOnce(h.slack, h.api, events, decided);
  });

  it('keeps decisions made while the platform is down and delivers each once when it is back', async () => {
    const events = await burst(12);
    await Promise.all(events.map((e) => h.deliver(e)));
    await waitFor(() => h.slack.messages(PUBLIC_CHANNEL.id).length === events.length, 'every post', 30_000);
    h.api.setDown(true);
    const decided = new Set(events.map((e) => e.data.approval_id));
    for (const id of decided) {
      await h.client.blockActions({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, messageTs: messageOf(id)!.ts, actionId: 'approval_approve', blockId: 'approval_actions', value: id });
    }
    await waitFor(() => h.api.requests.filter((r) => r.path.endsWith('/decision')).length >= decided.size, 'failed reports', 30_000);
    expect((await db.db.select().from(approvals)).every((a) => a.status === 'approved')).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    h.api.setDown(false);
    await waitFor(() => [...decided].every((id) => h.api.decisions(id).length === 1), 'the reports after recovery', 60_000);
    await h.drain();
    expectExactlyOnce(h.slack, h.api, events, decided);
  });
});

describe.runIf(process.env.PG_THROWAWAY_DIR && process.env.PG_THROWAWAY_BIN && serverUrl())('the PostgreSQL server restarted during a burst', () => {
  it('answers 503 while it is down, then stores and posts every event exactly once', async () => {
    const db = await createTestDatabase();
    const slack = await startFakeSlack({ chatWritePublic: false });
    const api = await startFakeIdentitiesApi();
    const port = randomPort();
    let app: AppProcess | undefined;
    let stopping = false;
    let restarts = 0;
    try {
      const workspace = api.addWorkspace({ token: PLATFORM_TOKEN, domains: [{ name: 'acme.com', status: 'verified' }] });
      slack.addTeam({ ...TEAM });
      slack.addChannel({ ...PUBLIC_CHANNEL, teamId: TEAM.id, isPrivate: false, members: [TEAM.botUserId] });
      const identity = await createPlatformIdentity(api, workspace);
      const env = appEnv({ slack, api, databaseUrl: db.url!, port, extra: { JOB_LEASE_SECONDS: '5' } });
      // The test is the supervisor: an app that exits is started again, as systemd or Kubernetes would.
      const start = (): AppProcess => {
        const started = startAppProcess(env);
        void started.exited.then(() => {
          if (stopping) return;
          restarts += 1;
          setTimeout(() => {
            if (!stopping) app = start();
          }, 200);
        });
        return started;
      };
      app = start();
      const deliver = (event: ApprovalEvent) => deliverTo(port, event);
      // Started when /healthz answers (it checks the database too).
      const healthy = async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200;
      for (let i = 0; i < 600 && !(await healthy()); i++) await new Promise((r) => setTimeout(r, 100));
      // One channel: posts are paced at one a second, as Slack allows.
      const events = Array.from({ length: 24 }, () => approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id }));
      const pending = new Set(events);
      const statuses: number[] = [];
      let restarted = false;
      const deadline = Date.now() + 90_000;
      while (pending.size > 0 && Date.now() < deadline) {
        for (const e of [...pending].slice(0, 10)) {
          const status = await deliver(e);
          statuses.push(status);
          if (status === 202) pending.delete(e);
        }
        if (!restarted && statuses.filter((x) => x === 202).length >= 8) {
          restarted = true;
          const as = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
          const [cmd, ...args] = [...as, `${process.env.PG_THROWAWAY_BIN}/pg_ctl`, '-D', `${process.env.PG_THROWAWAY_DIR}/data`, '-m', 'fast', '-w', 'restart'];
          execFileSync(cmd!, args, { stdio: 'ignore' });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(restarted).toBe(true);
      expect(pending.size).toBe(0);
      expect(statuses.every((x) => x === 202 || x === 503 || x === 0)).toBe(true);
      await waitFor(() => slack.messages(PUBLIC_CHANNEL.id).filter((m) => m.metadata !== undefined).length >= events.length, 'every post after the restart', 90_000);
      await expect.poll(() => unfinishedJobs(db), { timeout: 90_000 }).toEqual([]);
      expectExactlyOnce(slack, api, events, new Set());
      // Recorded, not asserted: postgres.js 3.4.9 can crash on a dropped connection (porsager/postgres#1154).
      console.info(`app restarts by the supervisor during the PostgreSQL restart: ${restarts}`);
    } finally {
      stopping = true;
      app?.kill('SIGTERM');
      await app?.exited;
      await slack.close();
      await api.close();
      await db.close();
    }
  });
});
