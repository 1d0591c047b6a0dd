import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/audit-log.ts';
import { openDatabase } from '../../src/db/client.ts';
import { jobs } from '../../src/db/schema.ts';
import { createTestDatabase, serverUrl } from '../support/database.ts';
import { startInGroup } from '../support/group-process.ts';

const root = new URL('../../', import.meta.url).pathname;

/** `npm run admin -- <args>` to its end; what it printed on stdout. */
async function admin(args: string[], databaseUrl: string): Promise<string> {
  const cli = startInGroup('npm', ['run', '-s', 'admin', '--', ...args], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl } });
  const code = await cli.exited;
  if (code !== 0) throw new Error(`npm run admin -- ${args.join(' ')} exited ${code}: ${cli.output()}`);
  return cli.stdout();
}

// Two starts of npm and tsx: on a loaded 2-core machine each has taken 30 s.
it('npm run admin shows dead letters and the audit log from the database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'admin-cli-'));
  const pg = serverUrl() ? await createTestDatabase() : undefined;
  const url = pg?.url ?? `file:${dir}`;
  try {
    const database = pg ?? (await openDatabase(url));
    if (!pg) await database.migrate();
    await database.db.insert(jobs).values({ kind: 'approval.post', payload: { approvalId: 'a-1' }, status: 'dead', attempts: 12, lastError: 'chat.postMessage: channel_not_found' });
    await recordAudit(database.db, { teamId: 'T1', actorUserId: 'U1', action: 'approval.approved', subjectType: 'approval', subjectId: 'a-1' });
    await recordAudit(database.db, { teamId: 'T2', actorUserId: 'U2', action: 'identity.created', subjectType: 'identity', subjectId: 'i-2' });
    if (!pg) await database.close();

    const jobsOut = await admin(['jobs'], url);
    const lines = jobsOut.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ counts: { queued: 0, running: 0, done: 0, dead: 1 } });
    expect(lines[1]).toMatchObject({ dead: { kind: 'approval.post', attempts: 12, last_error: 'chat.postMessage: channel_not_found' } });

    const audit = await admin(['audit', '--team', 'T1'], url);
    const entries = audit.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toEqual([expect.objectContaining({ teamId: 'T1', actorUserId: 'U1', action: 'approval.approved', subjectId: 'a-1' })]);
  } finally {
    await pg?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
