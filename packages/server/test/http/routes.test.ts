import {
  fromBase64,
  fromHex,
  hashLeaf,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  toHex,
  utf8,
  verifyConsistency,
  verifyInclusion,
} from '@audit-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, expectProblem, openHarness, OPERATOR_TOKEN, type Harness } from './http-harness.js';

let h: Harness;
let writer: string;
let reader: string;
let auditor: string;

beforeAll(async () => {
  h = await openHarness();
  await h.createTenant('acme');
  writer = (await h.mintKey('acme', ['events:write'])).key;
  reader = (await h.mintKey('acme', ['events:read'])).key;
  auditor = (await h.mintKey('acme', ['log:read'])).key;
});

afterAll(async () => {
  await h.close();
});

async function writeEvents(count: number, make: (i: number) => Record<string, unknown> = () => event()) {
  const response = await h.call(
    { method: 'POST', url: '/v1/events', payload: { events: Array.from({ length: count }, (_, i) => make(i)) } },
    writer,
  );
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ events: { id: string; seq: number; leaf_hash: string }[] }>().events;
}

describe('service routes', () => {
  it('GET /healthz answers ok', async () => {
    const response = await h.call({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('unknown routes are problem documents', async () => {
    expectProblem(await h.call({ method: 'GET', url: '/v1/nothing-here?x=1' }), 404);
    expectProblem(await h.call({ method: 'PUT', url: '/v1/tenants' }, OPERATOR_TOKEN), 404);
  });
});

describe('tenants', () => {
  it('creates a tenant with its log origin', async () => {
    const response = await h.call(
      { method: 'POST', url: '/v1/tenants', payload: { id: 'globex', name: 'Globex Corp' } },
      OPERATOR_TOKEN,
    );
    expect(response.statusCode).toBe(201);
    const tenant = response.json<Record<string, string>>();
    expect(tenant).toEqual({
      id: 'globex',
      name: 'Globex Corp',
      log_origin: 'localhost/audit-ledger/t/globex',
      created_at: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(tenant['created_at']!))).toBe(false);
  });

  it('answers 409 for an existing id', async () => {
    const response = await h.call({ method: 'POST', url: '/v1/tenants', payload: { id: 'acme', name: 'Again' } }, OPERATOR_TOKEN);
    expectProblem(response, 409);
  });

  it.each([
    ['Upper', '/id'],
    ['-leading-dash', '/id'],
    ['a'.repeat(64), '/id'],
    ['has space', '/id'],
  ])('refuses the id %j with a path', async (id, path) => {
    const problem = expectProblem(
      await h.call({ method: 'POST', url: '/v1/tenants', payload: { id, name: 'x' } }, OPERATOR_TOKEN),
      400,
    );
    expect(problem.errors?.map((e) => e.path)).toEqual([path]);
  });

  it('refuses missing, mistyped and unknown members without fixing them up', async () => {
    const cases: [unknown, string][] = [
      [{ id: 'initech' }, '/name'],
      [{ id: 123, name: 'x' }, '/id'],
      [{ id: 'initech', name: 'x', plan: 'gold' }, '/plan'],
    ];
    for (const [payload, path] of cases) {
      const problem = expectProblem(await h.call({ method: 'POST', url: '/v1/tenants', payload: payload as object }, OPERATOR_TOKEN), 400);
      expect(problem.errors?.[0]?.path).toBe(path);
    }
    expectProblem(await h.call({ method: 'GET', url: '/v1/tenants/initech' }, OPERATOR_TOKEN), 404);
  });

  it('lists tenants and gets one', async () => {
    const list = await h.call({ method: 'GET', url: '/v1/tenants' }, OPERATOR_TOKEN);
    expect(list.statusCode).toBe(200);
    expect(list.json<{ tenants: { id: string }[] }>().tenants.map((t) => t.id)).toEqual(expect.arrayContaining(['acme', 'globex']));
    const one = await h.call({ method: 'GET', url: '/v1/tenants/acme' }, OPERATOR_TOKEN);
    expect(one.json()).toMatchObject({ id: 'acme', log_origin: 'localhost/audit-ledger/t/acme' });
    expectProblem(await h.call({ method: 'GET', url: '/v1/tenants/nope' }, OPERATOR_TOKEN), 404);
  });
});

describe('API keys', () => {
  it('creates a tenant key, shown once, listed without its secret', async () => {
    const created = await h.call(
      { method: 'POST', url: '/v1/tenants/acme/api-keys', payload: { name: 'ingest', scopes: ['events:write', 'log:read'] } },
      OPERATOR_TOKEN,
    );
    expect(created.statusCode).toBe(201);
    const key = created.json<Record<string, unknown>>();
    expect(key).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      key: expect.stringMatching(/^alk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/),
      tenant: 'acme',
      name: 'ingest',
      scopes: ['events:write', 'log:read'],
      created_at: expect.any(String),
      expires_at: null,
      rate_limit: null,
    });
    expect(key['key']).toContain(key['id'] as string);

    const listed = await h.call({ method: 'GET', url: '/v1/tenants/acme/api-keys' }, OPERATOR_TOKEN);
    expect(listed.statusCode).toBe(200);
    const entry = listed.json<{ api_keys: Record<string, unknown>[] }>().api_keys.find((k) => k['id'] === key['id']);
    expect(entry).toEqual({
      id: key['id'],
      tenant: 'acme',
      name: 'ingest',
      scopes: ['events:write', 'log:read'],
      created_at: key['created_at'],
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      rate_limit: null,
      replaced_by: null,
    });
    expect(listed.body).not.toContain((key['key'] as string).slice(21));
  });

  it('lets a tenant admin key manage its own tenant', async () => {
    const admin = (await h.mintKey('acme', ['admin'])).key;
    const created = await h.call(
      { method: 'POST', url: '/v1/tenants/acme/api-keys', payload: { name: 'by admin', scopes: ['events:read'] } },
      admin,
    );
    expect(created.statusCode).toBe(201);
    const tenant = await h.call({ method: 'GET', url: '/v1/tenants/acme' }, admin);
    expect(tenant.statusCode).toBe(200);
    const revoked = await h.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${created.json<{ id: string }>().id}` }, admin);
    expect(revoked.statusCode).toBe(204);
    expect(revoked.body).toBe('');
  });

  it('records expiry and refuses expiry in the past', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await h.call(
      { method: 'POST', url: '/v1/tenants/acme/api-keys', payload: { name: 'temp', scopes: ['events:read'], expires_at: expiresAt } },
      OPERATOR_TOKEN,
    );
    expect(created.json()).toMatchObject({ expires_at: expiresAt });
    const past = await h.call(
      { method: 'POST', url: '/v1/tenants/acme/api-keys', payload: { name: 'temp', scopes: ['events:read'], expires_at: '2020-01-01T00:00:00Z' } },
      OPERATOR_TOKEN,
    );
    expect(expectProblem(past, 400).errors).toEqual([{ path: '/expires_at', message: 'must be in the future' }]);
    const naive = await h.call(
      { method: 'POST', url: '/v1/tenants/acme/api-keys', payload: { name: 'temp', scopes: ['events:read'], expires_at: '2099-01-01T00:00:00' } },
      OPERATOR_TOKEN,
    );
    expect(expectProblem(naive, 400).errors?.[0]?.path).toBe('/expires_at');
  });

  it.each([
    [{ name: 'x', scopes: ['events:delete'] }, '/scopes/0'],
    [{ name: 'x', scopes: [] }, '/scopes'],
    [{ name: 'x', scopes: 'admin' }, '/scopes'],
    [{ name: 'x', scopes: ['admin', 'admin'] }, '/scopes'],
    [{ scopes: ['admin'] }, '/name'],
  ])('refuses %j', async (payload, path) => {
    const response = await h.call({ method: 'POST', url: '/v1/tenants/acme/api-keys', payload }, OPERATOR_TOKEN);
    expect(expectProblem(response, 400).errors?.[0]?.path).toBe(path);
  });

  it('answers 404 for keys of a tenant that does not exist', async () => {
    const response = await h.call(
      { method: 'POST', url: '/v1/tenants/nope/api-keys', payload: { name: 'x', scopes: ['admin'] } },
      OPERATOR_TOKEN,
    );
    expectProblem(response, 404);
    expectProblem(await h.call({ method: 'GET', url: '/v1/tenants/nope/api-keys' }, OPERATOR_TOKEN), 404);
  });

  it('revokes a key at once, and a second time is 404', async () => {
    const { id, key } = await h.mintKey('acme', ['events:read']);
    expect((await h.call({ method: 'GET', url: '/v1/events' }, key)).statusCode).toBe(200);
    const revoked = await h.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${id}` }, OPERATOR_TOKEN);
    expect(revoked.statusCode).toBe(204);
    expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, key), 401);
    expectProblem(await h.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${id}` }, OPERATOR_TOKEN), 404);
    expectProblem(await h.call({ method: 'DELETE', url: '/v1/tenants/acme/api-keys/not-a-key-id' }, OPERATOR_TOKEN), 404);
    const listed = await h.call({ method: 'GET', url: '/v1/tenants/acme/api-keys' }, OPERATOR_TOKEN);
    const entry = listed.json<{ api_keys: { id: string; revoked_at: string | null }[] }>().api_keys.find((k) => k.id === id);
    expect(entry?.revoked_at).toEqual(expect.any(String));
  });

  it('manages platform keys', async () => {
    const created = await h.call(
      { method: 'POST', url: '/v1/api-keys', payload: { name: 'backend', scopes: ['events:write'] } },
      OPERATOR_TOKEN,
    );
    expect(created.statusCode).toBe(201);
    const key = created.json<{ id: string; tenant: null }>();
    expect(key.tenant).toBeNull();
    const listed = await h.call({ method: 'GET', url: '/v1/api-keys' }, OPERATOR_TOKEN);
    expect(listed.json<{ api_keys: { id: string }[] }>().api_keys.map((k) => k.id)).toContain(key.id);
    const tenantKeys = await h.call({ method: 'GET', url: '/v1/tenants/acme/api-keys' }, OPERATOR_TOKEN);
    expect(tenantKeys.json<{ api_keys: { id: string }[] }>().api_keys.map((k) => k.id)).not.toContain(key.id);
    // A platform key is not reachable under a tenant's path, and vice versa.
    expectProblem(await h.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${key.id}` }, OPERATOR_TOKEN), 404);
    expect((await h.call({ method: 'DELETE', url: `/v1/api-keys/${key.id}` }, OPERATOR_TOKEN)).statusCode).toBe(204);
    expectProblem(await h.call({ method: 'DELETE', url: `/v1/api-keys/${key.id}` }, OPERATOR_TOKEN), 404);
  });
});

