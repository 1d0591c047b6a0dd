import { inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approvals, jobs } from '../../src/db/schema.ts';
import { enqueue } from '../../src/jobs/store.ts';
import { type TestDatabase } from '../support/database.ts';
import { appPerTest } from '../support/lifecycle.ts';
import { ALICE, approvalEvent, approvalMessage, ARCHIVED_CHANNEL, PLATFORM_TOKEN, PUBLIC_CHANNEL, TEAM, waitFor, type Harness } from '../support/harness.ts';

let db: TestDatabase;
let h: Harness;
appPerTest((ctx) => ({ db, h } = ctx));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (version 0.0.4): `name{label="value",…} value` lines. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]!.replace(/^Nan$/i, 'NaN')) });
  }
  return samples;
}

async function scrape(baseUrl: string) {
  const res = await fetch(`${baseUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = parseExposition(await res.text());
  /** The sample with exactly these labels; undefined when the exposition has none. */
  return (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const M = 'email_approvals_';

/**
 * Runs jobs until none is queued or running anywhere: a drain stops at jobs not due yet (a
 * refresh retried 100 ms later) and at those another instance has claimed.
 */
async function allJobsSettled(drains: (() => Promise<void>)[]): Promise<void> {
  const until = Date.now() + 15_000;
  for (;;) {
    await Promise.all(drains.map((drain) => drain()));
    const [live] = await db.db.select({ n: sql<number>`count(*)::int` }).from(jobs).where(inArray(jobs.status, ['queued', 'running']));
    if (live!.n === 0) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${live!.n} jobs to finish`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /metrics', () => {
  it('counts deliveries, posts, a 429, a decision and its report, and reads the backlog from the database', async () => {
    const identity = await h.seedIdentity();
    const stuck = await h.seedIdentity({ channelId: ARCHIVED_CHANNEL.id, localPart: 'archive' });
    const request = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    h.api.addApproval({ approvalId: request.data.approval_id, workspaceToken: PLATFORM_TOKEN });
    // Slack refuses the first post once (429): it is retried after Retry-After.
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });

    expect((await h.deliver(request)).status).toBe(202);
    expect((await h.deliver(request)).body).toEqual({ status: 'duplicate' });
    // Its channel is archived: the post can never succeed, and becomes a dead letter.
    expect((await h.deliver(approvalEvent({ identityId: stuck.id, workspaceId: stuck.workspaceId }))).status).toBe(202);
    expect((await h.deliver(approvalEvent({ identityId: '3c90c3cc-0d44-4b50-8888-8dd25736052a', workspaceId: h.workspace.workspaceId }))).status).toBe(404);
    expect((await h.deliver(request, { secret: 'not-the-webhook-secret-123' })).status).toBe(401);

    await waitFor(() => approvalMessage(h.slack, PUBLIC_CHANNEL.id, request.data.approval_id) !== undefined, 'the post after its 429');
    await h.drain();
    const message = approvalMessage(h.slack, PUBLIC_CHANNEL.id, request.data.approval_id)!;
    const click = await h.client.blockActions({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, messageTs: message.ts, actionId: 'approval_approve', blockId: 'approval_actions', value: request.data.approval_id });
    expect(click.status).toBe(200);
    await waitFor(() => h.api.decisions(request.data.approval_id).length === 1, 'the decision reported');
    await allJobsSettled([h.drain]);
    // A job for later: the gauges must tell it from the due ones.
    await enqueue(db.db, { kind: 'metrics.test.later', payload: {}, runAt: new Date(Date.now() + 3_600_000) });

    const metric = await scrape(h.baseUrl);
    const requested = 'approval.requested';
    expect(metric(`${M}events_received_total`, { type: requested, outcome: 'stored' })).toBe(2);
    expect(metric(`${M}events_received_total`, { type: requested, outcome: 'duplicate' })).toBe(1);
    expect(metric(`${M}events_received_total`, { type: requested, outcome: 'unknown_identity' })).toBe(1);
    expect(metric(`${M}events_received_total`, { type: 'unknown', outcome: 'invalid' })).toBe(1);
    expect(metric(`${M}events_received_total`, { type: requested, outcome: 'error' })).toBe(0);

    expect(metric(`${M}messages_total`, { action: 'post', outcome: 'ok' })).toBe(1);
    expect(metric(`${M}messages_total`, { action: 'post', outcome: 'wait' })).toBe(1);
    expect(metric(`${M}messages_total`, { action: 'post', outcome: 'permanent' })).toBe(1);
    const updates = h.slack.callsTo('chat.update').filter((c) => (c.result as { ok?: boolean } | undefined)?.ok === true).length;
    expect(updates).toBeGreaterThan(0);
    expect(metric(`${M}messages_total`, { action: 'update', outcome: 'ok' })).toBe(updates);
    expect(metric(`${M}slack_rate_limited_total`, { method: 'chat.postMessage' })).toBe(1);

    expect(metric(`${M}decisions_total`, { decision: 'approve' })).toBe(1);
    expect(metric(`${M}decisions_total`, { decision: 'reject' })).toBe(0);
    expect(metric(`${M}decision_reports_total`, { outcome: 'accepted' })).toBe(1);
    expect(metric(`${M}platform_calls_total`, { operation: 'decideApproval', status: '200' })).toBe(1);

    expect(metric(`${M}webhook_to_posted_seconds_count`)).toBe(1);
    expect(metric(`${M}posted_to_decided_seconds_count`)).toBe(1);
    expect(metric(`${M}slack_ack_seconds_count`)).toBe(1);
    expect(metric(`${M}slack_ack_seconds_bucket`, { le: '+Inf' })).toBe(1);

    // The archived channel's approval was never posted: it is still pending, its post a dead letter.
    const [pending] = await db.db.select({ n: sql<number>`count(*)::int` }).from(approvals).where(sql`${approvals.status} = 'pending'`);
    expect(pending!.n).toBe(1);
    expect(metric(`${M}pending_approvals`)).toBe(1);
    expect(metric(`${M}dead_letters`)).toBe(1);
    expect(metric(`${M}jobs`, { state: 'scheduled' })).toBe(1);
    expect(metric(`${M}jobs`, { state: 'ready' })).toBe(0);
    expect(metric(`${M}jobs`, { state: 'running' })).toBe(0);
  });

  it('counts a rejection, and keeps each app instance’s metrics apart', async () => {
    const second = await h.startInstance(db);
    const identity = await h.seedIdentity();
    const request = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    h.api.addApproval({ approvalId: request.data.approval_id, workspaceToken: PLATFORM_TOKEN });
    expect((await second.deliver(request)).status).toBe(202);
    // Either instance's worker may post it: they share the jobs table.
    await waitFor(() => approvalMessage(h.slack, PUBLIC_CHANNEL.id, request.data.approval_id) !== undefined, 'the post');
    const message = approvalMessage(h.slack, PUBLIC_CHANNEL.id, request.data.approval_id)!;
    const click = await second.client.blockActions({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, messageTs: message.ts, actionId: 'approval_reject', blockId: 'approval_actions', value: request.data.approval_id });
    expect(click.status).toBe(200);
    await waitFor(() => h.slack.callsTo('views.open').length === 1, 'the reject form');
    const submitted = await second.client.submitView({ teamId: TEAM.id, userId: ALICE, viewId: h.slack.lastView()!.id, values: { reject_reason: 'Offer a refund instead.' } });
    expect(submitted.status).toBe(200);
    await waitFor(() => h.api.decisions(request.data.approval_id).length === 1, 'the rejection reported');
    await allJobsSettled([h.drain, second.drain]);

    const first = await scrape(h.baseUrl);
    const other = await scrape(second.baseUrl);
    expect(other(`${M}events_received_total`, { type: 'approval.requested', outcome: 'stored' })).toBe(1);
    expect(first(`${M}events_received_total`, { type: 'approval.requested', outcome: 'stored' })).toBe(0);
    expect(other(`${M}decisions_total`, { decision: 'reject' })).toBe(1);
    expect(first(`${M}decisions_total`, { decision: 'reject' })).toBe(0);
    // The background work went to whichever worker claimed it first.
    expect(other(`${M}decision_reports_total`, { outcome: 'accepted' })! + first(`${M}decision_reports_total`, { outcome: 'accepted' })!).toBe(1);
    expect(other(`${M}messages_total`, { action: 'post', outcome: 'ok' })! + first(`${M}messages_total`, { action: 'post', outcome: 'ok' })!).toBe(1);
    expect(other(`${M}slack_ack_seconds_count`)).toBe(2);
    expect(first(`${M}slack_ack_seconds_count`)).toBe(0);
    // The gauges read the one database both share.
    expect(first(`${M}pending_approvals`)).toBe(0);
    expect(other(`${M}pending_approvals`)).toBe(0);
  });
});
