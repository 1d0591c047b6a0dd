import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema.ts';
import { ApprovalJob } from '../../src/approvals/job-kinds.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { approvalEvent, approvalIdOf, PUBLIC_CHANNEL, startHarness, TEAM, waitFor, type Harness } from '../support/harness.ts';

let db: TestDatabase;
let h: Harness;
beforeAll(async () => {
  db = await createTestDatabase();
  // Slack's per-channel limit, scaled down: 5 posts a second; the app spaces its posts 300 ms apart.
  h = await startHarness(db, { channelIntervalMs: 300 });
  h.slack.setChannelRateLimit({ perSecond: 5, burst: 1 });
});
afterAll(async () => {
  await h.close();
  await db.close();
});

it('a burst for one channel is posted once each, spaced to Slack’s limit, the far-off posts waiting in the table', async () => {
  const identity = await h.seedIdentity();
  const events = Array.from({ length: 24 }, () => approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId }));
  const answers = await Promise.all(events.map((e) => h.deliver(e)));
  expect(answers.map((a) => a.status)).toEqual(events.map(() => 202));

  // 24 posts 300 ms apart take about 7 s: those more than 3 s off were queued to run later.
  const [parked] = await db.db
    .select({ n: sql<number>`count(*)::int` })
    .from(jobs)
    .where(and(eq(jobs.kind, ApprovalJob.post), sql`${jobs.runAt} > now() + interval '500 milliseconds'`));
  expect(parked!.n).toBeGreaterThan(0);

  const posts = () => h.slack.messages(PUBLIC_CHANNEL.id).filter((m) => m.user === TEAM.botUserId && m.metadata !== undefined);
  await waitFor(() => posts().length >= events.length, 'every approval posted', 20_000);
  const posted = posts().map(approvalIdOf);
  expect(new Set(posted)).toEqual(new Set(events.map((e) => e.data.approval_id)));
  expect(posted).toHaveLength(events.length);
  // Spacing posts 300 ms apart against a 200 ms limit keeps Slack from refusing them; an
  // event loop stalled between the gate and the wire (PGlite runs on it) can still bring
  // two closer, and then the retry after Retry-After still posts each once (above).
  const refused = h.slack.callsTo('chat.postMessage').filter((c) => (c.result as { http?: number } | undefined)?.http === 429);
  expect(refused.length).toBeLessThanOrEqual(2);
});
