import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, rowsOf, type Database } from '../../src/db/client.ts';
import { jobs } from '../../src/db/schema.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/database.ts';

/**
 * src/db/prepared-statements.ts relies on how drizzle calls postgres.js; these fail when
 * that changes. Preparing is a PostgreSQL server matter: PGlite has nothing to check.
 */
describe.skipIf(!serverUrl())('statements on PostgreSQL', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => {
    await tdb?.close();
  });

  /** The statements prepared on the connection `db` runs on (it must have only one). */
  async function preparedOn(db: Pick<Database, 'execute'>): Promise<string[]> {
    return rowsOf<{ statement: string }>(await db.execute(sql`select statement from pg_prepared_statements`)).map((r) => r.statement);
  }

  it("every statement the app's database runs is prepared: raw SQL, the query builder, in transactions and savepoints", async () => {
    // One connection, so the statements and the look-up at the end share its session.
    const handle = await openDatabase(tdb.url!, { maxConnections: 1 });
    try {
      const { db } = handle;
      // Parameters matter: postgres.js sends a statement without any by the simple protocol, never prepared.
      await db.execute(sql`select ${1}::int as marker_execute`);
      await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.kind, 'marker_builder'));
      await db.transaction(async (tx) => {
        await tx.execute(sql`select ${2}::int as marker_transaction`);
        await tx.transaction(async (savepoint) => {
          await savepoint.execute(sql`select ${3}::int as marker_savepoint`);
        });
      });

      const statements = await preparedOn(db);
      for (const marker of ['marker_execute', 'marker_transaction', 'marker_savepoint']) {
        expect(statements.some((s) => s.includes(marker)), `${marker} in ${JSON.stringify(statements)}`).toBe(true);
      }
      expect(statements.some((s) => s.includes('from "jobs" where "jobs"."kind" = $1'))).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('drizzle on a plain postgres.js client leaves them unprepared (when this fails, drizzle prepares by itself: drop preparingClient)', async () => {
    const client = postgres(tdb.url!, { max: 1, onnotice: () => {} });
    try {
      const db = drizzle({ client });
      await db.execute(sql`select ${1}::int as marker_plain`);
      await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.kind, 'marker_plain_builder'));
      // The statements prepared through drizzle's own `.prepare()` are the only ones.
      await db.select({ kind: jobs.kind }).from(jobs).where(eq(jobs.kind, sql.placeholder('kind'))).prepare('marker_prepared').execute({ kind: 'x' });

      const statements = await preparedOn(db);
      expect(statements.filter((s) => s.includes('"jobs"'))).toEqual(['select "kind" from "jobs" where "jobs"."kind" = $1']);
      expect(statements.some((s) => s.includes('marker_plain'))).toBe(false);
    } finally {
      await client.end({ timeout: 5 });
    }
  });
});
