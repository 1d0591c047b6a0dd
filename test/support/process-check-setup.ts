import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { liveMembers, readStarted, signalGroup, type ProcessRegistry } from './process-groups.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    processRegistry: ProcessRegistry;
  }
}

/**
 * vitest globalSetup: a registry of the processes the tests start, and at the end of the
 * run a check that none is still alive. A survivor is killed and named, and the run fails.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'test-processes-'));
  const registry: ProcessRegistry = { file: join(dir, 'started.jsonl'), runId: basename(dir) };
  project.provide('processRegistry', registry);
  return () => {
    const survivors = readStarted(registry)
      .map((group) => ({ ...group, live: liveMembers(registry, group.pgid) }))
      .filter((group) => group.live.length > 0);
    for (const group of survivors) signalGroup(group.pgid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    if (survivors.length > 0) {
      // vitest only logs an error thrown from a teardown ("error during close") and still exits 0.
      process.exitCode = 1;
      const named = survivors.map((g) => `- \`${g.command}\` started by ${g.startedBy}: ${g.live.map((p) => `pid ${p.pid} (${p.args})`).join(', ')}`);
      throw new Error(`processes started by the tests were still running at the end of the run (now killed):\n${named.join('\n')}`);
    }
  };
}
