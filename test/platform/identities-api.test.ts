import { createServer } from 'node:http';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPlatformError, type PlatformError } from '../../src/platform/errors.ts';
import { createIdentitiesApi, type IdentitiesApi, type IdentitiesApiOptions } from '../../src/platform/identities-api.ts';
import type { Decision, Identity, IdentityCreate } from '../../src/platform/schemas.ts';
import { startFakeIdentitiesApi, type AddedWorkspace, type FakeIdentitiesApi } from '../support/fake-identities-api.ts';

/** Distinctive, so a leak into a message or a log line is easy to spot. */
const TOKEN = 'sk_test_Zq8vN3xK5pL2mR7t';
const APPROVAL_ID = '0b7e3c1a-9d2f-4e8b-a6c5-1f2e3d4c5b6a';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

let fake: FakeIdentitiesApi;
let ws: AddedWorkspace;
let logs: string[];
const opened: IdentitiesApi[] = [];

beforeAll(async () => {
  fake = await startFakeIdentitiesApi();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  logs = [];
  ws = fake.addWorkspace({
    token: TOKEN,
    domains: [{ name: 'acme.com', status: 'verified' }],
    assistants: [{ name: 'Ava' }],
  });
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((api) => api.close()));
  // Whatever a test did, the token never reached the logger.
  expect(logs.join('\n')).not.toContain(TOKEN);
});

/** A client on the fake with no retries and a capturing logger unless a test says otherwise. */
function client(overrides: Partial<IdentitiesApiOptions> = {}): IdentitiesApi {
  const capture = (msg: string, ...args: unknown[]) => logs.push([msg, ...args.map((a) => (a instanceof Error ? a.stack : JSON.stringify(a)))].join(' '));
  const api = createIdentitiesApi({
    baseUrl: fake.url,
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 50 },
    logger: { debug: capture, warn: capture },
    ...overrides,
  });
  opened.push(api);
  return api;
}

function newIdentity(overrides: Partial<IdentityCreate> = {}): IdentityCreate {
  const domain = ws.domains[0];
  if (!domain) throw new Error('fixture has no domain');
  return {
    domain_id: domain.id,
    local_part: 'support',
    display_name: 'Acme Support',
    approval_channel: { type: 'slack', team_id: 'T0001', channel_id: 'C0001', channel_name: 'approvals' },
    ...overrides,
  };
}

const approve: Decision = { decision: 'approve', decided_by: { type: 'slack', team_id: 'T0001', user_id: 'U0001' } };

