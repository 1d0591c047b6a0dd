import { spawnSync } from 'node:child_process';
import type { Logger as BoltLogger } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogFormat, type LoggerOptions } from '../../src/logger.ts';

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', ...options, write: (line) => lines.push(line) });
  return { logger, lines };
}

/** A JSON line as an object; fails the test when the line is not one JSON object. */
function parsed(line: string): Record<string, unknown> {
  const value: unknown = JSON.parse(line);
  expect(value).toBeTypeOf('object');
  return value as Record<string, unknown>;
}

describe('text format (the default)', () => {
  it('writes `time level module: message`, the arguments joined by spaces', () => {
    const { logger, lines } = capture();
    logger.info('listening on port', 3000, { mode: 'HTTP' });
    expect(lines).toHaveLength(1);
    const [time, rest] = [lines[0]!.slice(0, 24), lines[0]!.slice(24)];
    expect(time).toMatch(ISO_TIME);
    expect(rest).toBe(' info app: listening on port 3000 {"mode":"HTTP"}');
  });

  it('names children after their parent and shows the ids in play compactly', () => {
    const { logger, lines } = capture();
    const jobs = logger.child('jobs');
    jobs.with({ team: 'T1', job: '42' }).warn('job retry');
    jobs.with({ team: 'T1' }).with({ approval: 'apr 1', job: undefined }).child('post').error('failed');
    jobs.info('no ids');
    expect(lines.map((l) => l.slice(25))).toEqual([
      'warn app:jobs [team=T1 job=42]: job retry',
      'error app:jobs:post [team=T1 approval="apr 1"]: failed',
      'info app:jobs: no ids',
    ]);
  });

  it('keeps an error\'s stack', () => {
    const { logger, lines } = capture();
    logger.error('stopping the app failed', new Error('socket hang up'));
    expect(lines[0]).toMatch(/ error app: stopping the app failed Error: socket hang up\n\s+at /);
  });
});

describe('json format', () => {
  it('writes one JSON object a line with level, time, module and msg', () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.info('listening on port', 3000, { mode: 'HTTP' });
    logger.error('stopping the app failed', new Error('socket hang up'));
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    const [info, error] = lines.map(parsed);
    expect(info).toMatchObject({ level: 'info', module: 'app', msg: 'listening on port 3000 {"mode":"HTTP"}', pid: process.pid });
    expect(info!.time).toMatch(ISO_TIME);
    expect(error).toMatchObject({ level: 'error', module: 'app', msg: expect.stringMatching(/^stopping the app failed Error: socket hang up\n\s+at /) });
  });

  it('carries the ids in play as fields, inherited by children, undefined ones left out', () => {
    const { logger, lines } = capture({ format: 'json' });
    const job = logger.child('jobs').with({ team: 'T1', job: '42', approval: undefined });
    job.warn('job retry');
    job.child('post').with({ approval: 'apr_1' }).info('posted');
    logger.info('plain');
    const [retry, posted, plain] = lines.map(parsed);
    expect(retry).toMatchObject({ level: 'warn', module: 'app:jobs', team: 'T1', job: '42', msg: 'job retry' });
    expect(retry).not.toHaveProperty('approval');
    expect(posted).toMatchObject({ module: 'app:jobs:post', team: 'T1', job: '42', approval: 'apr_1', msg: 'posted' });
    expect(plain).not.toHaveProperty('team');
  });

  it('writes a message with format characters as it is', () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.info('100%s done %d', '%j');
    expect(parsed(lines[0]!).msg).toBe('100%s done %d %j');
  });
});

describe.each<LogFormat>(['text', 'json'])('either format (%s)', (format) => {
  it('is Bolt\'s Logger: levels filter, and the clients\' setName renames the module', () => {
    const { logger, lines } = capture({ format, level: 'info' });
    const bolt: BoltLogger = logger.child('bolt');
    bolt.debug('hidden');
    bolt.setLevel(LogLevel.DEBUG);
    expect(bolt.getLevel()).toBe(LogLevel.DEBUG);
    bolt.debug('shown');
    logger.debug('still hidden: the parent keeps its level');
    bolt.setName('web-api:WebClient:0');
    bolt.warn('renamed');
    expect(lines).toHaveLength(2);
    const text = lines.join('\n');
    expect(text).toContain('app:bolt');
    expect(text).toContain('shown');
    expect(text).toContain('web-api:WebClient:0');
    expect(text).not.toContain('hidden');
  });

  it('redacts registered secrets and Slack tokens in messages, errors and ids', () => {
    const secrets = ['registered-secret-0123', 'short', 'quote"and\\slash-secret'];
    const { logger, lines } = capture({ format, secrets: () => secrets });
    logger.info('token xoxb-1111-2222-abcdef and xapp-1-A0-99 and xoxp-9-user in a short message');
    logger.error('request failed', new Error('bad auth registered-secret-0123'), { authorization: 'Bearer registered-secret-0123' });
    logger.with({ team: 'registered-secret-0123' }).warn('quote"and\\slash-secret');
    // Registered later (a token connected at runtime): redacted from then on.
    secrets.push('connected-later-token-99');
    logger.info('connected-later-token-99');
    const all = lines.join('\n');
    for (const leaked of ['xoxb-1111', 'xapp-1-A0', 'xoxp-9', 'registered-secret-0123', 'quote"and', 'quote\\"and', 'connected-later-token-99']) expect(all).not.toContain(leaked);
    // Values shorter than 8 characters would redact ordinary words.
    expect(all).toContain('short message');
    expect(all.match(/\[redacted\]/g)?.length).toBe(8);
    if (format === 'json') {
      const objects = lines.map(parsed);
      expect(objects[0]!.msg).toBe('token [redacted] and [redacted] and [redacted] in a short message');
      expect(objects[2]).toMatchObject({ team: '[redacted]', msg: '[redacted]' });
    }
  });
});

describe('loading', () => {
  it('loads pino only for the json format, so the default pays nothing for it', () => {
    const script = (format: LogFormat) => `
      import { createRequire } from 'node:module';
      const { createLogger } = await import('./src/logger.ts');
      createLogger({ level: 'info', format: '${format}', write: () => {} }).info('x');
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes('/node_modules/pino/'));
      process.stdout.write(String(loaded));`;
    const run = (format: LogFormat) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(format)], { cwd: new URL('../../', import.meta.url).pathname, encoding: 'utf8' });
    const [text, json] = [run('text'), run('json')];
    expect([text.stderr, json.stderr]).toEqual(['', '']);
    expect([text.stdout, json.stdout]).toEqual(['false', 'true']);
  });
});
