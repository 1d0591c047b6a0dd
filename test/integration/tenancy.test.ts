import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTokenCipher } from '../../src/crypto/token-cipher.ts';
import { rowsOf } from '../../src/db/client.ts';
import { identities } from '../../src/db/schema.ts';
import { connectWorkspace, findLink, rememberPlatformWorkspace } from '../../src/workspaces/links.ts';
import { appPerTest } from '../support/lifecycle.ts';
import { ADMIN, approvalEvent, approvalMessage, approvalMessages, ENCRYPTION_KEY, PLATFORM_TOKEN, PUBLIC_CHANNEL, TEAM, type Harness } from '../support/harness.ts';
import type { TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let h: Harness;
appPerTest((ctx) => ({ db, h } = ctx));

const cipher = createTokenCipher([Buffer.from(ENCRYPTION_KEY, 'base64')]);
const TENANTS = 200;
/** Where TEAM, the team this app serves, falls among the connected teams. */
const TEAM_INDEX = 137;

interface Tenant {
  teamId: string;
  token: string;
  workspaceId: string;
  domainId: string;
}

/** `TENANTS` Slack teams, TEAM among them, each connected through the links module to its own platform workspace. */
async function connectTenants(): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const teamId = i === TEAM_INDEX ? TEAM.id : `T0TENANT${String(i).padStart(3, '0')}`;
    const token = `plat_tenant_${String(i).padStart(3, '0')}_token_0123456789`;
    const added = h.api.addWorkspace({ token, domains: [{ name: `tenant${i}.example`, status: 'verified' }] });
    await connectWorkspace({ db: db.db, cipher }, { teamId, enterpriseId: null, token, permission: 'everyone', userId: ADMIN });
    h.secrets.push(token);
    tenants.push({ teamId, token, workspaceId: added.workspaceId, domainId: added.domains[0]!.id });
  }
  return tenants;
}