/** The PlatformError a call rejects with; fails the test if it resolves or throws anything else. */
async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (error) {
    if (isPlatformError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('createIdentity', () => {
  it('sends the bearer token, JSON body and Idempotency-Key, and returns the validated identity', async () => {
    const identity = await client().createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-1' });
    expect(identity).toMatchObject({
      email_address: 'support@acme.com',
      workspace_id: ws.workspaceId,
      approval_channel: { type: 'slack', channel_id: 'C0001' },
    });
    const [sent] = fake.requestsTo('POST', '/v1/identities');
    expect(sent?.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'view-1' });
    expect(sent?.body).toEqual(newIdentity());
  });

  it('accepts 200 as well as 201', async () => {
    const api = client();
    const created = await api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-1' });
    fake.failNext('POST /v1/identities', { status: 200, body: created });
    expect(await api.createIdentity(TOKEN, newIdentity({ local_part: 'other' }), { idempotencyKey: 'view-2' })).toEqual(created);
  });
});

describe('updateIdentity', () => {
  it('sends a PATCH with only the given fields and returns the validated identity', async () => {
    const api = client();
    const created = await api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-1' });
    const channel = { type: 'slack' as const, team_id: 'T0001', channel_id: 'C0002', channel_name: 'moved', kept_key: 'theirs' };
    const updated = await api.updateIdentity(TOKEN, created.id, { display_name: 'Help', approval_channel: channel }, { idempotencyKey: 'edit-1' });
    expect(updated).toMatchObject({ id: created.id, display_name: 'Help', approval_channel: channel });
    const [sent] = fake.requestsTo('PATCH', `/v1/identities/${created.id}`);
    expect(sent?.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'edit-1' });
    expect(sent?.body).toEqual({ display_name: 'Help', approval_channel: channel });
  });

  it('sends no Idempotency-Key unless given one, and maps refusals like the other calls', async () => {
    const api = client();
    const created = await api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-1' });
    await api.updateIdentity(TOKEN, created.id, { signature_text: 'Bye' });
    expect(fake.requestsTo('PATCH', '/v1/identities/')[0]?.headers).not.toHaveProperty('idempotency-key');
    expect(await failure(api.updateIdentity(TOKEN, UNKNOWN_ID, { display_name: 'X' }))).toMatchObject({ kind: 'not_found', status: 404, operation: 'updateIdentity' });
    const invalid = await failure(api.updateIdentity(TOKEN, created.id, { display_name: '' }));
    expect(invalid).toMatchObject({ kind: 'validation', issues: [{ loc: ['body', 'display_name'], type: 'string_too_short' }] });
    fake.failNext('PATCH /v1/identities/{identity_id}', { status: 409, body: { detail: 'Identity changed' } });
    expect(await failure(api.updateIdentity(TOKEN, created.id, { display_name: 'X' }))).toMatchObject({ kind: 'conflict', detail: 'Identity changed' });
    fake.failNext('PATCH /v1/identities/{identity_id}', { status: 403 });
    expect(await failure(api.updateIdentity(TOKEN, created.id, { display_name: 'X' }))).toMatchObject({ kind: 'forbidden' });
    fake.failNext('PATCH /v1/identities/{identity_id}', { status: 502 });
    expect(await failure(api.updateIdentity(TOKEN, created.id, { display_name: 'X' }))).toMatchObject({ kind: 'server', retryable: true });
    fake.revokeToken(TOKEN);
    expect(await failure(api.updateIdentity(TOKEN, created.id, { display_name: 'X' }))).toMatchObject({ kind: 'unauthorized' });
  });

  it('retries a 503 and changes the identity once', async () => {
    const api = client({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } });
    const created = await api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-1' });
    fake.failNext('PATCH /v1/identities/{identity_id}', { status: 503 });
    expect(await api.updateIdentity(TOKEN, created.id, { thread_history_depth: 3 })).toMatchObject({ thread_history_depth: 3 });
    expect(fake.requestsTo('PATCH', '/v1/identities/')).toHaveLength(2);
  });
});

