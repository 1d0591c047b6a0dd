import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import { jsonLines } from './logging/json-lines.ts';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFormat = 'text' | 'json';

/** The ids in play, carried by every line of a logger made with `with()`. Undefined values are left out. */
export interface LogFields {
  team?: string | undefined;
  approval?: string | undefined;
  job?: number | string | undefined;
  [key: string]: string | number | undefined;
}

export interface Logger extends BoltLogger {
  child(name: string): Logger;
  /** The same module, with these ids on every line (added to the ones it already carries). */
  with(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: Level;
  /** `text` (default): `time level module [ids]: message`; `json`: one JSON object a line. */
  format?: LogFormat;
  name?: string;
  /** Values replaced by "[redacted]" wherever they appear in a line (tokens, secrets). */
  secrets?: () => readonly string[];
  /** One line, without its newline; standard error when not given. */
  write?: (line: string) => void;
}

/** Writes one event of one module; made once per logger, called per line. */
export type LineWriter = (at: Level, message: string) => void;
/** Makes the writer of one module with its ids (a format: text or json). */
export type LinesFor = (module: string, fields: LogFields) => LineWriter;

/** Slack and API tokens have recognisable prefixes; redact them even when nobody registered them. */
const TOKEN_PATTERN = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)\b/g;

function render(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}

function redactor(secrets: (() => readonly string[]) | undefined): (text: string) => string {
  return (text) => {
    let out = text.replace(TOKEN_PATTERN, '[redacted]');
    for (const secret of secrets?.() ?? []) {
      if (secret.length >= 8) out = out.split(secret).join('[redacted]');
    }
    return out;
  };
}

/** ` [team=T1 job=42]`: short enough to keep the line readable, quoted only when a value has spaces. */
function compactFields(fields: LogFields): string {
  const parts = Object.entries(fields).map(([key, value]) => {
    const text = String(value);
    return `${key}=${/[\s"\]]/.test(text) ? JSON.stringify(text) : text}`;
  });
  return parts.length > 0 ? ` [${parts.join(' ')}]` : '';
}

function textLines(write: (line: string) => void, redact: (text: string) => string): LinesFor {
  return (module, fields) => {
    const label = module + compactFields(fields);
    return (at, message) => write(redact(`${new Date().toISOString()} ${at} ${label}: ${message}`));
  };
}

function definedOnly(fields: LogFields): LogFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as LogFields;
}

/**
 * One line per call: `time level module: message` (text) or a JSON object (json). Implements
 * Bolt's Logger so Bolt logs through it too. Secrets are redacted in both formats.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = redactor(options.secrets);
  const linesFor =
    options.format === 'json'
      ? jsonLines(options.write, redact)
      : textLines(options.write ?? ((line: string) => process.stderr.write(`${line}\n`)), redact);
  return makeLogger(linesFor, options.level, options.name ?? 'app', {});
}

function makeLogger(linesFor: LinesFor, initialLevel: Level, initialName: string, fields: LogFields): Logger {
  let level = initialLevel;
  let name = initialName;
  // Made at the first line written: a `with()` logger per request often writes none.
  let line: LineWriter | undefined;

  const emit = (at: Level, args: unknown[]) => {
    if (rank[at] < rank[level]) return;
    line ??= linesFor(name, fields);
    line(at, args.map(render).join(' '));
  };

  return {
    debug: (...args) => emit('debug', args),
    info: (...args) => emit('info', args),
    warn: (...args) => emit('warn', args),
    error: (...args) => emit('error', args),
    setLevel: (l: LogLevel) => {
      level = l as Level;
    },
    getLevel: () => level as LogLevel,
    // Bolt's web-api and socket-mode clients rename the logger they are given.
    setName: (n: string) => {
      name = n;
      line = undefined;
    },
    child: (childName: string) => makeLogger(linesFor, level, `${name}:${childName}`, fields),
    with: (more: LogFields) => makeLogger(linesFor, level, name, { ...fields, ...definedOnly(more) }),
  };
}
