import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../../src/config.ts';

/*
 * These machines have no Docker engine, so `docker compose up` never runs here. What is
 * checked: compose.yaml is valid YAML of the compose shape, PostgreSQL 15+ with a health
 * check and a volume, two app instances on it, and each instance's environment, filled in
 * the way compose fills it in from an operator's .env, is a configuration the app accepts
 * and names every variable the README documents.
 */

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const text = read('compose.yaml');
// Compose reads YAML merge keys (`<<: *app`).
const document = parseDocument(text, { merge: true });

const Service = z
  .object({
    image: z.string().optional(),
    build: z.union([z.string(), z.object({ context: z.string() }).loose()]).optional(),
    restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
    depends_on: z.record(z.string(), z.object({ condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']) })).optional(),
    stop_grace_period: z.string().regex(/^\d+s$/).optional(),
    environment: z.record(z.string(), z.string()).optional(),
    ports: z.array(z.string().regex(/^\d+:\d+$/)).optional(),
    volumes: z.array(z.string().regex(/^[\w.-]+:\/[\w/.-]+$/)).optional(),
    healthcheck: z.object({ test: z.array(z.string()).min(2), interval: z.string(), timeout: z.string(), retries: z.number().int() }).optional(),
  })
  .strict();

const Compose = z
  .object({
    name: z.string(),
    services: z.record(z.string(), Service),
    volumes: z.record(z.string(), z.null()).optional(),
  })
  // Extension fields (`x-…`) hold the shared app definition.
  .catchall(z.unknown())
  .superRefine((c, ctx) => {
    for (const key of Object.keys(c)) {
      if (!['name', 'services', 'volumes'].includes(key) && !key.startsWith('x-')) ctx.addIssue({ code: 'custom', message: `unknown top-level key ${key}` });
    }
  });

/** Compose's interpolation: `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `$$`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w*)/g, (whole, name?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    if (name === undefined) throw new Error(`unsupported interpolation ${whole}${bare === '' ? ' (a lone $: write $$)' : ''}`);
    const set = name in env;
    const empty = !set || env[name] === '';
    if (op === ':-') return empty ? (arg ?? '') : env[name]!;
    if (op === '-') return set ? env[name]! : (arg ?? '');
    if (op === ':?' && empty) throw new Error(`${name}: ${arg}`);
    if (op === '?' && !set) throw new Error(`${name}: ${arg}`);
    return env[name] ?? '';
  });
}

const resolve = (environment: Record<string, string>, env: Record<string, string>) =>
  Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, interpolate(v, env)]));

/** Names in the first column of the README's configuration table. */
function documentedVariables(): string[] {
  const section = read('README.md').split(/^## Configuration$/m)[1]!.split(/^## /m)[0]!;
  const names = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  return [...new Set(names)];
}

/** What an operator puts in .env for a single-workspace install. */
const operatorEnv = {
  SLACK_SIGNING_SECRET: 'signing-secret-from-slack',
  SLACK_BOT_TOKEN: 'xoxb-1-bot-token',
  IDENTITIES_API_URL: 'https://api.example.com',
  APPROVAL_WEBHOOK_SECRET: 'webhook-secret-0123456789',
  POSTGRES_PASSWORD: '3f9c2a7e5b1d',
};

describe('compose.yaml', () => {
  const compose = Compose.parse(document.toJS());
  const services = compose.services;
  const apps = Object.entries(services).filter(([, s]) => s.build !== undefined);
  const postgres = services.postgres!;

  it('is valid YAML in the compose shape', () => {
    expect(document.errors).toEqual([]);
    expect(document.warnings).toEqual([]);
  });

  it('runs PostgreSQL 15 or newer with a health check and its data on a named volume', () => {
    const version = Number(/^postgres:(\d+)/.exec(postgres.image ?? '')?.[1]);
    expect(version).toBeGreaterThanOrEqual(15);
    expect(postgres.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    const [volume, target] = postgres.volumes![0]!.split(':');
    expect(target).toBe('/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it('runs two instances of the image built here, each started once the database is healthy, on distinct ports', () => {
    expect(apps).toHaveLength(2);
    const published: string[] = [];
    for (const [, app] of apps) {
      expect(app.build).toBe('.');
      expect(app.depends_on?.postgres?.condition).toBe('service_healthy');
      const [host, container] = app.ports![0]!.split(':');
      expect(container).toBe(app.environment!.PORT);
      published.push(host!);
    }
    expect(new Set(published).size).toBe(2);
  });

  it('gives the app time to drain on SIGTERM before compose sends SIGKILL', () => {
    const boundMs = Number(/const SHUTDOWN_TIMEOUT_MS = ([\d_]+);/.exec(read('src/main.ts'))![1]!.replaceAll('_', ''));
    for (const [, app] of apps) expect(Number(app.stop_grace_period!.replace(/s$/, '')) * 1000).toBeGreaterThan(boundMs);
  });

  it('names every documented variable in each instance', () => {
    const documented = documentedVariables();
    expect(documented).toEqual(expect.arrayContaining(['SLACK_SIGNING_SECRET', 'IDENTITIES_API_URL', 'DATABASE_URL', 'PORT']));
    for (const [, app] of apps) expect(Object.keys(app.environment!)).toEqual(expect.arrayContaining(documented));
  });

  it('gives each instance, filled in from an operator\'s .env, a configuration the app accepts, on the postgres service', () => {
    for (const [, app] of apps) {
      const parsed = parseConfig(resolve(app.environment!, operatorEnv));
      expect(parsed).toMatchObject({ ok: true });
      if (!parsed.ok) continue;
      const url = new URL(parsed.config.databaseUrl);
      const db = resolve(postgres.environment!, operatorEnv);
      expect([url.protocol, url.hostname, url.port, url.username, decodeURIComponent(url.password), url.pathname]).toEqual([
        'postgres:',
        'postgres',
        '5432',
        db.POSTGRES_USER,
        db.POSTGRES_PASSWORD,
        `/${db.POSTGRES_DB}`,
      ]);
    }
  });

  it('refuses to start (compose stops at interpolation) without each value the app cannot run without', () => {
    for (const name of ['SLACK_SIGNING_SECRET', 'IDENTITIES_API_URL', 'APPROVAL_WEBHOOK_SECRET', 'POSTGRES_PASSWORD'] as const) {
      const { [name]: _, ...without } = operatorEnv;
      for (const [, app] of apps) expect(() => resolve(app.environment!, without)).toThrow(name);
    }
  });
});
