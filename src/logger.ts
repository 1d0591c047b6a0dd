import type { Logger as BoltLogger } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger extends BoltLogger {
  child(name: string): Logger;
}

export interface LoggerOptions {
  level: Level;
  name?: string;
  /** Values replaced by "[redacted]" wherever they appear in a line (tokens, secrets). */
  secrets?: () => readonly string[];
  write?: (line: string) => void;
}

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

/** One line per call, `time level name: message`; implements Bolt's Logger so Bolt logs through it too. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  let level: Level = options.level;
  let name = options.name ?? 'app';

  const redact = (line: string): string => {
    let out = line.replace(TOKEN_PATTERN, '[redacted]');
    for (const secret of options.secrets?.() ?? []) {
      if (secret.length >= 8) out = out.split(secret).join('[redacted]');
    }
    return out;
  };

  const emit = (at: Level, args: unknown[]) => {
    if (rank[at] < rank[level]) return;
    write(redact(`${new Date().toISOString()} ${at} ${name}: ${args.map(render).join(' ')}`));
  };

  const logger: Logger = {
    debug: (...args) => emit('debug', args),
    info: (...args) => emit('info', args),
    warn: (...args) => emit('warn', args),
    error: (...args) => emit('error', args),
    setLevel: (l: LogLevel) => {
      level = l as Level;
    },
    getLevel: () => level as LogLevel,
    setName: (n: string) => {
      name = n;
    },
    child: (childName: string) => createLogger({ ...options, level, name: `${name}:${childName}`, write }),
  };
  return logger;
}
