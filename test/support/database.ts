import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { getTableName, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { openDatabase, pgliteHandle, type DatabaseHandle } from '../../src/db/client.ts';
import { schema } from '../../src/db/schema.ts';

export const PGLITE_SNAPSHOT = new URL('../../.tmp/pglite-snapshot.tar.gz', import.meta.url);
export const TEMPLATE_DATABASE = 'identity_app_test_template';

/** The real server tests run against when DATABASE_URL names one; otherwise embedded PGlite. */
export function serverUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? url : undefined;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface TestDatabase extends DatabaseHandle {
  /** The URL another process (a second app instance) can open; undefined for PGlite. */
  url: string | undefined;
  /** Empties every table, so each test starts clean without a new database. */
  reset(): Promise<void>;
}

const tableNames = Object.values(schema as Record<string, unknown>)
  .filter((t): t is PgTable => t instanceof PgTable)
  .map((t) => `"${getTableName(t)}"`);

/** One database per test file: a template copy on PostgreSQL, a snapshot copy on PGlite. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = serverUrl();
  let handle: DatabaseHandle;
  let url: string | undefined;
  let drop = async () => {};
  if (server) {
    const name = `t_${randomBytes(6).toString('hex')}`;
    const admin = postgres(server, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
    url = withDatabase(server, name);
    handle = await openDatabase(url);
    drop = async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  } else {
    const snapshot = new Blob([readFileSync(PGLITE_SNAPSHOT)]);
    const client = new PGlite({ loadDataDir: snapshot });
    await client.waitReady;
    handle = await pgliteHandle(client);
  }
  return {
    ...handle,
    url,
    reset: async () => {
      await handle.db.execute(sql.raw(`TRUNCATE ${tableNames.join(', ')} RESTART IDENTITY CASCADE`));
    },
    close: async () => {
      await handle.close();
      await drop();
    },
  };
}
