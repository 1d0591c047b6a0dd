import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsFolder, openDatabase, rowsOf } from '../../src/db/client.ts';
import { buildOnlineIndexes, onlineMigrationsFolder, readOnlineMigrations, type OnlineMigration } from '../../src/db/migrate-online.ts';
import { schema } from '../../src/db/schema.ts';
import { createTestDatabase, serverUrl, withDatabase, type TestDatabase } from '../support/database.ts';

const root = new URL('../../', import.meta.url).pathname;

/** A build on approval_events, the table the webhooks of every instance write. */
const probe: OnlineMigration = {
  name: '9001_probe.sql',
  indexName: 'approval_events_probe_idx',
  statement: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "approval_events_probe_idx" ON "approval_events" USING btree ("type", "received_at")',
};

type Executor = Parameters<typeof buildOnlineIndexes>[0];

async function validity(db: Executor, indexName: string): Promise<boolean | undefined> {
  const rows = rowsOf<{ valid: boolean }>(await db.execute(sql`select indisvalid as valid from pg_index where indexrelid = to_regclass(quote_ident(${indexName}))`));
  return rows[0]?.valid;
}

async function recorded(db: Executor): Promise<string[]> {
  return rowsOf<{ name: string }>(await db.execute(sql`select name from drizzle.__online_migrations order by name`)).map((r) => r.name);
}

