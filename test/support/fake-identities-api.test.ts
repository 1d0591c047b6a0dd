import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeIdentitiesApi, type AddedWorkspace, type FakeIdentitiesApi } from './fake-identities-api.ts';

const TOKEN = 'fake-test-token-1';
const APPROVAL_ID = '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b';

let fake: FakeIdentitiesApi;
let ws: AddedWorkspace;

beforeAll(async () => {
  fake = await startFakeIdentitiesApi();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  ws = fake.addWorkspace({
    token: TOKEN,
    domains: [
      { name: 'acme.com', status: 'verified' },
      { name: 'pending.example', status: 'pending' },
    ],
    assistants: [{ name: 'Ava' }],
  });
});

function verifiedDomainId(): string {
  const domain = ws.domains[0];
  if (!domain) throw new Error('fixture has no domain');
  return domain.id;
}

async function call(method: string, path: string, init: { body?: unknown; raw?: string; token?: string | null; key?: string; signal?: AbortSignal } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== null) headers['authorization'] = `Bearer ${init.token ?? TOKEN}`;
  if (init.key) headers['idempotency-key'] = init.key;
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers,
    ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(init.signal && { signal: init.signal }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

describe('fake Identities API: authentication', () => {
  it('answers 401 "Not authenticated" without a bearer token and "Invalid token" for an unknown or revoked one', async () => {
    expect(await call('GET', '/v1/domains', { token: null })).toMatchObject({ status: 401, body: { detail: 'Not authenticated' } });
    expect(await call('GET', '/v1/domains', { token: 'nope' })).toMatchObject({ status: 401, body: { detail: 'Invalid token' } });
    fake.revokeToken(TOKEN);
    expect(await call('GET', '/v1/domains')).toMatchObject({ status: 401, body: { detail: 'Invalid token' } });
  });
});

describe('fake Identities API: POST /v1/identities validation (FastAPI shape)', () => {
  it('lists every missing required field with loc ["body", field]', async () => {
    const res = await call('POST', '/v1/identities', { body: {} });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      detail: [
        { loc: ['body', 'domain_id'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'local_part'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'display_name'], msg: 'Field required', type: 'missing' },
      ],
    });
  });

  it('reports wrong types as uuid_parsing, string_type and int_type', async () => {
    const res = await call('POST', '/v1/identities', {
      body: { domain_id: 'not-a-uuid', local_part: 42, display_name: 'Support', thread_history_depth: [] },
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      detail: [
        { loc: ['body', 'domain_id'], type: 'uuid_parsing' },
        { loc: ['body', 'local_part'], msg: 'Input should be a valid string', type: 'string_type' },
        { loc: ['body', 'thread_history_depth'], msg: 'Input should be a valid integer', type: 'int_type' },
      ],
    });
  });

  it('answers invalid JSON with json_invalid at ["body", <position>]', async () => {
    const res = await call('POST', '/v1/identities', { raw: '{"domain_id": ' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ detail: [{ type: 'json_invalid', msg: 'JSON decode error' }] });
    const [issue] = (res.body as { detail: { loc: unknown[] }[] }).detail;
    expect(issue?.loc[0]).toBe('body');
    expect(typeof issue?.loc[1]).toBe('number');
  });

  it('applies the server-side rules: local part pattern, email, depth range, display name length', async () => {
    const res = await call('POST', '/v1/identities', {
      body: {
        domain_id: verifiedDomainId(),
        local_part: 'not valid',
        display_name: '',
        reply_to_email: 'nobody',
        thread_history_depth: 101,
      },
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      detail: [
        { loc: ['body', 'local_part'], type: 'string_pattern_mismatch' },
        { loc: ['body', 'display_name'], type: 'string_too_short' },
        { loc: ['body', 'reply_to_email'], type: 'value_error' },
        { loc: ['body', 'thread_history_depth'], type: 'less_than_equal' },
      ],
    });
  });

  it('answers 404 for an unknown domain or assistant and 422 on domain_id for an unverified domain', async () => {
    const base = { local_part: 'support', display_name: 'Support' };
    expect(await call('POST', '/v1/identities', { body: { ...base, domain_id: '00000000-0000-4000-8000-000000000000' } })).toMatchObject({
      status: 404,
      body: { detail: 'Domain not found' },
    });
    expect(
      await call('POST', '/v1/identities', { body: { ...base, domain_id: verifiedDomainId(), assistant_id: '00000000-0000-4000-8000-000000000000' } }),
    ).toMatchObject({ status: 404, body: { detail: 'Assistant not found' } });
    expect(await call('POST', '/v1/identities', { body: { ...base, domain_id: ws.domains[1]?.id } })).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['body', 'domain_id'], msg: 'Domain is not verified' }] },
    });
    expect(fake.identities()).toEqual([]);
  });

  it('creates the identity with every field of the reference and refuses the same address again with 409', async () => {
    const body = { domain_id: verifiedDomainId(), local_part: 'Support', display_name: 'Acme Support' };
    const created = await call('POST', '/v1/identities', { body });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      workspace_id: ws.workspaceId,
      domain_id: verifiedDomainId(),
      assistant_id: null,
      local_part: 'support',
      email_address: 'support@acme.com',
      display_name: 'Acme Support',
      reply_to_email: null,
      signature_text: null,
      signature_html: null,
      thread_history_depth: 10,
      status: 'active',
      approval_channel: {},
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(await call('POST', '/v1/identities', { body })).toMatchObject({
      status: 409,
      body: { detail: 'Identity support@acme.com already exists' },
    });
  });
});

