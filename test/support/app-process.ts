import { signPayload } from '../../src/approvals/webhook-signature.ts';
import type { ApprovalEvent } from '../../src/platform/schemas.ts';
import type { AddedWorkspace, FakeIdentitiesApi } from './fake-identities-api.ts';
import type { FakeSlack } from './fake-slack.ts';
import { startInGroup, type GroupProcess } from './group-process.ts';
import { PLATFORM_TOKEN, PUBLIC_CHANNEL, SIGNING_SECRET, TEAM, WEBHOOK_SECRET } from './harness.ts';

const root = new URL('../../', import.meta.url).pathname;

/** The app as its own process; kill() signals its whole process group, so the app itself gets the signal. */
export type AppProcess = GroupProcess;

/**
 * The app as its own process, with only the given environment: `npm start` exactly, or
 * `node --import tsx src/main.ts` (the same program, one process).
 */
export function startAppProcess(env: Record<string, string>, via: 'npm' | 'node' = 'node'): AppProcess {
  const [cmd, args] = via === 'npm' ? ['npm', ['start', '--silent']] : [process.execPath, ['--import', 'tsx', 'src/main.ts']];
  return startInGroup(cmd as string, args as string[], { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
}

/** The environment of an app wired to the fakes, single-workspace mode. */
export function appEnv(opts: { slack: FakeSlack; api: FakeIdentitiesApi; databaseUrl: string; port: number; extra?: Record<string, string> }): Record<string, string> {
  return {
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: TEAM.botToken,
    SLACK_API_URL: opts.slack.apiUrl,
    IDENTITIES_API_URL: opts.api.url,
    IDENTITIES_API_TOKEN: PLATFORM_TOKEN,
    APPROVAL_WEBHOOK_SECRET: WEBHOOK_SECRET,
    DATABASE_URL: opts.databaseUrl,
    PORT: String(opts.port),
    ...opts.extra,
  };
}

export const randomPort = () => 20000 + Math.floor(Math.random() * 20000);

/** An identity created at the fake platform (not in any app's mirror), approved in the public channel. */
export async function createPlatformIdentity(api: FakeIdentitiesApi, workspace: AddedWorkspace): Promise<{ id: string; workspace_id: string }> {
  const res = await fetch(`${api.url}/v1/identities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PLATFORM_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      domain_id: workspace.domains[0]!.id,
      local_part: 'support',
      display_name: 'Support',
      approval_channel: { type: 'slack', team_id: TEAM.id, channel_id: PUBLIC_CHANNEL.id, channel_name: PUBLIC_CHANNEL.name },
    }),
  });
  if (res.status !== 201) throw new Error(`creating an identity at the fake platform failed: ${res.status}`);
  return (await res.json()) as { id: string; workspace_id: string };
}

/** A signed webhook delivery; the HTTP status, or 0 when the app did not answer at all. */
export async function deliverTo(port: number, event: ApprovalEvent): Promise<number> {
  const raw = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000);
  const res = await fetch(`http://127.0.0.1:${port}/webhooks/approvals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': `t=${t},v1=${signPayload(WEBHOOK_SECRET, t, raw)}` },
    body: raw,
  }).catch(() => undefined);
  return res?.status ?? 0;
}
