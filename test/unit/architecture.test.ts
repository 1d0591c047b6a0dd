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
const DOMAIN = ['approvals', 'identities', 'workspaces', 'channels', 'jobs', 'audit', 'platform', 'db', 'crypto'];

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
