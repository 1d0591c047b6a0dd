import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startHarness, type Harness, type HarnessOptions } from './harness.ts';

/**
 * One test database for the file (or the describe block it is called in), emptied before
 * each test. `use` receives it once it exists.
 */
export function databasePerFile(use: (db: TestDatabase) => void): void {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    use(db);
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db!.reset();
  });
}

export interface AppPerTest {
  db: TestDatabase;
  h: Harness;
  /** Closes this test's app and starts another with `options`; `use` receives it, and it is closed after the test. */
  restart(options: HarnessOptions): Promise<Harness>;
}

/**
 * `databasePerFile`, plus a fresh app for every test, closed after it (close() also fails
 * the test when a known secret appears in a log line). `use` receives it before each test.
 */
export function appPerTest(use: (ctx: AppPerTest) => void, options: HarnessOptions = {}): void {
  let db: TestDatabase;
  let h: Harness | undefined;
  databasePerFile((created) => (db = created));
  const ctx = (): AppPerTest => ({ db, h: h!, restart });
  async function restart(next: HarnessOptions): Promise<Harness> {
    await h?.close();
    h = await startHarness(db, next);
    use(ctx());
    return h;
  }
  beforeEach(async () => {
    h = await startHarness(db, options);
    use(ctx());
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
}
