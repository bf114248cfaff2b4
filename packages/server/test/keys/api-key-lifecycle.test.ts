import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, openKeyHarness, OPERATOR_TOKEN, type KeyHarness } from './key-harness.js';

const DAY_MS = 24 * 60 * 60 * 1000;
let h: KeyHarness;
let reader: string;

interface KeyView {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  rate_limit: number | null;
  replaced_by: string | null;
}

async function listKeys(tenant: string | null): Promise<KeyView[]> {
  const url = tenant === null ? '/v1/api-keys' : `/v1/tenants/${tenant}/api-keys`;
  const response = await h.call({ method: 'GET', url }, OPERATOR_TOKEN);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ api_keys: KeyView[] }>().api_keys;
}

async function keyOf(tenant: string | null, id: string): Promise<KeyView> {
  const key = (await listKeys(tenant)).find((candidate) => candidate.id === id);
  if (key === undefined) throw new Error(`key ${id} is not listed`);
  return key;
}

/** Status of a request authenticated with the key (a read of the events, which the test keys may do). */
async function statusWith(key: string): Promise<number> {
  return (await h.call({ method: 'GET', url: '/v1/events?limit=1' }, key)).statusCode;
}

async function keyEvents(token: string): Promise<{ action: string; actor: { id: string }; resource: { id: string }; metadata: Record<string, unknown> }[]> {
  const response = await h.call({ method: 'GET', url: '/v1/events?action=audit.key.*&limit=100' }, token);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ events: never[] }>().events;
}

beforeAll(async () => {
  h = await openKeyHarness();
  await h.createTenant('acme');
  await h.createTenant('globex');
  reader = (await h.mintKey('acme', ['events:read'])).key;
});

afterAll(async () => {
  await h?.close();
});

describe('expiry', () => {
  it('takes expires_in_days or expires_at, and an expired key answers 401 like an unknown one', async () => {
    const start = h.clock.now();
    const byDays = await h.mintKey('acme', ['events:read'], { expires_in_days: 2 });
    expect((await keyOf('acme', byDays.id)).expires_at).toBe(new Date(start.getTime() + 2 * DAY_MS).toISOString());
    const at = new Date(start.getTime() + 3 * DAY_MS).toISOString();
    const byDate = await h.mintKey('acme', ['events:read'], { expires_at: at });
    expect((await keyOf('acme', byDate.id)).expires_at).toBe(at);

    expect(await statusWith(byDays.key)).toBe(200);
    h.clock.advance(2 * DAY_MS);
    const expired = expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, byDays.key), 401);
    expect(expired.detail).toMatch(/expired/);
    // A wrong secret for the same (expired) id says nothing about the key.
    const forged = `${byDays.key.slice(0, 21)}${'A'.repeat(43)}`;
    expect(expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, forged), 401).detail).toBe(
      'unknown or invalid bearer token',
    );
    expect(await statusWith(byDate.key)).toBe(200);
  });

  it('rejects both expiry forms at once, and an expiry in the past', async () => {
    const both = { name: 'x', scopes: ['events:read'], expires_in_days: 1, expires_at: '2999-01-01T00:00:00Z' };
    const problem = expectProblem(await h.call({ method: 'POST', url: '/v1/tenants/acme/api-keys', payload: both }, OPERATOR_TOKEN), 400);
    expect(problem.errors?.map((error) => error.path)).toEqual(['/expires_in_days']);
    const past = { name: 'x', scopes: ['events:read'], expires_at: '2001-01-01T00:00:00Z' };
    expectProblem(await h.call({ method: 'POST', url: '/v1/tenants/acme/api-keys', payload: past }, OPERATOR_TOKEN), 400);
    const zero = { name: 'x', scopes: ['events:read'], expires_in_days: 0 };
    expectProblem(await h.call({ method: 'POST', url: '/v1/tenants/acme/api-keys', payload: zero }, OPERATOR_TOKEN), 400);
  });
});

