import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { buildOnlineIndexes, buildOnlineIndexesOnPostgres } from './migrate-online.ts';
import { preparingClient } from './prepared-statements.ts';
import { schema } from './schema.ts';

/** Driver-neutral handle: everything outside this file sees only this type. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  driver: 'pglite' | 'postgres';
  /** Applies pending migrations from migrations/; safe when several instances start at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The rows of `db.execute(sql\`…\`)`: postgres.js returns them as an array, PGlite as `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown } | null)?.rows;
  // A shape neither driver returns must not read as "no rows".
  if (!Array.isArray(rows)) throw new Error('query result has no rows (unknown driver result shape)');
  return rows as T[];
}

/**
 * A statement built once per database and run many times: drizzle's query building costs
 * more than running a small statement (measured 0.1–0.45 ms a build), so hot paths keep
 * theirs prepared. `build` receives the database the first time each database asks.
 */
export function preparedPerDatabase<D extends object, T>(build: (db: D) => T): (db: D) => T {
  const built = new WeakMap<D, T>();
  return (db) => {
    let statement = built.get(db);
    if (statement === undefined) {
      statement = build(db);
      built.set(db, statement);
    }
    return statement;
  };
}

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

// Any constant works; it only has to be the same for every instance of this app.
const MIGRATION_LOCK_KEY = 727_001;

export async function openDatabase(url: string, options: { maxConnections?: number } = {}): Promise<DatabaseHandle> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options.maxConnections ?? 10);
  return openPglite(url);
}

async function openPglite(url: string): Promise<DatabaseHandle> {
  // Loaded only when used: the WASM build costs memory a postgres.js deployment should not pay.
  const { PGlite } = await import('@electric-sql/pglite');
  let client: PGlite;
  if (url === 'memory://') {
    client = new PGlite();
  } else {
    const dir = url.replace(/^file:(\/\/)?/, '');
    mkdirSync(dir, { recursive: true });
    client = new PGlite(dir);
  }
  await client.waitReady;
  return pgliteHandle(client);
}

/** Wraps an open PGlite (tests start one from a prepared snapshot). */
export async function pgliteHandle(client: PGlite): Promise<DatabaseHandle> {
  const [{ drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([import('drizzle-orm/pglite'), import('drizzle-orm/pglite/migrator')]);
  const db = drizzlePglite({ client, schema });
  return {
    db,
    driver: 'pglite',
    // PGlite is one connection in one process: nobody else can be migrating.
    migrate: async () => {
      await migratePglite(db, { migrationsFolder });
      await buildOnlineIndexes(db, { concurrently: false });
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}

async function openPostgres(url: string, max: number): Promise<DatabaseHandle> {
  const client = postgres(url, { max, onnotice: () => {}, connect_timeout: 10 });
  const db = drizzlePostgres({ client: preparingClient(client), schema });
  return {
    db,
    driver: 'postgres',
    migrate: async () => {
      // A separate single connection holds an advisory lock, so instances starting together migrate once.
      const migrationClient = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
      try {
        await migrationClient`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
        await migratePostgres(drizzlePostgres({ client: migrationClient }), { migrationsFolder });
        await migrationClient`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
        // Outside drizzle's transaction and lock: CREATE INDEX CONCURRENTLY (migrate-online.ts).
        await buildOnlineIndexesOnPostgres(migrationClient);
      } finally {
        await migrationClient.end({ timeout: 5 });
      }
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.end({ timeout: 5 }),
  };
}