/** An identity created at the platform by another front end, approved in TEAM's public channel. */
async function createElsewhere(token: string, domainId: string, localPart: string): Promise<{ id: string; workspace_id: string }> {
  const channel = h.slack.channel(PUBLIC_CHANNEL.id)!;
  if (!channel.members.includes(TEAM.botUserId)) channel.members.push(TEAM.botUserId);
  const res = await fetch(`${h.api.url}/v1/identities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ domain_id: domainId, local_part: localPart, display_name: localPart, approval_channel: { type: 'slack', team_id: TEAM.id, channel_id: PUBLIC_CHANNEL.id, channel_name: PUBLIC_CHANNEL.name } }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; workspace_id: string };
}

/** Delivers a request for `identity` and returns the status and the platform calls it caused. */
async function deliverFor(identity: { id: string; workspace_id: string }) {
  const before = h.api.requests.length;
  const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspace_id });
  const { status } = await h.deliver(event);
  const calls = h.api.requests.slice(before).map((r) => ({ call: `${r.method} ${r.path}`, authorization: r.headers.authorization }));
  return { status, calls, approvalId: event.data.approval_id };
}

/** Each link's platform workspace, read with SQL rather than through the app's code. */
async function learnedWorkspaces(): Promise<Map<string, string | null>> {
  const rows = rowsOf<{ team_id: string; platform_workspace_id: string | null }>(await db.db.execute(sql`select team_id, platform_workspace_id from workspace_links`));
  return new Map(rows.map((r) => [r.team_id, r.platform_workspace_id]));
}

// Connecting 200 teams takes seconds on a cold, shared machine.
describe('an approval event for an identity the app has not mirrored, with 200 connected workspaces', { timeout: 60_000 }, () => {
  it('makes one GET /v1/identities/{id} once every link’s platform workspace is known, and posts the approval', async () => {
    const tenants = await connectTenants();
    for (const tenant of tenants) await rememberPlatformWorkspace(db.db, await findLink(db.db, tenant.teamId), tenant.workspaceId);
    // Not yet known, and stored under a key the app no longer has: a token that is not
    // needed is not decrypted, so it does not get in the way.
    const lostKey = createTokenCipher([Buffer.alloc(32, 5)]);
    await connectWorkspace({ db: db.db, cipher: lostKey }, { teamId: 'T0LOSTKEY', enterpriseId: null, token: 'plat_under_a_lost_key_0000', permission: 'everyone', userId: ADMIN });
    const team = tenants[TEAM_INDEX]!;
    const identity = await createElsewhere(team.token, team.domainId, 'elsewhere');

    const { status, calls, approvalId } = await deliverFor(identity);
    expect(status).toBe(202);
    expect(calls).toEqual([{ call: `GET /v1/identities/${identity.id}`, authorization: `Bearer ${team.token}` }]);
    await h.drain();
    expect(approvalMessage(h.slack, PUBLIC_CHANNEL.id, approvalId)).toBeDefined();
  });

  it('asks each link not yet known for its workspace once, learning it even when it is not the event’s, and then needs one call', async () => {
    const tenants = await connectTenants();
    const team = tenants[TEAM_INDEX]!;
    // Every tenant workspace but TEAM's holds an identity, which is what tells a token's workspace.
    for (const [i, tenant] of tenants.entries()) if (i !== TEAM_INDEX) await createElsewhere(tenant.token, tenant.domainId, `tenant${i}`);
    // A platform workspace no team connected; its identity names TEAM's channel all the same.
    const strangerToken = 'plat_stranger_token_abcdef0123456';
    const stranger = h.api.addWorkspace({ token: strangerToken, domains: [{ name: 'stranger.example', status: 'verified' }] });
    h.secrets.push(strangerToken);

    const first = await deliverFor(await createElsewhere(strangerToken, stranger.domains[0]!.id, 'stranger'));
    expect(first.status).toBe(404);
    // Each link lists one identity; none is of the event's workspace, so only the default
    // token is asked for the identity itself.
    expect(first.calls.filter((c) => c.call === 'GET /v1/identities').map((c) => c.authorization).sort()).toEqual(tenants.map((t) => `Bearer ${t.token}`).sort());
    expect(first.calls.filter((c) => c.call !== 'GET /v1/identities')).toEqual([{ call: expect.stringMatching(/^GET \/v1\/identities\/[0-9a-f-]{36}$/), authorization: `Bearer ${PLATFORM_TOKEN}` }]);
    const learned = await learnedWorkspaces();
    // TEAM's workspace had no identity to tell it.
    for (const tenant of tenants) expect(learned.get(tenant.teamId)).toBe(tenant.teamId === TEAM.id ? null : tenant.workspaceId);

    // Only TEAM's link is left to ask: once for its workspace, once for the identity.
    const second = await deliverFor(await createElsewhere(team.token, team.domainId, 'second'));
    expect(second.status).toBe(202);
    expect(second.calls.map((c) => [c.call.replace(/[0-9a-f-]{36}$/, '{id}'), c.authorization])).toEqual([
      ['GET /v1/identities', `Bearer ${team.token}`],
      ['GET /v1/identities/{id}', `Bearer ${team.token}`],
    ]);
    expect((await learnedWorkspaces()).get(TEAM.id)).toBe(team.workspaceId);

    const third = await deliverFor(await createElsewhere(team.token, team.domainId, 'third'));
    expect(third.status).toBe(202);
    expect(third.calls).toEqual([{ call: expect.stringMatching(/^GET \/v1\/identities\/[0-9a-f-]{36}$/), authorization: `Bearer ${team.token}` }]);
    await h.drain();
    expect(approvalMessages(h.slack, PUBLIC_CHANNEL.id)).toHaveLength(2);
  });

  it('does not serve an identity whose approval channel names a team linked to another platform workspace', async () => {
    const tenants = await connectTenants();
    for (const tenant of tenants) await rememberPlatformWorkspace(db.db, await findLink(db.db, tenant.teamId), tenant.workspaceId);
    // Tenant 5's own identity, routed to TEAM's channel by naming TEAM's id.
    const intruder = tenants[5]!;
    const { status, calls } = await deliverFor(await createElsewhere(intruder.token, intruder.domainId, 'intruder'));
    expect(status).toBe(404);
    expect(calls.map((c) => c.authorization)).toEqual([`Bearer ${intruder.token}`, `Bearer ${PLATFORM_TOKEN}`]);
    expect(await db.db.select().from(identities)).toEqual([]);
    await h.drain();
    expect(approvalMessages(h.slack, PUBLIC_CHANNEL.id)).toEqual([]);
  });
});