describe('fake Identities API: PATCH /v1/identities/{id}', () => {
  const slack = { type: 'slack', team_id: 'T1', channel_id: 'C1', channel_name: 'approvals', approver_user_ids: ['U1', 'U2'] };

  async function created(): Promise<{ id: string; updated_at: string }> {
    const res = await call('POST', '/v1/identities', {
      body: { domain_id: verifiedDomainId(), local_part: 'support', display_name: 'Support', approval_channel: { ...slack, other_front_end: { x: 1 } } },
    });
    return res.body as { id: string; updated_at: string };
  }

  it('changes only the fields sent and replaces approval_channel whole', async () => {
    const { id } = await created();
    const res = await call('PATCH', `/v1/identities/${id}`, {
      body: { signature_text: 'Thanks', approval_channel: { ...slack, channel_id: 'C2', required_approvals: 2, undo_seconds: 30 } },
    });
    expect(res.status).toBe(200);
    const [stored] = fake.identities(TOKEN);
    expect(stored).toMatchObject({ display_name: 'Support', signature_text: 'Thanks', reply_to_email: null });
    // The old channel's extra key is gone: nothing was merged.
    expect(stored?.approval_channel).toEqual({ ...slack, channel_id: 'C2', required_approvals: 2, undo_seconds: 30 });
    expect(res.body).toEqual(stored);
  });

  it('validates like POST, refuses keys the contract does not list, and changes nothing', async () => {
    const { id, updated_at } = await created();
    const res = await call('PATCH', `/v1/identities/${id}`, {
      body: {
        display_name: '',
        local_part: 'sales',
        approval_channel: { ...slack, approver_user_ids: ['U1'], required_approvals: 2, remind_after_minutes: 0, undo_seconds: 301, escalation_user_ids: [7] },
      },
    });
    expect(res.status).toBe(422);
    const issues = (res.body as { detail: { loc: unknown[]; type: string }[] }).detail.map((i) => [i.loc.join('.'), i.type]);
    expect(issues).toEqual([
      ['body.display_name', 'string_too_short'],
      ['body.approval_channel.remind_after_minutes', 'greater_than_equal'],
      ['body.approval_channel.escalation_user_ids.0', 'string_type'],
      ['body.approval_channel.undo_seconds', 'less_than_equal'],
      ['body.approval_channel.required_approvals', 'value_error'],
      ['body.local_part', 'extra_forbidden'],
    ]);
    expect(fake.identities(TOKEN)[0]).toMatchObject({ display_name: 'Support', updated_at });
  });

  it('answers 404 for an identity of another workspace or an unknown assistant, 422 for a bad id', async () => {
    const { id } = await created();
    fake.addWorkspace({ token: 'other' });
    expect(await call('PATCH', `/v1/identities/${id}`, { body: { display_name: 'X' }, token: 'other' })).toMatchObject({ status: 404, body: { detail: 'Identity not found' } });
    expect(await call('PATCH', `/v1/identities/${id}`, { body: { assistant_id: '00000000-0000-4000-8000-000000000000' } })).toMatchObject({
      status: 404,
      body: { detail: 'Assistant not found' },
    });
    expect(await call('PATCH', '/v1/identities/nope', { body: {} })).toMatchObject({ status: 422, body: { detail: [{ loc: ['path', 'identity_id'] }] } });
    expect(fake.identities(TOKEN)[0]?.display_name).toBe('Support');
  });

  it('is recorded, and takes injected faults without changing anything', async () => {
    const { id } = await created();
    fake.failNext('PATCH /v1/identities/{identity_id}', { status: 409, body: { detail: 'Identity changed' } });
    expect(await call('PATCH', `/v1/identities/${id}`, { body: { display_name: 'New' } })).toMatchObject({ status: 409 });
    expect(fake.identities(TOKEN)[0]?.display_name).toBe('Support');
    expect(fake.requestsTo('PATCH', '/v1/identities/').map((r) => r.body)).toEqual([{ display_name: 'New' }]);
  });
});

