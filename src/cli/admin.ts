import { existsSync, readFileSync } from 'node:fs';
import { parseArgs, parseEnv } from 'node:util';
import { desc, eq } from 'drizzle-orm';
import { openDatabase } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';
import { deadJobs, jobCounts } from '../jobs/store.ts';
import { parseEncryptionKeys } from '../config.ts';
import { createTokenCipher } from '../crypto/token-cipher.ts';
import { reencryptTokens } from './rotate-keys.ts';

const USAGE = `usage: npm run admin -- <command> [options]

  jobs                      job counts by status, and the dead letters (jobs that gave up)
  audit [--team T] [--limit N]
                            the audit log, newest first: who created, approved, rejected what, when
  rotate-keys               re-encrypt every stored token with the first key of TOKEN_ENCRYPTION_KEY
                            (put the new key first, keep the old ones after it, run this, then drop them)

Reads DATABASE_URL and TOKEN_ENCRYPTION_KEY (from the environment or .env), like npm start.`;

/** Operator commands over the app's database; prints JSON lines so they can be piped. */
async function main(argv: string[]): Promise<number> {
  if (existsSync('.env')) {
    for (const [key, value] of Object.entries(parseEnv(readFileSync('.env', 'utf8')))) process.env[key] ??= value;
  }
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { team: { type: 'string' }, limit: { type: 'string', default: '50' } },
  });
  const command = positionals[0];
  if (command !== 'jobs' && command !== 'audit' && command !== 'rotate-keys') {
    process.stderr.write(`${USAGE}\n`);
    return command === undefined || command === 'help' ? 0 : 64;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    process.stderr.write('--limit must be a whole number from 1 to 10000\n');
    return 64;
  }
  const database = await openDatabase(process.env.DATABASE_URL?.trim() || 'file:./data/pglite', { maxConnections: 1 });
  try {
    await database.migrate();
    if (command === 'rotate-keys') {
      const keys = parseEncryptionKeys(process.env.TOKEN_ENCRYPTION_KEY);
      if (!keys.ok || keys.keys.length === 0) {
        process.stderr.write(`${keys.ok ? 'TOKEN_ENCRYPTION_KEY is not set' : keys.problem}\n`);
        return 78;
      }
      process.stdout.write(`${JSON.stringify({ reencrypted: await reencryptTokens(database.db, createTokenCipher(keys.keys)) })}\n`);
    } else if (command === 'jobs') {
      process.stdout.write(`${JSON.stringify({ counts: await jobCounts(database.db) })}\n`);
      for (const job of await deadJobs(database.db, limit)) {
        process.stdout.write(`${JSON.stringify({ dead: { id: job.id, kind: job.kind, payload: job.payload, attempts: job.attempts, last_error: job.lastError, at: job.updatedAt } })}\n`);
      }
    } else {
      const query = database.db.select().from(auditLog).$dynamic();
      const rows = await (values.team ? query.where(eq(auditLog.teamId, values.team)) : query).orderBy(desc(auditLog.id)).limit(limit);
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    }
  } finally {
    await database.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`admin: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
