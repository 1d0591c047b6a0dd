import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { buildApp } from './app.ts';
import { parseConfig, secretsOf } from './config.ts';
import { openDatabase } from './db/client.ts';
import { createLogger } from './logger.ts';
import { createPrometheusMetrics } from './metrics/prometheus.ts';
import { createIdentitiesApi } from './platform/identities-api.ts';

/**
 * How long SIGTERM may take: stop accepting, answer the requests in flight, let running
 * jobs finish. Under Docker's default 10 s before SIGKILL, so the exit is ours.
 */
const SHUTDOWN_TIMEOUT_MS = 8_000;

/** start: config → database → app → listen. */
async function main(): Promise<void> {
  // .env fills in what the real environment leaves unset; it never overrides it.
  if (existsSync('.env')) {
    for (const [key, value] of Object.entries(parseEnv(readFileSync('.env', 'utf8')))) process.env[key] ??= value;
  }
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    // A configuration mistake is the operator's to fix: one line each, no stack trace.
    for (const problem of parsed.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(78);
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: () => secretsOf(config) });

  let database;
  try {
    database = await openDatabase(config.databaseUrl);
    await database.migrate();
  } catch (e) {
    logger.error(`cannot open the database (DATABASE_URL): ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  // One app in this process: it may watch the process too (memory, CPU, event-loop lag).
  const metrics = createPrometheusMetrics({ processMetrics: true });
  const api = createIdentitiesApi({ baseUrl: config.identitiesApi.url, logger: logger.child('platform'), onCall: metrics.platformCall });
  const { start } = buildApp({ config, database, api, logger, metrics });
  let running;
  try {
    running = await start(config.port);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const listening = (e as NodeJS.ErrnoException | undefined)?.syscall === 'listen';
    logger.error(listening ? `cannot listen on port ${config.port} (PORT): ${message}` : `cannot start: ${message}`);
    process.exit(1);
  }
  logger.info(
    `listening on port ${running.port} (${config.slack.appToken ? 'Socket Mode' : 'HTTP: POST /slack/events'}; database: ${database.driver})`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down (finishing the requests and jobs in flight, for at most ${SHUTDOWN_TIMEOUT_MS / 1000} s)`);
    // A job still running then keeps its lease, and another instance runs it once the lease ends.
    setTimeout(() => {
      logger.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting with work in flight (running jobs are retried after their lease)`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    await running.stop().catch((e: unknown) => logger.error('stopping the app failed', e));
    await api.close().catch(() => {});
    await database.close().catch(() => {});
    logger.info('stopped');
    process.exit(0);
  };
  // Nothing is held only in memory, so a crash loses nothing; exit and let the supervisor restart us.
  // (Seen here: postgres.js 3.4.9 can throw from a timer when PostgreSQL drops a connection, porsager/postgres#1154.)
  process.on('uncaughtException', (e) => {
    logger.error('uncaught exception; exiting so the supervisor restarts the app', e);
    process.exit(70);
  });
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
