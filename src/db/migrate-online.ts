import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import { z } from 'zod';
import { rowsOf, type Database } from './client.ts';

/*
 * Index builds that do not block writers. A plain CREATE INDEX holds off every insert,
 * update and delete on its table until it is done: minutes on a large `approval_events`,
 * with the webhooks of every instance waiting. CREATE INDEX CONCURRENTLY lets them
 * through, but PostgreSQL refuses it inside a transaction, and drizzle's migrator runs all
 * pending migrations in one. So these builds are a second, ordered list, run after
 * drizzle's migrations, each statement on its own (no transaction), each recorded once
 * done in drizzle.__online_migrations.
 *
 * migrations/online/NNNN_name.sql holds one `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT
 * EXISTS "name" ON …` each. Such an index is declared there only, never in schema.ts:
 * drizzle-kit would generate a blocking CREATE INDEX for it.
 */

export const onlineMigrationsFolder = fileURLToPath(new URL('../../migrations/online', import.meta.url));

export interface OnlineMigration {
  /** The file name: the order, and the key it is recorded under. */
  name: string;
  indexName: string;
  statement: string;
}

const CREATE_ONLINE = /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+"([a-z_][a-z0-9_]*)"\s+ON\s+[^;]+;?$/i;

const fileName = z.string().regex(/^\d{4}_[a-z0-9_]+\.sql$/, 'must be named NNNN_words.sql');

/** The online migrations of a folder, in name order; a file that is not one such statement is refused. */
export function readOnlineMigrations(folder = onlineMigrationsFolder): OnlineMigration[] {
  const names = readdirSync(folder)
    .filter((n) => n.endsWith('.sql'))
    .sort();
  const migrations = names.map((name) => {
    const named = fileName.safeParse(name);
    if (!named.success) throw new Error(`migrations/online/${name} ${named.error.issues[0]!.message}`);
    const statement = readFileSync(join(folder, name), 'utf8')
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('--'))
      .join(' ')
      .trim();
    const match = CREATE_ONLINE.exec(statement);
    if (!match) throw new Error(`migrations/online/${name} must hold one CREATE INDEX CONCURRENTLY IF NOT EXISTS "name" ON … statement`);
    return { name, indexName: match[1]!, statement: statement.replace(/;$/, '') };
  });
  const indexNames = migrations.map((m) => m.indexName);
  const repeated = indexNames.find((n, i) => indexNames.indexOf(n) !== i);
  if (repeated) throw new Error(`migrations/online: index "${repeated}" is built by two files`);
  return migrations;
}

export interface OnlineBuildOptions {
  /**
   * PostgreSQL: CONCURRENTLY. PGlite is one connection in one process, so there is no
   * writer to let through, and the same statement runs without it.
   */
  concurrently: boolean;
  migrations?: OnlineMigration[];
}

/**
 * Builds the online indexes not yet recorded, in order, and returns their file names.
 * Run on a connection outside any transaction, by one instance at a time (the caller's lock).
 */
export async function buildOnlineIndexes(db: Pick<Database, 'execute'>, options: OnlineBuildOptions): Promise<string[]> {
  const migrations = options.migrations ?? readOnlineMigrations();
  await db.execute(sql`CREATE SCHEMA IF NOT EXISTS drizzle`);
  await db.execute(sql`CREATE TABLE IF NOT EXISTS drizzle.__online_migrations (
    name text PRIMARY KEY,
    index_name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const recorded = new Set(rowsOf<{ name: string }>(await db.execute(sql`select name from drizzle.__online_migrations`)).map((r) => r.name));
  const built: string[] = [];
  for (const migration of migrations) {
    if (recorded.has(migration.name)) continue;
    // A build that died (a crash, a cancel, a duplicate key) leaves its index invalid;
    // IF NOT EXISTS would keep that one, so it is dropped and built again.
    if ((await indexValidity(db, migration.indexName)) === 'invalid') {
      await db.execute(sql.raw(`DROP INDEX ${options.concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS "${migration.indexName}"`));
    }
    await db.execute(sql.raw(options.concurrently ? migration.statement : migration.statement.replace(/\s+CONCURRENTLY\s+/i, ' ')));
    if ((await indexValidity(db, migration.indexName)) !== 'valid') {
      throw new Error(`index "${migration.indexName}" (migrations/online/${migration.name}) is not valid after its build`);
    }
    await db.execute(sql`insert into drizzle.__online_migrations (name, index_name) values (${migration.name}, ${migration.indexName}) on conflict do nothing`);
    built.push(migration.name);
  }
  return built;
}

async function indexValidity(db: Pick<Database, 'execute'>, indexName: string): Promise<'valid' | 'invalid' | 'missing'> {
  const [row] = rowsOf<{ valid: boolean }>(await db.execute(sql`select indisvalid as valid from pg_index where indexrelid = to_regclass(quote_ident(${indexName}))`));
  return row === undefined ? 'missing' : row.valid ? 'valid' : 'invalid';
}

// Any constant, the same for every instance; not the key of drizzle's migrations.
const ONLINE_LOCK_KEY = 727_002;

/**
 * PostgreSQL, on one connection (a session lock): the instance that gets the lock builds,
 * and the others go on without waiting. A session waiting for the lock would hold a
 * snapshot, and CONCURRENTLY waits for every older snapshot to end: each would wait for
 * the other. An index whose builder died is built by the next instance to start.
 */
export async function buildOnlineIndexesOnPostgres(connection: postgres.Sql): Promise<string[]> {
  const [row] = await connection<{ locked: boolean }[]>`select pg_try_advisory_lock(${ONLINE_LOCK_KEY}) as locked`;
  if (!row?.locked) return [];
  try {
    return await buildOnlineIndexes(drizzlePostgres({ client: connection }), { concurrently: true });
  } finally {
    await connection`select pg_advisory_unlock(${ONLINE_LOCK_KEY})`;
  }
}
