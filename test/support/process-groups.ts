import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The process groups the tests start, written down so the suite can check at its end that
 * none outlived it. Each started command leads its own group: a signal sent to the group
 * reaches the program itself, not only a wrapper (npm, sh, tsx) that may die without
 * passing it on.
 */

/** Set in every started process's environment; tells this run's processes from others in a reused group id. */
export const RUN_MARKER = 'TEST_PROCESS_RUN';

export interface ProcessRegistry {
  /** One JSON line per started group, appended by every test worker. */
  file: string;
  /** This run's value of RUN_MARKER. */
  runId: string;
}

const StartedGroup = z.object({ pgid: z.number().int().positive(), command: z.string(), startedBy: z.string() });
export type StartedGroup = z.infer<typeof StartedGroup>;

export function recordStarted(registry: ProcessRegistry, group: StartedGroup): void {
  // One short line per append: appends from several workers do not interleave.
  appendFileSync(registry.file, `${JSON.stringify(group)}\n`);
}

export function readStarted(registry: ProcessRegistry): StartedGroup[] {
  if (!existsSync(registry.file)) return [];
  return readFileSync(registry.file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => StartedGroup.parse(JSON.parse(line)));
}

export interface LiveProcess {
  pid: number;
  args: string;
}

const readOrUndefined = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended while we looked
  }
};

/**
 * The processes of this run still alive in a group. A zombie has ended (only its parent's
 * wait is missing), so it does not count. Without /proc, any member of the group counts.
 */
export function liveMembers(registry: ProcessRegistry, pgid: number): LiveProcess[] {
  if (!existsSync('/proc/self/stat')) return groupHasMembers(pgid) ? [{ pid: pgid, args: '(a member of the group)' }] : [];
  const live: LiveProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrUndefined(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) !== pgid || state === 'Z' || state === 'X') continue;
    const environ = readOrUndefined(`/proc/${entry}/environ`) ?? '';
    if (!environ.split('\0').includes(`${RUN_MARKER}=${registry.runId}`)) continue;
    live.push({ pid: Number(entry), args: (readOrUndefined(`/proc/${entry}/cmdline`) ?? '').replaceAll('\0', ' ').trim() });
  }
  return live;
}

function groupHasMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to every process of the group; false when none was left to receive it. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}
