import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const src = new URL('../../src/', import.meta.url).pathname;

/** Each table written by one module: whoever else queues a job or audits uses the owner's statement builders. */
const owners: Record<string, { module: string; writes: RegExp }> = {
  jobs: { module: 'jobs/store.ts', writes: /\binsert\(\s*jobs\s*\)|\binsert\s+into\s+(jobs|\$\{jobs\})\b/i },
  audit_log: { module: 'audit/audit-log.ts', writes: /\binsert\(\s*auditLog\s*\)|\binsert\s+into\s+(audit_log|\$\{auditLog\})\b/i },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

it('only the owning module inserts into jobs and audit_log', () => {
  const files = sourceFiles(src).map((path) => ({ path: relative(src, path), text: readFileSync(path, 'utf8') }));
  for (const [table, owner] of Object.entries(owners)) {
    expect(files.filter((f) => owner.writes.test(f.text)).map((f) => f.path), table).toEqual([owner.module]);
  }
});
