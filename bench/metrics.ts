/**
 * npm run bench:metrics: measure 6 of npm run bench (GET /metrics with 10,000 pending
 * approvals) on its own, on PostgreSQL when BENCH_DATABASE_URL names a server, else PGlite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeIdentitiesApi } from '../test/support/fake-identities-api.ts';
import { startFakeSlack } from '../test/support/fake-slack.ts';
import { freshPostgresDatabase } from './databases.ts';
import { measureMetricsScrape } from './metrics-scrape.ts';

const slack = await startFakeSlack({});
const api = await startFakeIdentitiesApi();
const pgUrl = process.env.BENCH_DATABASE_URL;
const pgliteDir = pgUrl ? undefined : mkdtempSync(join(tmpdir(), 'bench-metrics-'));
const m = await measureMetricsScrape({ databaseUrl: pgUrl ? await freshPostgresDatabase(pgUrl) : `file:${pgliteDir}`, slackApiUrl: slack.apiUrl, identitiesApiUrl: api.url });
const f = (n: number) => n.toFixed(1);
process.stdout.write(
  `GET /metrics on ${m.driver}, ${m.pending} pending approvals (gauge showed ${m.shownPending}):\n` +
    `  every scrape a fresh count, one at a time: p50 ${f(m.uncached.p50)} ms, p99 ${f(m.uncached.p99)} ms (target p99 ≤ 50 ms)\n` +
    `  with the 5 s cache (all but one served from it): p50 ${f(m.cached.p50)} ms, p99 ${f(m.cached.p99)} ms\n`,
);
await slack.close();
await api.close();
if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
process.exit(0);
