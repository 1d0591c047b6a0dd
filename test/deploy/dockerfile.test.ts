import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, posix, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../src/db/client.ts';
import { healthRoute, routeHandler } from '../../src/http/routes.ts';

/*
 * These machines have no Docker engine, so the image is never built here. What can be
 * checked without one is: every path the Dockerfile copies exists (and is not in
 * .dockerignore), the paths it runs are the ones the build produces and the code reads,
 * and its HEALTHCHECK command, run with plain node, tells a healthy app from a sick one.
 */

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order: continuation lines joined, comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return logical.map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
  });
}

interface Stage {
  image: string;
  name: string | undefined;
  body: Instruction[];
}

function stagesOf(all: Instruction[]): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of all) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=');
      args[name!] = value ?? '';
    } else if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      expect(m, `FROM ${ins.args}`).not.toBeNull();
      const image = m![1]!.replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? '');
      stages.push({ image, name: m![2], body: [] });
    } else {
      stages.at(-1)?.body.push(ins);
    }
  }
  return { args, stages };
}

/** An exec-form (JSON array) CMD or HEALTHCHECK CMD. */
function execForm(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  expect(Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')).toBe(true);
  return parsed as string[];
}

const dockerfile = instructions(read('Dockerfile'));
const { stages } = stagesOf(dockerfile);
const stage = (name: string) => stages.find((s) => s.name === name)!;
const runtime = stages.at(-1)!;
const lines = (s: Stage, keyword: string) => s.body.filter((i) => i.keyword === keyword).map((i) => i.args);
const workdir = (s: Stage) => lines(s, 'WORKDIR').at(-1) ?? '/';

describe('Dockerfile', () => {
  it('builds with tsc in one stage and runs on a slim Node 20 with production dependencies only', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    for (const s of stages) expect(s.image).toMatch(/^node:20(\.\d+)*-(bookworm-)?slim$/);
    expect(lines(stage('build'), 'RUN')).toEqual(expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm run build']));
    expect(JSON.parse(read('package.json')).scripts.build).toBe('tsc -p tsconfig.build.json');
    expect(lines(stage('deps'), 'RUN').some((r) => /\bnpm ci --omit=dev\b/.test(r))).toBe(true);
    // The runtime takes node_modules from deps only: no stage with dev dependencies feeds it.
    expect(lines(runtime, 'COPY').filter((c) => c.includes('node_modules'))).toEqual(['--from=deps /app/node_modules ./node_modules']);
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'));
    for (const s of stages) {
      for (const copy of lines(s, 'COPY').filter((c) => !c.startsWith('--from='))) {
        const sources = copy.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1);
        for (const source of sources) {
          expect(existsSync(join(root, source)), `COPY ${source}`).toBe(true);
          const top = source.replace(/^\.\//, '').split('/')[0]!;
          expect(ignored, `.dockerignore must not drop ${source}`).not.toContain(top);
        }
      }
    }
    // What must never reach the build context.
    expect(ignored).toEqual(expect.arrayContaining(['.env', 'node_modules', 'dist', 'data', '.git']));
  });

  it('runs the entry tsc builds, with the migrations where the built code looks for them', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(join(root, 'src/main.ts'))).toBe(true);
    const cmd = execForm(lines(runtime, 'CMD').at(-1)!);
    expect(cmd.at(-1)).toBe('dist/main.js');
    // The same node flags as `npm run start:built`.
    expect(cmd.join(' ')).toBe(JSON.parse(read('package.json')).scripts['start:built']);

    // dist/ is ES modules: node needs package.json ("type": "module") beside it.
    expect(JSON.parse(read('package.json')).type).toBe('module');
    expect(lines(runtime, 'COPY')).toContain('package.json ./');
    const app = workdir(runtime);
    expect(workdir(stage('build'))).toBe(app);
    expect(lines(runtime, 'COPY')).toContain(`--from=build ${app}/dist ./dist`);
    // src/db/client.ts finds migrations/ from its own file: in the image, dist/db/client.js.
    const fromBuiltClient = posix.resolve(app, 'dist/db', relative(join(root, 'src/db'), migrationsFolder));
    const copied = lines(runtime, 'COPY').find((c) => c.startsWith('migrations '))!;
    expect(copied).toBeDefined();
    expect(posix.resolve(app, copied.split(/\s+/)[1]!)).toBe(fromBuiltClient);
  });

  it('runs as a non-root user, stops on SIGTERM, and exposes the port the app listens on by default', () => {
    const users = lines(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    // Nothing runs as root after the switch.
    const after = runtime.body.slice(runtime.body.findIndex((i) => i.keyword === 'USER'));
    expect(after.filter((i) => i.keyword === 'RUN' || i.keyword === 'COPY')).toEqual([]);
    expect(lines(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(lines(runtime, 'EXPOSE')).toEqual(['3000']);
  });

  describe('HEALTHCHECK, run with plain node as Docker would', () => {
    let server: Server | undefined;
    afterEach(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    });

    const healthcheck = () => {
      const text = lines(runtime, 'HEALTHCHECK').at(-1)!;
      const m = /^(?:--\S+\s+)*CMD\s+(\[.*\])$/.exec(text);
      expect(m, text).not.toBeNull();
      const command = execForm(m![1]!);
      expect(command[0]).toBe('node');
      return command;
    };
    /** Exit code of the health check against `port`. */
    const check = async (port: number): Promise<number> => {
      const [, ...args] = healthcheck();
      try {
        await promisify(execFile)(process.execPath, args, { env: { PATH: process.env.PATH ?? '', PORT: String(port) } });
        return 0;
      } catch (e) {
        return (e as { code?: number }).code ?? -1;
      }
    };
    /** The app's own /healthz route, with a database that answers or not. */
    const serve = async (databaseUp: boolean): Promise<number> => {
      const ping = async () => {
        if (!databaseUp) throw new Error('database down');
      };
      server = createServer(routeHandler([healthRoute(ping)], () => {}));
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    };

    it('passes when /healthz answers 200', async () => {
      expect(await check(await serve(true))).toBe(0);
    });

    it('fails when the database does not answer (503) or nothing listens', async () => {
      expect(await check(await serve(false))).toBe(1);
      const port = (server!.address() as AddressInfo).port;
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
      expect(await check(port)).toBe(1);
    });
  });
});