describe('errors are mapped by status', () => {
  it('401 → unauthorized, with the detail, for an unknown or revoked token', async () => {
    const api = client();
    const unknown = await failure(api.listDomains('sk_test_unknown'));
    expect(unknown).toMatchObject({ kind: 'unauthorized', status: 401, detail: 'Invalid token', retryable: false, operation: 'listDomains' });
    fake.revokeToken(TOKEN);
    expect(await failure(api.getIdentity(TOKEN, UNKNOWN_ID))).toMatchObject({ kind: 'unauthorized', status: 401 });
  });

  it('403 → forbidden', async () => {
    fake.failNext('POST /v1/identities', { status: 403, body: { detail: 'Token may not create identities' } });
    const error = await failure(client().createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'k' }));
    expect(error).toMatchObject({ kind: 'forbidden', status: 403, detail: 'Token may not create identities', retryable: false });
  });

  it('404 → not_found, for an unknown identity and for an unknown domain', async () => {
    const api = client();
    expect(await failure(api.getIdentity(TOKEN, UNKNOWN_ID))).toMatchObject({ kind: 'not_found', status: 404, detail: 'Identity not found' });
    const error = await failure(api.createIdentity(TOKEN, newIdentity({ domain_id: UNKNOWN_ID }), { idempotencyKey: 'k' }));
    expect(error).toMatchObject({ kind: 'not_found', detail: 'Domain not found' });
  });

  it('409 → conflict, with the server detail', async () => {
    const api = client();
    await api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'first' });
    const error = await failure(api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'second' }));
    expect(error).toMatchObject({ kind: 'conflict', status: 409, detail: 'Identity support@acme.com already exists', retryable: false });
  });

  it('422 → validation, with each issue loc, msg and type exactly as the server sent them', async () => {
    const error = await failure(client().createIdentity(TOKEN, newIdentity({ local_part: 'not valid!' }), { idempotencyKey: 'k' }));
    expect(error.kind).toBe('validation');
    expect(error.issues).toEqual([
      {
        loc: ['body', 'local_part'],
        msg: "String should match pattern '^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$'",
        type: 'string_pattern_mismatch',
      },
    ]);
  });

  it('422 keeps numeric loc entries as numbers and drops FastAPI extras like input', async () => {
    fake.failNext('POST /v1/identities', {
      status: 422,
      body: { detail: [{ loc: ['body', 'approval_channel', 'approver_user_ids', 1], msg: 'Input should be a valid string', type: 'string_type', input: 5 }] },
    });
    const error = await failure(client().createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'k' }));
    expect(error.issues).toEqual([{ loc: ['body', 'approval_channel', 'approver_user_ids', 1], msg: 'Input should be a valid string', type: 'string_type' }]);
  });

  it('429 → rate_limited, with Retry-After in seconds or as an HTTP date', async () => {
    const api = client();
    fake.failNext('GET /v1/domains', { status: 429, retryAfter: 7 });
    expect(await failure(api.listDomains(TOKEN))).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 7000, retryable: true });

    fake.failNext('GET /v1/domains', { status: 429, retryAfter: new Date(Date.now() + 30_000).toUTCString() });
    const dated = await failure(api.listDomains(TOKEN));
    expect(dated.retryAfterMs).toBeGreaterThan(27_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('5xx → server, retryable, even when the body is not JSON', async () => {
    fake.failNext('GET /v1/assistants', { status: 502, body: '<html>Bad Gateway</html>' });
    const error = await failure(client().listAssistants(TOKEN));
    expect(error).toMatchObject({ kind: 'server', status: 502, retryable: true });
    expect(error.detail).toBeUndefined();
  });

  it('another 4xx → client', async () => {
    fake.failNext('GET /v1/domains', { status: 400, body: { detail: 'Bad cursor' } });
    expect(await failure(client().listDomains(TOKEN))).toMatchObject({ kind: 'client', status: 400, detail: 'Bad cursor', retryable: false });
  });

  it('a 2xx body that breaks the schema, or is not JSON → bad_response, not retried', async () => {
    const api = client({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    fake.failNext('GET /v1/identities/{identity_id}', { status: 200, body: { id: UNKNOWN_ID, email_address: 42 } });
    expect(await failure(api.getIdentity(TOKEN, UNKNOWN_ID))).toMatchObject({ kind: 'bad_response', status: 200, retryable: false });
    fake.failNext('GET /v1/identities/{identity_id}', { status: 200, body: 'hello' });
    expect(await failure(api.getIdentity(TOKEN, UNKNOWN_ID))).toMatchObject({ kind: 'bad_response' });
    fake.failNext('GET /v1/domains', { status: 200, body: { data: [] } });
    expect(await failure(api.listDomains(TOKEN))).toMatchObject({ kind: 'bad_response' });
    expect(fake.requests).toHaveLength(3);
  });
});

describe('errors without a response', () => {
  // undici checks headersTimeout on a coarse clock (about every 0.5 s), so the latency is well above it.
  it('times out (kind timeout) when the headers take longer than headersMs, while the server still creates the identity', async () => {
    fake.setLatency('POST /v1/identities', 2_000);
    const api = client({ timeouts: { headersMs: 100 } });
    const error = await failure(api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-9' }));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('UND_ERR_HEADERS_TIMEOUT');
    expect(fake.identities(TOKEN)).toHaveLength(1);

    // Trying again later with the same key gets that identity, not a second one or a 409.
    fake.setLatency('POST /v1/identities', 0);
    const identity = await api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-9' });
    expect(identity.id).toBe(fake.identities(TOKEN)[0]?.id);
    expect(fake.identities(TOKEN)).toHaveLength(1);
  });

  it('reports a refused connection as kind connection with no status', async () => {
    const api = client({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const error = await failure(api.listDomains(TOKEN));
    expect(error).toMatchObject({ kind: 'connection', retryable: true });
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('reports a socket dropped without an answer as kind connection', async () => {
    fake.failNext('GET /v1/identities/{identity_id}', { drop: true });
    expect(await failure(client().getIdentity(TOKEN, UNKNOWN_ID))).toMatchObject({ kind: 'connection', retryable: true });
  });
});

describe('retries', () => {
  const retrying = { retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } };

  it('retries a 503 with the same Idempotency-Key and creates one identity', async () => {
    fake.failNext('POST /v1/identities', { status: 503 });
    const identity = await client(retrying).createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-1' });
    const sent = fake.requestsTo('POST', '/v1/identities');
    expect(sent.map((r) => r.headers['idempotency-key'])).toEqual(['view-1', 'view-1']);
    expect(fake.identities(TOKEN).map((i) => i.id)).toEqual([identity.id]);
  });

  it('retries a dropped decision with the same Idempotency-Key and records one decision', async () => {
    fake.addApproval({ approvalId: APPROVAL_ID, workspaceToken: TOKEN });
    fake.failNext('POST /v1/approvals/{approval_id}/decision', { drop: true });
    const result = await client(retrying).decideApproval(TOKEN, APPROVAL_ID, approve, { idempotencyKey: 'click-1' });
    expect(result).toEqual({ id: APPROVAL_ID, status: 'approved' });
    expect(fake.requestsTo('POST', '/v1/approvals/').map((r) => r.headers['idempotency-key'])).toEqual(['click-1', 'click-1']);
    expect(fake.decisions(APPROVAL_ID)).toHaveLength(1);
  });

  it('retries a create that timed out and gets the identity the first attempt created', async () => {
    fake.setLatency('POST /v1/identities', 3_000);
    const api = client({ timeouts: { headersMs: 100 }, retry: { maxAttempts: 2, baseDelayMs: 400, maxDelayMs: 400 } });
    // The server recovers while the client waits: the headers timeout fires 0.5–1 s in (undici's
    // coarse timer), then 200–400 ms of backoff, so attempt 2 starts after 700 ms.
    const recover = setTimeout(() => fake.setLatency('POST /v1/identities', 0), 300);
    try {
      const identity = await api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'view-7' });
      expect(fake.identities(TOKEN).map((i) => i.id)).toEqual([identity.id]);
      expect(fake.requestsTo('POST', '/v1/identities')).toHaveLength(2);
    } finally {
      clearTimeout(recover);
    }
  });

  it('gives up after maxAttempts with the last error', async () => {
    fake.failNext('GET /v1/domains', { status: 500, body: { detail: 'boom' } }, 5);
    const error = await failure(client(retrying).listDomains(TOKEN));
    expect(error).toMatchObject({ kind: 'server', status: 500, detail: 'boom' });
    expect(fake.requestsTo('GET', '/v1/domains')).toHaveLength(3);
  });

  it('waits at least Retry-After before retrying a 429', async () => {
    fake.failNext('GET /v1/assistants', { status: 429, retryAfter: 1 });
    const api = client({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2_000 } });
    await api.listAssistants(TOKEN);
    const [first, second] = fake.requestsTo('GET', '/v1/assistants');
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('does not wait in-process for a Retry-After longer than maxDelayMs', async () => {
    fake.failNext('GET /v1/assistants', { status: 429, retryAfter: 120 });
    const error = await failure(client(retrying).listAssistants(TOKEN));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 120_000 });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    ['404', () => undefined],
    ['409', () => fake.failNext('*', { status: 409, body: { detail: 'Conflict' } })],
    ['422', () => fake.failNext('*', { status: 422, body: { detail: [{ loc: ['path', 'identity_id'], msg: 'bad', type: 'x' }] } })],
    ['400', () => fake.failNext('*', { status: 400 })],
  ])('does not retry a %s', async (_status, arrange) => {
    arrange();
    const error = await failure(client(retrying).getIdentity(TOKEN, UNKNOWN_ID));
    expect(error.retryable).toBe(false);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('deadline and abort', () => {
  it('sends nothing when the deadline has already passed', async () => {
    const error = await failure(client().listDomains(TOKEN, { deadline: Date.now() - 1 }));
    expect(error.kind).toBe('timeout');
    expect(fake.requests).toHaveLength(0);
  });

  it('gives up mid-request at the deadline, long before the headers timeout', async () => {
    fake.setLatency('GET /v1/identities/{identity_id}', 2_000);
    const started = Date.now();
    const error = await failure(client(retryingForever()).getIdentity(TOKEN, UNKNOWN_ID, { deadline: Date.now() + 150 }));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('deadline');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('does not retry when the backoff would end past the deadline, and reports the real error', async () => {
    fake.failNext('GET /v1/domains', { status: 503 });
    const api = client({ retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 } });
    const error = await failure(api.listDomains(TOKEN, { deadline: Date.now() + 300 }));
    expect(error).toMatchObject({ kind: 'server', status: 503 });
    expect(fake.requests).toHaveLength(1);
  });

  it('stops when the caller aborts, without retrying', async () => {
    fake.setLatency('*', 1_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(client(retryingForever()).listAssistants(TOKEN, { signal: controller.signal }));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('aborted by the caller');
    expect(fake.requests).toHaveLength(1);
  });

  function retryingForever(): Partial<IdentitiesApiOptions> {
    return { retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 5 } };
  }
});

describe('pagination', () => {
  const PAGED = 'sk_test_paged_workspace';
  beforeEach(() => {
    fake.addWorkspace({ token: PAGED, domains: Array.from({ length: 250 }, (_, i) => ({ name: `d${i}.example`, status: 'verified' })) });
  });

  it('follows next_cursor with limit=100 until the last page', async () => {
    const { items, truncated } = await client().listDomains(PAGED);
    expect(items).toHaveLength(250);
    expect(items[249]?.name).toBe('d249.example');
    expect(truncated).toBe(false);
    const queries = fake.requestsTo('GET', '/v1/domains').map((r) => r.query);
    expect(queries.map((q) => q['limit'])).toEqual(['100', '100', '100']);
    expect(queries[0]?.['cursor']).toBeUndefined();
    expect(queries[1]?.['cursor']).toEqual(expect.any(String));
  });

  it('stops at maxItems and says the list was truncated', async () => {
    const { items, truncated } = await client().listDomains(PAGED, { maxItems: 150 });
    expect(items).toHaveLength(150);
    expect(truncated).toBe(true);
    expect(fake.requestsTo('GET', '/v1/domains')).toHaveLength(2);
  });

  it('asks for no more than maxItems when that is less than a page', async () => {
    const { items, truncated } = await client().listDomains(PAGED, { maxItems: 1 });
    expect(items.map((d) => d.name)).toEqual(['d0.example']);
    expect(truncated).toBe(true);
    expect(fake.requestsTo('GET', '/v1/domains').map((r) => r.query['limit'])).toEqual(['1']);
  });

  it('reports truncated when maxItems is reached and the server has another page', async () => {
    expect(await client().listDomains(PAGED, { maxItems: 200 })).toMatchObject({ truncated: true });
    expect(await client().listDomains(PAGED, { maxItems: 250 })).toMatchObject({ truncated: false });
  });

  it('returns identities and assistants the same way', async () => {
    const api = client();
    await api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'k' });
    const identities = await api.listIdentities(TOKEN);
    expect(identities.items.map((i: Identity) => i.email_address)).toEqual(['support@acme.com']);
    expect((await api.listAssistants(TOKEN)).items.map((a) => a.name)).toEqual(['Ava']);
  });
});

describe('paths', () => {
  it('percent-encodes ids so they cannot leave their path segment', async () => {
    const api = client();
    const traversal = await failure(api.getIdentity(TOKEN, '../../v1/domains'));
    expect(traversal).toMatchObject({ kind: 'validation', issues: [expect.objectContaining({ loc: ['path', 'identity_id'] })] });
    await failure(api.getIdentity(TOKEN, '..'));
    await failure(api.decideApproval(TOKEN, 'a/b?c#d', approve, { idempotencyKey: 'k' }));
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/v1/identities/..%2F..%2Fv1%2Fdomains',
      '/v1/identities/%2E%2E',
      '/v1/approvals/a%2Fb%3Fc%23d/decision',
    ]);
  });
});

describe('the token stays secret', () => {
  it('never appears in error messages, even when the server echoes it', async () => {
    const api = client();
    fake.failNext('GET /v1/domains', { status: 401, body: { detail: `Invalid token ${TOKEN}` } });
    fake.failNext('POST /v1/identities', { status: 422, body: { detail: [{ loc: ['header', 'authorization'], msg: `bad ${TOKEN}`, type: 'x' }] } });
    fake.setLatency('GET /v1/assistants', 1_000);
    const errors = [
      await failure(api.listDomains(TOKEN)),
      await failure(api.createIdentity(TOKEN, newIdentity(), { idempotencyKey: 'k' })),
      await failure(api.getIdentity(TOKEN, UNKNOWN_ID)),
      await failure(api.listAssistants(TOKEN, { deadline: Date.now() + 50 })),
      await failure(client({ baseUrl: `http://127.0.0.1:${await closedPort()}` }).listDomains(TOKEN)),
    ];
    for (const error of errors) {
      expect(`${error.message}\n${error.stack}\n${error.detail ?? ''}\n${JSON.stringify(error.issues ?? [])}`).not.toContain(TOKEN);
    }
    expect(errors[0]?.detail).toBe('Invalid token [redacted]');
  });

  it('logs method, path, status and duration only', async () => {
    const api = client();
    await api.listAssistants(TOKEN);
    await failure(api.getIdentity(TOKEN, UNKNOWN_ID));
    expect(logs).toEqual([
      expect.stringMatching(/^GET \/v1\/assistants\?limit=100 200 \d+ms$/),
      expect.stringMatching(new RegExp(`^GET /v1/identities/${UNKNOWN_ID} 404 \\d+ms$`)),
    ]);
  });
});

describe('dispatcher', () => {
  it('leaves an injected dispatcher open on close()', async () => {
    const agent = new Agent();
    try {
      const api = createIdentitiesApi({ baseUrl: fake.url, dispatcher: agent });
      expect((await api.listAssistants(TOKEN)).items).toHaveLength(1);
      await api.close();
      const again = createIdentitiesApi({ baseUrl: fake.url, dispatcher: agent });
      expect((await again.listAssistants(TOKEN)).items).toHaveLength(1);
    } finally {
      await agent.close();
    }
  });

  it('refuses calls after close() with kind connection', async () => {
    const api = client();
    await api.close();
    expect(await failure(api.listDomains(TOKEN))).toMatchObject({ kind: 'connection' });
    expect(fake.requests).toHaveLength(0);
  });
});