describe('events', () => {
  it('records one event and answers its id, seq and leaf hash', async () => {
    const id = '0190f0a4-1c2b-7d3e-8f40-5a6b7c8d9e0f';
    const response = await h.call({ method: 'POST', url: '/v1/events', payload: event({ id }) }, writer);
    expect(response.statusCode).toBe(201);
    const [ack] = response.json<{ events: { id: string; seq: number; leaf_hash: string }[] }>().events;
    expect(ack).toEqual({ id, seq: expect.any(Number), leaf_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const again = await h.call({ method: 'POST', url: '/v1/events', payload: event({ id }) }, writer);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(response.json());

    const conflict = await h.call({ method: 'POST', url: '/v1/events', payload: event({ id, action: 'document.delete' }) }, writer);
    expectProblem(conflict, 409);

    const fetched = await h.call({ method: 'GET', url: `/v1/events/${id.toUpperCase()}` }, reader);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toMatchObject({ id, tenant: 'acme', seq: ack!.seq, leaf_hash: ack!.leaf_hash, chain_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('accepts ?wait=true, since answers always wait for sequencing', async () => {
    const response = await h.call({ method: 'POST', url: '/v1/events?wait=true', payload: event() }, writer);
    expect(response.statusCode).toBe(201);
  });

  it('rejects a whole batch for one bad event, naming its path, and writes nothing', async () => {
    const before = await h.ctx.store.countEvents('acme');
    const response = await h.call(
      { method: 'POST', url: '/v1/events', payload: { events: [event(), event(), event(), event({ actor: { id: 5 } })] } },
      writer,
    );
    const problem = expectProblem(response, 400);
    expect(problem.errors?.map((e) => e.path)).toEqual(['/events/3/actor/id']);
    expect(await h.ctx.store.countEvents('acme')).toBe(before);
  });

  it('answers 404 for unknown and malformed event ids', async () => {
    expectProblem(await h.call({ method: 'GET', url: '/v1/events/0190f0a4-1c2b-7d3e-8f40-000000000000' }, reader), 404);
    expectProblem(await h.call({ method: 'GET', url: '/v1/events/not-a-uuid' }, reader), 404);
  });

  it('filters by every contract filter', async () => {
    await h.createTenant('filters');
    const w = (await h.mintKey('filters', ['events:write'])).key;
    const r = (await h.mintKey('filters', ['events:read'])).key;
    const payload = {
      events: [
        event({ action: 'user.login', actor: { id: 'alice' }, outcome: 'failure', occurred_at: '2024-01-01T10:00:00Z', resource: { type: 'session', id: 's1' } }),
        event({ action: 'user.mfa.enable', actor: { id: 'alice' }, occurred_at: '2024-01-02T10:00:00Z', resource: { type: 'user', id: 'alice' } }),
        event({ action: 'document.update', actor: { id: 'bob' }, occurred_at: '2024-01-03T10:00:00Z', metadata: { note: 'quarterly invoice' } }),
        event({ action: 'user.logout', actor: { id: 'bob' }, outcome: 'denied', occurred_at: '2024-01-04T10:00:00Z', resource: { type: 'session', id: 's2' } }),
      ],
    };
    expect((await h.call({ method: 'POST', url: '/v1/events', payload }, w)).statusCode).toBe(201);
    const actions = async (query: string) => {
      const response = await h.call({ method: 'GET', url: `/v1/events?${query}` }, r);
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ events: { action: string }[] }>().events.map((e) => e.action);
    };
    // The two keys' creation is recorded in the tenant's own log too (audit.key.created), before the events.
    expect(await actions('')).toEqual([
      'user.logout',
      'document.update',
      'user.mfa.enable',
      'user.login',
      'audit.key.created',
      'audit.key.created',
    ]);
    expect(await actions('actor_id=alice')).toEqual(['user.mfa.enable', 'user.login']);
    expect(await actions('action=user.login')).toEqual(['user.login']);
    expect(await actions('action=user.*')).toEqual(['user.logout', 'user.mfa.enable', 'user.login']);
    expect(await actions('resource_type=session')).toEqual(['user.logout', 'user.login']);
    expect(await actions('resource_id=s2')).toEqual(['user.logout']);
    expect(await actions('outcome=failure')).toEqual(['user.login']);
    expect(await actions('from=2024-01-02T10:00:00Z&to=2024-01-04T10:00:00Z')).toEqual(['document.update', 'user.mfa.enable']);
    expect(await actions('from=2024-01-02T12:00:00%2B02:00')).toEqual([
      'user.logout',
      'document.update',
      'user.mfa.enable',
      'audit.key.created',
      'audit.key.created',
    ]);
    expect(await actions('q=invoice')).toEqual(['document.update']);
    expect(await actions('actor_id=bob&outcome=denied')).toEqual(['user.logout']);
  });

  it.each([
    ['limit=0', '/query/limit'],
    ['limit=1001', '/query/limit'],
    ['limit=ten', '/query/limit'],
    ['from=2024-01-01', '/query/from'],
    ['to=2024-01-01T00:00:00', '/query/to'],
    ['from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z', '/query/to'],
    ['outcome=maybe', '/query/outcome'],
    ['actor_id=', '/query/actor_id'],
    ['actor_id=a%00b', '/query/actor_id'],
    ['cursor=bm9wZQ', '/query/cursor'],
    ['sort=asc', '/query/sort'],
  ])('refuses ?%s at %s', async (query, path) => {
    const problem = expectProblem(await h.call({ method: 'GET', url: `/v1/events?${query}` }, reader), 400);
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  });
});

describe('the log', () => {
  it('serves a signed checkpoint and its verifier key', async () => {
    await writeEvents(5);
    const keyAnswer = await h.call({ method: 'GET', url: '/v1/log/key' }, auditor);
    expect(keyAnswer.statusCode).toBe(200);
    expect(keyAnswer.headers['content-type']).toMatch(/^text\/plain/);
    expect(keyAnswer.body).toMatch(/^localhost\/audit-ledger\/t\/acme\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/);

    const answer = await h.call({ method: 'GET', url: '/v1/log/checkpoint' }, auditor);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    const opened = openNote(answer.body, [parseVerifierKey(keyAnswer.body)]);
    const checkpoint = parseCheckpoint(opened.text);
    expect(checkpoint.origin).toBe('localhost/audit-ledger/t/acme');
    expect(checkpoint.size).toBe((await h.ctx.store.getHead('acme')).size);
  });

  it('serves entries whose leaves hash to the events’ leaf hashes, and proofs that verify', async () => {
    const acks = await writeEvents(3);
    const note = (await h.call({ method: 'GET', url: '/v1/log/checkpoint' }, auditor)).body;
    const key = parseVerifierKey((await h.call({ method: 'GET', url: '/v1/log/key' }, auditor)).body);
    const checkpoint = parseCheckpoint(openNote(note, [key]).text);
    const first = acks[0]!;

    const entries = await h.call({ method: 'GET', url: `/v1/log/entries?start=${first.seq}&end=${first.seq + 3}` }, auditor);
    expect(entries.statusCode).toBe(200);
    const listed = entries.json<{ entries: { seq: number; leaf: string }[] }>().entries;
    expect(listed.map((e) => e.seq)).toEqual(acks.map((a) => a.seq));
    listed.forEach((entry, i) => {
      const leaf = fromBase64(entry.leaf);
      expect(toHex(hashLeaf(leaf))).toBe(acks[i]!.leaf_hash);
      expect(JSON.parse(utf8.decode(leaf))).toMatchObject({ seq: entry.seq, id: acks[i]!.id, tenant: 'acme' });
    });

    const inclusion = await h.call(
      { method: 'GET', url: `/v1/log/proof/inclusion?index=${first.seq}&size=${checkpoint.size}` },
      auditor,
    );
    expect(inclusion.statusCode).toBe(200);
    const proof = inclusion.json<{ index: number; size: number; hashes: string[] }>();
    expect(proof).toMatchObject({ index: first.seq, size: checkpoint.size });
    expect(() =>
      verifyInclusion(first.seq, checkpoint.size, fromHex(first.leaf_hash), proof.hashes.map(fromBase64), checkpoint.rootHash),
    ).not.toThrow();

    const older = await h.call({ method: 'GET', url: `/v1/log/proof/inclusion?index=0&size=1` }, auditor);
    expect(older.statusCode).toBe(200);

    await writeEvents(2);
    const newer = parseCheckpoint(openNote((await h.call({ method: 'GET', url: '/v1/log/checkpoint' }, auditor)).body, [key]).text);
    const consistency = await h.call(
      { method: 'GET', url: `/v1/log/proof/consistency?first=${checkpoint.size}&second=${newer.size}` },
      auditor,
    );
    expect(consistency.statusCode).toBe(200);
    const hashes = consistency.json<{ first: number; second: number; hashes: string[] }>();
    expect(hashes).toMatchObject({ first: checkpoint.size, second: newer.size });
    expect(() =>
      verifyConsistency(checkpoint.size, newer.size, hashes.hashes.map(fromBase64), checkpoint.rootHash, newer.rootHash),
    ).not.toThrow();
  });

  it('verifies the stored log', async () => {
    const response = await h.call({ method: 'GET', url: '/v1/log/verify' }, auditor);
    expect(response.statusCode).toBe(200);
    const report = response.json<{ ok: boolean; size: number; checked: number; failures: unknown[] }>();
    expect(report).toEqual({ ok: true, size: expect.any(Number), checked: expect.any(Number), failures: [] });
    expect(report.size).toBe((await h.ctx.store.getHead('acme')).size);
  });

  it('refuses ranges outside the log', async () => {
    const size = (await h.ctx.store.getHead('acme')).size;
    const cases: [string, string | null][] = [
      [`/v1/log/entries?start=0&end=${size + 1}`, '/query/end'],
      ['/v1/log/entries?start=3&end=3', '/query/end'],
      ['/v1/log/entries?start=0&end=1001', '/query/end'],
      ['/v1/log/entries?start=-1&end=2', '/query/start'],
      ['/v1/log/entries?start=0', '/query/end'],
      [`/v1/log/proof/inclusion?index=0&size=${size + 1}`, null],
      [`/v1/log/proof/inclusion?index=${size}&size=${size}`, null],
      ['/v1/log/proof/inclusion?index=0&size=0', '/query/size'],
      [`/v1/log/proof/consistency?first=1&second=${size + 1}`, null],
      ['/v1/log/proof/consistency?first=3&second=2', null],
      ['/v1/log/proof/consistency?first=0&second=2', '/query/first'],
    ];
    for (const [url, path] of cases) {
      const problem = expectProblem(await h.call({ method: 'GET', url }, auditor), 400);
      if (path !== null) expect(problem.errors?.map((e) => e.path), url).toContain(path);
    }
  });
});
