/**
 * GET /metrics with a backlog: 10,000 pending approvals, their posts parked in the jobs
 * table, beside a history of decided approvals and done jobs five times as large, on a
 * database of its own. The app runs in this process, built as src/main.ts builds it
 * (process metrics included), once per series. Prometheus scrapes every 15–60 s, past the gauges' 5 s cache,
 * so in production every scrape reads the database: the first series turns the cache off
 * (each scrape runs the count statement); the second keeps it, so all but one in 5 s are
 * served from it (what a scrape costs without the database). One scrape at a time in both.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.ts';
import { parseConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { createLogger } from '../src/logger.ts';
import { createPrometheusMetrics } from '../src/metrics/prometheus.ts';
import { createIdentitiesApi } from '../src/platform/identities-api.ts';
import { SIGNING_SECRET, TEAM, WEBHOOK_SECRET } from '../test/support/harness.ts';

export interface ScrapeMeasure {
  driver: string;
  pending: number;
  /** Every scrape a fresh count (cache off), one at a time: p50 and p99 in ms. */
  uncached: { p50: number; p99: number };
  /** The default cache: scrapes within 5 s of a count show it again. */
  cached: { p50: number; p99: number };
  /** What the gauge showed, to check the seed. */
  shownPending: number | undefined;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Seeds the backlog in a few set-based statements (the app's own write paths would take minutes for this many). */
async function seed(db: Awaited<ReturnType<typeof openDatabase>>['db'], pending: number): Promise<void> {
  const history = pending * 5;
  await db.execute(sql`
    insert into approvals (id, team_id, identity_id, workspace_id, status, request, channel_id, message_ts, created_at)
    select gen_random_uuid()::text, ${TEAM.id}, 'bench-identity', 'bench-workspace',
           case when i <= ${pending} then 'pending' else (array['approved', 'rejected', 'cancelled', 'expired'])[1 + i % 4] end,
           '{}'::jsonb, 'C0BENCH' || (i % 20), null, now() - i * interval '1 second'
    from generate_series(1, ${pending + history}) i`);
  // Pending approvals' posts wait for their channel's turn (parked); the history's jobs are done.
  await db.execute(sql`
    insert into jobs (kind, payload, dedupe_key, status, run_at)
    select 'approval.post', jsonb_build_object('approvalId', id), 'post:' || id, 'queued', now() + interval '1 hour'
    from approvals where status = 'pending'`);
  await db.execute(sql`
    insert into jobs (kind, payload, dedupe_key, status, run_at, attempts)
    select k.kind, jsonb_build_object('approvalId', a.id), k.kind || ':' || a.id, 'done', a.created_at, 1
    from approvals a cross join (values ('approval.post'), ('approval.refresh'), ('approval.report')) k(kind)
    where a.status <> 'pending'`);
  // What autovacuum does within a minute of such inserts: statistics, and the visibility map index-only scans need.
  await db.execute(sql`vacuum analyze`);
}

async function timeScrapes(url: string, total: number): Promise<{ p50: number; p99: number; last: string }> {
  const ms: number[] = [];
  let last = '';
  for (let i = 0; i < total; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    last = await res.text();
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), last };
}

/** `databaseUrl`: an empty database (it is migrated and seeded here). */
export async function measureMetricsScrape(opts: { databaseUrl: string; slackApiUrl: string; identitiesApiUrl: string; pending?: number; scrapes?: number }): Promise<ScrapeMeasure> {
  const pending = opts.pending ?? 10_000;
  const scrapes = opts.scrapes ?? 200;
  const parsed = parseConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: TEAM.botToken,
    SLACK_API_URL: opts.slackApiUrl,
    IDENTITIES_API_URL: opts.identitiesApiUrl,
    APPROVAL_WEBHOOK_SECRET: WEBHOOK_SECRET,
    DATABASE_URL: opts.databaseUrl,
    LOG_LEVEL: 'warn',
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const config = parsed.config;
  const database = await openDatabase(config.databaseUrl);
  await database.migrate();
  await seed(database.db, pending);

  const logger = createLogger({ level: 'warn' });
  const result: Partial<ScrapeMeasure> = { driver: database.driver, pending };
  for (const cache of ['off', 'on'] as const) {
    const metrics = createPrometheusMetrics({ processMetrics: true });
    const api = createIdentitiesApi({ baseUrl: config.identitiesApi.url, onCall: metrics.platformCall });
    const app = buildApp({ config, database, api, logger, metrics, tuning: { host: '127.0.0.1', workerId: `bench-metrics-${randomUUID().slice(0, 6)}`, ...(cache === 'off' ? { queueCountsMaxAgeMs: 0 } : {}) } });
    const running = await app.start(0);
    const url = `http://127.0.0.1:${running.port}/metrics`;
    await timeScrapes(url, 10); // warm-up: code paths compiled, the statement prepared
    const run = await timeScrapes(url, scrapes);
    result[cache === 'off' ? 'uncached' : 'cached'] = { p50: run.p50, p99: run.p99 };
    result.shownPending = Number(/^email_approvals_pending_approvals (\S+)$/m.exec(run.last)?.[1]);
    await running.stop();
    await api.close();
  }
  await database.close();
  return result as ScrapeMeasure;
}