describe('online index migrations (migrations/online)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it('are built and recorded by migrate(), valid', async () => {
    const online = readOnlineMigrations();
    expect(online.length).toBeGreaterThan(0);
    for (const m of online) expect(await validity(db.db, m.indexName)).toBe(true);
    expect(await recorded(db.db)).toEqual(expect.arrayContaining(online.map((m) => m.name)));
  });

  it('build an index once, in order after what is recorded, and skip it after that', async () => {
    expect(await buildOnlineIndexes(db.db, { concurrently: db.driver === 'postgres', migrations: [...readOnlineMigrations(), probe] })).toEqual([probe.name]);
    expect(await validity(db.db, probe.indexName)).toBe(true);
    expect(await buildOnlineIndexes(db.db, { concurrently: db.driver === 'postgres', migrations: [probe] })).toEqual([]);
    await db.db.execute(sql.raw(`DROP INDEX "${probe.indexName}"`));
    await db.db.execute(sql`delete from drizzle.__online_migrations where name = ${probe.name}`);
  });

  it('are declared nowhere drizzle-kit looks, so it never generates a blocking CREATE INDEX for one', () => {
    const online = readOnlineMigrations().map((m) => m.indexName);
    const declared = Object.values(schema as Record<string, unknown>)
      .filter((t): t is PgTable => t instanceof PgTable)
      .flatMap((t) => getTableConfig(t).indexes.map((i) => i.config.name));
    const snapshots = readdirSync(join(migrationsFolder, 'meta'))
      .filter((n) => n.endsWith('_snapshot.json'))
      .map((n) => readFileSync(join(migrationsFolder, 'meta', n), 'utf8'));
    for (const name of online) {
      expect(declared).not.toContain(name);
      for (const snapshot of snapshots) expect(snapshot).not.toContain(`"${name}"`);
    }
  });

  it('leave drizzle-kit generate with nothing to generate (its journal and snapshots match schema.ts)', () => {
    // drizzle-kit wants a path relative to the project; a copy keeps the real folder untouched.
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const scratch = mkdtempSync(join(root, '.tmp', 'drizzle-generate-'));
    try {
      cpSync(migrationsFolder, join(scratch, 'migrations'), { recursive: true });
      const before = readdirSync(join(scratch, 'migrations'), { recursive: true }).sort();
      const out = execFileSync('npx', ['drizzle-kit', 'generate', '--dialect', 'postgresql', '--schema', './src/db/schema.ts', '--out', `./${relative(root, scratch)}/migrations`], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      });
      expect(out).toContain('No schema changes');
      expect(readdirSync(join(scratch, 'migrations'), { recursive: true }).sort()).toEqual(before);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuse a file that is not one CREATE INDEX CONCURRENTLY IF NOT EXISTS', () => {
    const folder = mkdtempSync(join(tmpdir(), 'online-migrations-'));
    try {
      writeFileSync(join(folder, '0001_ok.sql'), '-- why\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "a_idx" ON "t" ("c");\n');
      expect(readOnlineMigrations(folder)).toEqual([{ name: '0001_ok.sql', indexName: 'a_idx', statement: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "a_idx" ON "t" ("c")' }]);
      writeFileSync(join(folder, '0002_blocking.sql'), 'CREATE INDEX "b_idx" ON "t" ("c");\n');
      expect(() => readOnlineMigrations(folder)).toThrow(/0002_blocking\.sql must hold one CREATE INDEX CONCURRENTLY/);
      rmSync(join(folder, '0002_blocking.sql'));
      writeFileSync(join(folder, '0002_two.sql'), 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "b_idx" ON "t" ("c"); DROP TABLE "t";\n');
      expect(() => readOnlineMigrations(folder)).toThrow(/0002_two\.sql must hold one/);
      rmSync(join(folder, '0002_two.sql'));
      writeFileSync(join(folder, '0002_again.sql'), 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "a_idx" ON "t" ("d");\n');
      expect(() => readOnlineMigrations(folder)).toThrow(/"a_idx" is built by two files/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    expect(readdirSync(onlineMigrationsFolder).every((n) => /^\d{4}_[a-z0-9_]+\.sql$/.test(n))).toBe(true);
  });
});

describe.runIf(serverUrl())('online index migrations on PostgreSQL', () => {
  let db: TestDatabase;
  /** Separate sessions: a writer with a transaction open, another instance's writes, the migrating instance. */
  let writer: postgres.Sql;
  let other: postgres.Sql;
  let migrating: postgres.Sql;
  let migratingPid: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    writer = postgres(db.url!, { max: 1, onnotice: () => {} });
    other = postgres(db.url!, { max: 1, onnotice: () => {} });
    migrating = postgres(db.url!, { max: 1, onnotice: () => {} });
    // Asked before any build: the session runs one statement at a time.
    const [row] = await migrating<{ pid: number }[]>`select pg_backend_pid() as pid`;
    migratingPid = row!.pid;
  });
  afterAll(async () => {
    await Promise.all([writer.end(), other.end(), migrating.end()]);
    await db.close();
  });

  const insertEvent = (session: postgres.Sql | postgres.ReservedSql, id: string) =>
    session`insert into approval_events (event_id, approval_id, type) values (${id}, ${`apr_${id}`}, 'approval.requested')`;

  /** Waits until the migrating session is waiting on a lock (here: for the writer's transaction). */
  async function buildWaitingOnALock(): Promise<void> {
    const until = Date.now() + 10_000;
    for (;;) {
      const [row] = await other<{ w: string | null }[]>`select wait_event_type as w from pg_stat_activity where pid = ${migratingPid}`;
      if (row?.w === 'Lock') return;
      if (Date.now() > until) throw new Error('timed out waiting for the index build to wait for the open transaction');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('lets other sessions write to the table while the build waits for a long writing transaction, and ends valid', async () => {
    const open = await writer.reserve();
    await open`begin`;
    await insertEvent(open, 'in_long_transaction_1');
    const build = buildOnlineIndexes(drizzlePostgres({ client: migrating }), { concurrently: true, migrations: [probe] });
    await buildWaitingOnALock();

    // Writers are not held behind the build: with a lock timeout, another session's insert
    // would fail if it had to wait (as it does behind a plain CREATE INDEX, below).
    await other`set lock_timeout = '1s'`;
    await insertEvent(other, 'beside_the_build');
    await insertEvent(open, 'in_long_transaction_2');
    await open`commit`;
    open.release();

    expect(await build).toEqual([probe.name]);
    expect(await validity(db.db, probe.indexName)).toBe(true);
    expect(await recorded(db.db)).toContain(probe.name);
    const [count] = await other<{ n: number }[]>`select count(*)::int as n from approval_events where event_id in ('in_long_transaction_1', 'in_long_transaction_2', 'beside_the_build')`;
    expect(count?.n).toBe(3);
  }, 60_000);

  it('(the same writes behind a plain CREATE INDEX wait, and time out)', async () => {
    const plain: OnlineMigration = { ...probe, name: '9002_plain.sql', indexName: 'approval_events_plain_idx', statement: probe.statement.replace('probe', 'plain') };
    const open = await writer.reserve();
    await open`begin`;
    await insertEvent(open, 'in_long_transaction_3');
    const build = buildOnlineIndexes(drizzlePostgres({ client: migrating }), { concurrently: false, migrations: [plain] });
    await buildWaitingOnALock();
    await other`set lock_timeout = '1s'`;
    await expect(insertEvent(other, 'behind_the_build')).rejects.toMatchObject({ code: '55P03' });
    await open`commit`;
    open.release();
    expect(await build).toEqual([plain.name]);
  }, 60_000);

  it('drops an index a dead build left invalid and builds it again', async () => {
    const rebuilt: OnlineMigration = { ...probe, name: '9003_rebuilt.sql', indexName: 'approval_events_rebuilt_idx', statement: probe.statement.replace('probe', 'rebuilt') };
    // A build cancelled half-way (as a crash or a cancel leaves it): the index exists, invalid.
    const open = await writer.reserve();
    await open`begin`;
    await insertEvent(open, 'in_long_transaction_4');
    const cancelled = migrating.unsafe(rebuilt.statement).catch((e: unknown) => e);
    await buildWaitingOnALock();
    await other`select pg_cancel_backend(${migratingPid})`;
    expect(await cancelled).toMatchObject({ code: '57014' });
    await open`commit`;
    open.release();
    expect(await validity(db.db, rebuilt.indexName)).toBe(false);

    expect(await buildOnlineIndexes(drizzlePostgres({ client: migrating }), { concurrently: true, migrations: [rebuilt] })).toEqual([rebuilt.name]);
    expect(await validity(db.db, rebuilt.indexName)).toBe(true);
  }, 60_000);

  it('several instances migrating a new database at once all start, with every index built once and valid', async () => {
    const name = `t_online_${Date.now().toString(36)}`;
    const admin = postgres(serverUrl()!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const handles = await Promise.all([1, 2, 3].map(() => openDatabase(withDatabase(serverUrl()!, name), { maxConnections: 1 })));
    try {
      await Promise.all(handles.map((h) => h.migrate()));
      const online = readOnlineMigrations();
      for (const m of online) expect(await validity(handles[0]!.db, m.indexName)).toBe(true);
      expect(await recorded(handles[0]!.db)).toEqual(online.map((m) => m.name));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 60_000);
});
