import { mkdirSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { openDatabase, pgliteHandle } from '../../src/db/client.ts';
import { PGLITE_SNAPSHOT, TEMPLATE_DATABASE, serverUrl, withDatabase } from './database.ts';

/**
 * vitest globalSetup: migrate once, then let every test file start from a copy.
 * PGlite: a data-dir snapshot (a fresh instance takes ~5 s, a snapshot ~1 s).
 * PostgreSQL: a template database (CREATE DATABASE … TEMPLATE takes ~50 ms).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const server = serverUrl();
  if (server) {
    const admin = postgres(server, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`);
    await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    const handle = await openDatabase(withDatabase(server, TEMPLATE_DATABASE), { maxConnections: 1 });
    await handle.migrate();
    await handle.close();
    return async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`).catch(() => {});
      await admin.end();
    };
  }
  const client = new PGlite();
  const handle = await pgliteHandle(client);
  await handle.migrate();
  const dump = await client.dumpDataDir('gzip');
  mkdirSync(new URL('.', PGLITE_SNAPSHOT), { recursive: true });
  writeFileSync(PGLITE_SNAPSHOT, Buffer.from(await dump.arrayBuffer()));
  await client.close();
  return async () => {};
}