describe('fake Identities API: idempotency', () => {
  it('replays the first response for the same key and body, creating nothing new', async () => {
    const body = { domain_id: verifiedDomainId(), local_part: 'sales', display_name: 'Sales' };
    const first = await call('POST', '/v1/identities', { body, key: 'view-1' });
    // Same content, different key order: still the same request.
    const again = await call('POST', '/v1/identities', { body: { display_name: 'Sales', local_part: 'sales', domain_id: verifiedDomainId() }, key: 'view-1' });
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(fake.identities(TOKEN)).toHaveLength(1);
  });

  it('answers 422 on ["header", "idempotency-key"] when a key is reused with a different body', async () => {
    await call('POST', '/v1/identities', { body: { domain_id: verifiedDomainId(), local_part: 'a', display_name: 'A' }, key: 'view-2' });
    const res = await call('POST', '/v1/identities', { body: { domain_id: verifiedDomainId(), local_part: 'b', display_name: 'B' }, key: 'view-2' });
    expect(res).toMatchObject({ status: 422, body: { detail: [{ loc: ['header', 'idempotency-key'], type: 'idempotency_key_mismatch' }] } });
    expect(fake.identities(TOKEN).map((i) => i.local_part)).toEqual(['a']);
  });

  it('still creates the identity when the client gives up during the latency', async () => {
    // Longer than any wait below: the client gives up while the fake is still in it.
    fake.setLatency('POST /v1/identities', 30_000);
    const body = { domain_id: verifiedDomainId(), local_part: 'late', display_name: 'Late' };
    const giveUp = new AbortController();
    const sent = call('POST', '/v1/identities', { body, key: 'view-3', signal: giveUp.signal });
    // Given up once the request has arrived, not after a fixed 50 ms that a slow machine can spend before it arrives.
    await expect.poll(() => fake.requestsTo('POST', '/v1/identities').length).toBe(1);
    giveUp.abort();
    await expect(sent).rejects.toThrow();
    expect(fake.identities(TOKEN).map((i) => i.email_address)).toEqual(['late@acme.com']);
  });
});

