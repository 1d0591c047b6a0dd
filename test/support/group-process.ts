import { spawn } from 'node:child_process';
import { expect, inject } from 'vitest';
import { liveMembers, recordStarted, RUN_MARKER, signalGroup } from './process-groups.ts';

/** A command the test started as the leader of its own process group. */
export interface GroupProcess {
  readonly pid: number;
  /** Everything written to stdout and stderr so far, interleaved. */
  output(): string;
  stdout(): string;
  /** Signals every process of the group, so the program itself gets it, not only a wrapper (npm, sh, tsx). */
  kill(signal: NodeJS.Signals): void;
  /** The command's exit code (null when a signal ended it), once no process of its group is left. */
  exited: Promise<number | null>;
}

function processRegistry() {
  const registry = inject('processRegistry');
  if (!registry) throw new Error('no process registry: run the tests with vitest.config.ts or vitest.faults.config.ts (globalSetup test/support/process-check-setup.ts)');
  return registry;
}

const groupGone = async (pgid: number): Promise<void> => {
  const registry = processRegistry();
  while (liveMembers(registry, pgid).length > 0) await new Promise((r) => setTimeout(r, 20));
};

/**
 * Starts `command` in its own process group and records it, so the check at the end of the
 * run (test/support/process-check-setup.ts) fails the run if any of its processes outlive it.
 */
export function startInGroup(command: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }): GroupProcess {
  const registry = processRegistry();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...options.env, [RUN_MARKER]: registry.runId },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let stdout = '';
  child.on('error', (e) => (out += `could not start ${command}: ${e.message}\n`));
  if (child.pid === undefined) throw new Error(`could not start ${command} ${args.join(' ')}`);
  const pgid = child.pid;
  const { testPath, currentTestName } = expect.getState();
  recordStarted(registry, { pgid, command: [command, ...args].join(' '), startedBy: `${testPath ?? 'an unknown file'} › ${currentTestName ?? '(a hook)'}` });
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return {
    pid: pgid,
    output: () => out,
    stdout: () => stdout,
    kill: (signal) => void signalGroup(pgid, signal),
    // 'close' comes after the output is read; the group may still hold processes the command left behind.
    exited: new Promise((resolve) => child.on('close', (code) => void groupGone(pgid).then(() => resolve(code)))),
  };
}

/** Kills whatever is left of these groups (a test that failed half-way) and waits until they are gone. */
export async function stopAll(processes: readonly GroupProcess[]): Promise<void> {
  for (const p of processes) p.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
}
