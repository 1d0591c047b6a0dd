import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(new URL('../../src', import.meta.url).pathname);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/\b(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g), ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g), ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)];
  return specs.map((m) => m[1]!);
}

/** The folders that hold use cases: they declare the ports they need and know neither Slack nor HTTP. */
const DOMAIN = ['approvals', 'identities', 'workspaces', 'channels', 'jobs', 'audit', 'platform', 'db', 'crypto', 'people'];

function violations(forbidden: (spec: string, target: string | undefined) => boolean): string[] {
  const found: string[] = [];
  for (const folder of DOMAIN) {
    for (const file of filesUnder(join(src, folder))) {
      for (const spec of importsOf(file)) {
        const target = spec.startsWith('.') ? relative(src, resolve(dirname(file), spec)) : undefined;
        if (forbidden(spec, target)) found.push(`${relative(src, file)} imports ${spec}`);
      }
    }
  }
  return found;
}

describe('the seam between the domain and its adapters', () => {
  it('finds the imports it checks (a parser that finds nothing would pass anything)', () => {
    const all = DOMAIN.flatMap((folder) => filesUnder(join(src, folder)).flatMap(importsOf));
    expect(all).toContain('drizzle-orm');
    expect(all.some((s) => s.endsWith('/ports.ts'))).toBe(true);
  });

  it('no domain folder imports Slack: neither @slack/* nor anything under src/slack', () => {
    expect(violations((spec, target) => spec.startsWith('@slack/') || (target !== undefined && (target === 'slack' || target.startsWith('slack/'))))).toEqual([]);
  });

  it('no domain folder imports the HTTP adapters under src/http', () => {
    expect(violations((_spec, target) => target !== undefined && target.startsWith('http/'))).toEqual([]);
  });

  it('only src/metrics/prometheus.ts knows the metrics library; every other part reports through plain calls', () => {
    const importers = filesUnder(src)
      .filter((file) => importsOf(file).some((spec) => spec === 'prom-client' || spec.startsWith('prom-client/')))
      .map((file) => relative(src, file));
    expect(importers).toEqual(['metrics/prometheus.ts']);
  });

  it('no domain folder imports the composition root or its parts', () => {
    expect(violations((_spec, target) => target !== undefined && ['app.ts', 'background.ts', 'tenancy.ts', 'main.ts'].includes(target))).toEqual([]);
  });
});

/** The table each drizzle table object names, and the one module (or, for approvals, the folder) that may write it. */
const OWNERS: Record<string, { table: string; owner: string }> = {
  jobs: { table: 'jobs', owner: 'jobs/store.ts' },
  auditLog: { table: 'audit_log', owner: 'audit/audit-log.ts' },
  workspaceLinks: { table: 'workspace_links', owner: 'workspaces/links.ts' },
  slackInstallations: { table: 'slack_installations', owner: 'slack/oauth/installation-store.ts' },
  identities: { table: 'identities', owner: 'identities/store.ts' },
  identityCreations: { table: 'identity_creations', owner: 'identities/store.ts' },
  approvals: { table: 'approvals', owner: 'approvals/' },
  approvalEvents: { table: 'approval_events', owner: 'approvals/' },
  outOfOffice: { table: 'out_of_office', owner: 'people/out-of-office.ts' },
};

/** Every place under src/ that writes a table: drizzle's insert/update/delete, or SQL text. */
function writes(): { file: string; table: string }[] {
  const found: { file: string; table: string }[] = [];
  const byTable = new Map(Object.entries(OWNERS).map(([name, o]) => [o.table, name]));
  for (const file of filesUnder(src)) {
    const rel = relative(src, file);
    if (rel.startsWith('db/')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\.(?:insert|update|delete)\((\w+)\)/g)) if (m[1]! in OWNERS) found.push({ file: rel, table: m[1]! });
    for (const m of text.matchAll(/\b(?:insert\s+into|delete\s+from|update)\s+"?(\w+)"?\s/gi)) {
      const name = byTable.get(m[1]!.toLowerCase());
      if (name) found.push({ file: rel, table: name });
    }
  }
  return found;
}

describe('one writer per table', () => {
  it('finds the writes it checks', () => {
    const tables = new Set(writes().map((w) => w.table));
    for (const name of Object.keys(OWNERS)) expect(tables, name).toContain(name);
  });

  it('each table is written only by the module that owns it', () => {
    const strays = writes()
      .filter((w) => !w.file.startsWith(OWNERS[w.table]!.owner))
      .map((w) => `${w.file} writes ${OWNERS[w.table]!.table} (owner: ${OWNERS[w.table]!.owner})`);
    expect(strays).toEqual([]);
  });
});