describe('fake Identities API: decisions', () => {
  const decision = { decision: 'approve', decided_by: { type: 'slack', team_id: 'T1', user_id: 'U1' } };
  const path = `/v1/approvals/${APPROVAL_ID}/decision`;

  it('validates the decision body', async () => {
    fake.addApproval({ approvalId: APPROVAL_ID, workspaceToken: TOKEN });
    const res = await call('POST', path, { body: { decision: 'maybe' } });
    expect(res).toMatchObject({
      status: 422,
      body: {
        detail: [
          { loc: ['body', 'decision'], msg: "Input should be 'approve' or 'reject'", type: 'enum' },
          { loc: ['body', 'decided_by'], type: 'missing' },
        ],
      },
    });
    expect(fake.approvalStatus(APPROVAL_ID)).toBe('pending');
  });

  it('records the first decision, replays it for the same key and answers 409 to any other', async () => {
    fake.addApproval({ approvalId: APPROVAL_ID, workspaceToken: TOKEN });
    expect(await call('POST', path, { body: decision, key: 'click-1' })).toMatchObject({ status: 200, body: { id: APPROVAL_ID, status: 'approved' } });
    expect(await call('POST', path, { body: decision, key: 'click-1' })).toMatchObject({ status: 200, body: { id: APPROVAL_ID, status: 'approved' } });
    expect(await call('POST', path, { body: { ...decision, decision: 'reject' }, key: 'click-2' })).toMatchObject({
      status: 409,
      body: { detail: 'Approval already approved' },
    });
    expect(fake.decisions(APPROVAL_ID)).toHaveLength(1);
  });

  it('answers 404 for an unknown approval and 409 for an expired one', async () => {
    expect(await call('POST', path, { body: decision })).toMatchObject({ status: 404, body: { detail: 'Approval not found' } });
    fake.addApproval({ approvalId: APPROVAL_ID, workspaceToken: TOKEN, status: 'expired' });
    expect(await call('POST', path, { body: decision })).toMatchObject({ status: 409, body: { detail: 'Approval expired' } });
  });
});

describe('fake Identities API: lists', () => {
  it('pages with an opaque next_cursor and validates limit', async () => {
    fake.addWorkspace({ token: 'many', assistants: Array.from({ length: 5 }, (_, i) => ({ name: `A${i}` })) });
    const first = await call('GET', '/v1/assistants?limit=2', { token: 'many' });
    expect(first).toMatchObject({ status: 200, body: { data: [{ name: 'A0' }, { name: 'A1' }] } });
    const cursor = (first.body as { next_cursor: string }).next_cursor;
    const last = await call('GET', `/v1/assistants?limit=4&cursor=${encodeURIComponent(cursor)}`, { token: 'many' });
    expect(last).toMatchObject({ status: 200, body: { data: [{ name: 'A2' }, { name: 'A3' }, { name: 'A4' }], next_cursor: null } });
    expect(await call('GET', '/v1/assistants?limit=101', { token: 'many' })).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['query', 'limit'], type: 'less_than_equal' }] },
    });
  });
});

describe('fake Identities API: injection', () => {
  it('answers injected faults without running the handler, then behaves normally', async () => {
    fake.failNext('GET /v1/domains', { status: 503, retryAfter: 2 });
    const failed = await fetch(`${fake.url}/v1/domains`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    await failed.body?.cancel();
    expect((await call('GET', '/v1/domains')).status).toBe(200);
  });

  it('holds a request until its promise settles, then handles it as usual', async () => {
    fake.addApproval({ approvalId: APPROVAL_ID, workspaceToken: TOKEN });
    let release!: () => void;
    fake.failNext('POST /v1/approvals/{approval_id}/decision', { heldUntil: new Promise<void>((r) => (release = r)) });
    const answered = call('POST', `/v1/approvals/${APPROVAL_ID}/decision`, { body: { decision: 'approve', decided_by: { type: 'slack', team_id: 'T1', user_id: 'U1' } } });
    await expect.poll(() => fake.requests.length).toBe(1);
    // Arrived and recorded, not yet handled.
    expect(fake.decisions(APPROVAL_ID)).toEqual([]);
    release();
    expect((await answered).status).toBe(200);
    expect(fake.decisions(APPROVAL_ID)).toHaveLength(1);
  });

  it('drops the socket for {drop: true} and for every request while down, still recording them', async () => {
    fake.failNext('*', { drop: true });
    await expect(call('GET', '/v1/domains')).rejects.toThrow();
    fake.setDown(true);
    await expect(call('GET', '/v1/assistants')).rejects.toThrow();
    fake.setDown(false);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/domains', '/v1/assistants']);
  });
});
