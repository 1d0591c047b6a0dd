import { createRequire } from 'node:module';
import type pinoModule from 'pino';
import type { Level, LinesFor } from '../logger.ts';

/**
 * JSON lines through pino: `{"level":"info","time":"…","pid":…,"hostname":"…","module":"app:jobs","job":"42","msg":"…"}`.
 * Values are redacted before pino sees them (the message per line, the fields once per logger),
 * so a replacement can never break the JSON around it.
 */
export function jsonLines(write: ((line: string) => void) | undefined, redact: (text: string) => string): LinesFor {
  // Loading pino costs about 35 ms and 8 MB, so only LOG_FORMAT=json pays for it.
  const pino = createRequire(import.meta.url)('pino') as typeof pinoModule;
  const root = pino(
    {
      // Our Logger filters by level before rendering anything; pino writes whatever reaches it.
      level: 'debug',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous, so the line before a process.exit() is not lost.
    write ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) } : pino.destination({ dest: 2, sync: true }),
  );
  return (module, fields) => {
    const redacted = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? redact(value) : value]));
    const child = root.child({ ...redacted, module: redact(module) });
    return (at: Level, message: string) => child[at](redact(message));
  };
}