describe('listing', () => {
  it('shows every field of the lifecycle and never the secret or its hash', async () => {
    const minted = await h.mintKey('acme', ['events:read', 'log:read'], { rate_limit: 120 });
    expect(await statusWith(minted.key)).toBe(200);
    const response = await h.call({ method: 'GET', url: '/v1/tenants/acme/api-keys' }, OPERATOR_TOKEN);
    const listed = response.json<{ api_keys: KeyView[] }>().api_keys.find((key) => key.id === minted.id);
    expect(listed).toEqual({
      id: minted.id,
      tenant: 'acme',
      name: 'test key',
      scopes: ['events:read', 'log:read'],
      created_at: expect.any(String),
      expires_at: null,
      revoked_at: null,
      last_used_at: h.clock.now().toISOString(),
      rate_limit: 120,
      replaced_by: null,
    });
    const secret = minted.key.slice(21);
    expect(response.body).not.toContain(secret);
    expect(response.body).not.toMatch(/secret|hash/i);
  });

  it('lists platform keys for the operator only, and a tenant admin sees its own tenant only', async () => {
    const platform = await h.mintKey(null, ['events:write']);
    expect((await listKeys(null)).map((key) => key.id)).toContain(platform.id);
    expect((await listKeys('acme')).map((key) => key.id)).not.toContain(platform.id);
    const admin = await h.mintKey('acme', ['admin']);
    expectProblem(await h.call({ method: 'GET', url: '/v1/api-keys' }, admin.key), 403);
    expectProblem(await h.call({ method: 'GET', url: '/v1/tenants/globex/api-keys' }, admin.key), 404);
    expect((await h.call({ method: 'GET', url: '/v1/tenants/acme/api-keys' }, admin.key)).statusCode).toBe(200);
  });
});

describe('rotation', () => {
  it('issues a new secret with the same name, scopes and limit; the old key works through the grace period only', async () => {
    const old = await h.mintKey('acme', ['events:read', 'log:read'], { rate_limit: 90, expires_in_days: 30 });
    const oldExpiry = (await keyOf('acme', old.id)).expires_at;
    const response = await h.call(
      { method: 'POST', url: `/v1/tenants/acme/api-keys/${old.id}/rotation`, payload: { grace_seconds: 3600 } },
      OPERATOR_TOKEN,
    );
    expect(response.statusCode, response.body).toBe(201);
    const rotated = response.json<{ id: string; key: string; scopes: string[]; rate_limit: number; name: string; expires_at: string; replaces: string; replaced_key_expires_at: string }>();
    expect(rotated).toMatchObject({ name: 'test key', scopes: ['events:read', 'log:read'], rate_limit: 90, replaces: old.id });
    expect(rotated.id).not.toBe(old.id);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.expires_at).toBe(oldExpiry);
    expect(rotated.replaced_key_expires_at).toBe(new Date(h.clock.now().getTime() + 3600_000).toISOString());
    expect(await keyOf('acme', old.id)).toMatchObject({ replaced_by: rotated.id, expires_at: rotated.replaced_key_expires_at });

    expect(await statusWith(old.key)).toBe(200);
    expect(await statusWith(rotated.key)).toBe(200);
    h.clock.advance(3599_000);
    expect(await statusWith(old.key)).toBe(200);
    h.clock.advance(1000);
    expect(expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, old.key), 401).detail).toMatch(/rotated/);
    expect(await statusWith(rotated.key)).toBe(200);
  });

  it('defaults to a one-day grace period, stops the old key at once with 0, and never rotates a key twice', async () => {
    const first = await h.mintKey('acme', ['events:read']);
    const byDefault = await h.call({ method: 'POST', url: `/v1/tenants/acme/api-keys/${first.id}/rotation` }, OPERATOR_TOKEN);
    expect(byDefault.statusCode, byDefault.body).toBe(201);
    expect(byDefault.json<{ replaced_key_expires_at: string }>().replaced_key_expires_at).toBe(
      new Date(h.clock.now().getTime() + DAY_MS).toISOString(),
    );
    const again = await h.call({ method: 'POST', url: `/v1/tenants/acme/api-keys/${first.id}/rotation` }, OPERATOR_TOKEN);
    expect(expectProblem(again, 409).detail).toContain(byDefault.json<{ id: string }>().id);

    const second = await h.mintKey('acme', ['events:read']);
    const now = await h.call(
      { method: 'POST', url: `/v1/tenants/acme/api-keys/${second.id}/rotation`, payload: { grace_seconds: 0 } },
      OPERATOR_TOKEN,
    );
    expect(now.statusCode, now.body).toBe(201);
    expect(await statusWith(second.key)).toBe(401);
    expect(await statusWith(now.json<{ key: string }>().key)).toBe(200);
  });

  it('refuses revoked keys, answers 404 for unknown ids and other tenants, and rotates platform keys', async () => {
    const revoked = await h.mintKey('acme', ['events:read']);
    await h.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${revoked.id}` }, OPERATOR_TOKEN);
    expectProblem(await h.call({ method: 'POST', url: `/v1/tenants/acme/api-keys/${revoked.id}/rotation` }, OPERATOR_TOKEN), 409);
    expectProblem(await h.call({ method: 'POST', url: '/v1/tenants/acme/api-keys/0123456789abcdef/rotation' }, OPERATOR_TOKEN), 404);
    expectProblem(await h.call({ method: 'POST', url: '/v1/tenants/acme/api-keys/not-a-key/rotation' }, OPERATOR_TOKEN), 404);
    const globexKey = await h.mintKey('globex', ['events:read']);
    expectProblem(await h.call({ method: 'POST', url: `/v1/tenants/acme/api-keys/${globexKey.id}/rotation` }, OPERATOR_TOKEN), 404);
    const acmeAdmin = await h.mintKey('acme', ['admin']);
    expectProblem(await h.call({ method: 'POST', url: `/v1/tenants/globex/api-keys/${globexKey.id}/rotation` }, acmeAdmin.key), 404);
    expectProblem(await h.call({ method: 'POST', url: `/v1/api-keys/${globexKey.id}/rotation` }, OPERATOR_TOKEN), 404);

    const platform = await h.mintKey(null, ['events:read']);
    expectProblem(await h.call({ method: 'POST', url: `/v1/api-keys/${platform.id}/rotation` }, acmeAdmin.key), 403);
    const rotated = await h.call({ method: 'POST', url: `/v1/api-keys/${platform.id}/rotation`, payload: { expires_in_days: 7 } }, OPERATOR_TOKEN);
    expect(rotated.statusCode, rotated.body).toBe(201);
    expect(rotated.json<{ tenant: string | null; expires_at: string }>()).toMatchObject({
      tenant: null,
      expires_at: new Date(h.clock.now().getTime() + 7 * DAY_MS).toISOString(),
    });
  });
});

describe('revocation', () => {
  it('takes effect on the very next request', async () => {
    const key = await h.mintKey('acme', ['events:read']);
    expect(await statusWith(key.key)).toBe(200);
    const revoked = await h.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${key.id}` }, OPERATOR_TOKEN);
    expect(revoked.statusCode).toBe(204);
    expect(expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, key.key), 401).detail).toMatch(/revoked/);
    expect((await keyOf('acme', key.id)).revoked_at).toBe(h.clock.now().toISOString());
  });
});

describe('per-key rate limit at creation', () => {
  it('lets a tenant admin lower its keys\' limit but only the operator raise it past the default', async () => {
    const admin = await h.mintKey('acme', ['admin']);
    const create = (payload: object, token: string) =>
      h.call({ method: 'POST', url: '/v1/tenants/acme/api-keys', payload: { name: 'n', scopes: ['events:read'], ...payload } }, token);
    expect((await create({ rate_limit: 10 }, admin.key)).statusCode).toBe(201);
    expectProblem(await create({ rate_limit: h.ctx.config.rateLimit + 1 }, admin.key), 403);
    expectProblem(await create({ rate_limit: 0 }, admin.key), 403);
    expect((await create({ rate_limit: 0 }, OPERATOR_TOKEN)).statusCode).toBe(201);
    expectProblem(await create({ rate_limit: -1 }, OPERATOR_TOKEN), 400);
  });
});

describe("key events in the tenant's own log", () => {
  it('records created, rotated and revoked by key id, naming who acted and never a secret', async () => {
    const admin = await h.mintKey('globex', ['admin', 'events:read']);
    const before = (await keyEvents(admin.key)).length;
    const created = await h.call(
      { method: 'POST', url: '/v1/tenants/globex/api-keys', payload: { name: 'ci', scopes: ['events:write'] } },
      admin.key,
    );
    const key = created.json<{ id: string; key: string }>();
    const rotation = await h.call({ method: 'POST', url: `/v1/tenants/globex/api-keys/${key.id}/rotation`, payload: { grace_seconds: 60 } }, admin.key);
    const rotated = rotation.json<{ id: string; key: string }>();
    await h.call({ method: 'DELETE', url: `/v1/tenants/globex/api-keys/${rotated.id}` }, OPERATOR_TOKEN);

    const events = (await keyEvents(admin.key)).slice(0, (await keyEvents(admin.key)).length - before).reverse();
    expect(events.map((event) => [event.action, event.resource.id, event.actor.id])).toEqual([
      ['audit.key.created', key.id, `api-key:${admin.id}`],
      ['audit.key.rotated', key.id, `api-key:${admin.id}`],
      ['audit.key.revoked', rotated.id, 'operator'],
    ]);
    expect(events[1]?.metadata).toMatchObject({ replaced_by: rotated.id, grace_seconds: 60 });
    const text = JSON.stringify(events);
    for (const secret of [key.key, rotated.key, key.key.slice(21), rotated.key.slice(21)]) expect(text).not.toContain(secret);

    // Platform keys belong to no tenant: their changes reach no tenant's log.
    const acmeBefore = await keyEvents(reader);
    const platform = await h.mintKey(null, ['events:read']);
    await h.call({ method: 'DELETE', url: `/v1/api-keys/${platform.id}` }, OPERATOR_TOKEN);
    const acmeAfter = await keyEvents(reader);
    expect(acmeAfter.map((event) => event.resource.id)).not.toContain(platform.id);
    expect(acmeAfter.length).toBe(acmeBefore.length);
  });
});
