import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_USED_INTERVAL_MS } from '../../src/auth/last-used-recorder.js';
import type { Scope } from '../../src/store/ledger-store.js';
import { event, expectProblem, openHarness, OPERATOR_TOKEN, type Harness } from './http-harness.js';

let h: Harness;
let clock = new Date('2030-01-01T00:00:00Z');
let globexEventId: string;
let globexKeyId: string;

const key = (tenant: string | null, scopes: Scope[]) => h.mintKey(tenant, scopes).then((k) => k.key);

beforeAll(async () => {
  h = await openHarness({ now: () => clock });
  await h.createTenant('acme');
  await h.createTenant('globex');
  const globexWriter = await key('globex', ['events:write']);
  const written = await h.call({ method: 'POST', url: '/v1/events', payload: event() }, globexWriter);
  globexEventId = written.json<{ events: { id: string }[] }>().events[0]!.id;
  globexKeyId = (await h.mintKey('globex', ['events:read'])).id;
});

afterAll(async () => {
  await h.close();
});

/** Every guarded route, with a body where it takes one. */
const GUARDED_ROUTES: InjectOptions[] = [
  { method: 'POST', url: '/v1/tenants', payload: { id: 'newco', name: 'New' } },
  { method: 'GET', url: '/v1/tenants' },
  { method: 'GET', url: '/v1/tenants/acme' },
  { method: 'POST', url: '/v1/tenants/acme/api-keys', payload: { name: 'k', scopes: ['admin'] } },
  { method: 'GET', url: '/v1/tenants/acme/api-keys' },
  { method: 'DELETE', url: '/v1/tenants/acme/api-keys/0123456789abcdef' },
  { method: 'POST', url: '/v1/api-keys', payload: { name: 'k', scopes: ['admin'] } },
  { method: 'GET', url: '/v1/api-keys' },
  { method: 'DELETE', url: '/v1/api-keys/0123456789abcdef' },
  { method: 'POST', url: '/v1/events', payload: event() },
  { method: 'GET', url: '/v1/events' },
  { method: 'GET', url: '/v1/events/0190f0a4-1c2b-7d3e-8f40-5a6b7c8d9e0f' },
  { method: 'GET', url: '/v1/log/checkpoint' },
  { method: 'GET', url: '/v1/log/key' },
  { method: 'GET', url: '/v1/log/entries?start=0&end=1' },
  { method: 'GET', url: '/v1/log/proof/inclusion?index=0&size=1' },
  { method: 'GET', url: '/v1/log/proof/consistency?first=1&second=1' },
  { method: 'GET', url: '/v1/log/verify' },
];

const label = (route: InjectOptions) => `${route.method} ${String(route.url)}`;

describe('authentication', () => {
  it.each(GUARDED_ROUTES.map((route) => [label(route), route] as const))('%s needs a token', async (_, route) => {
    const response = await h.call(route);
    expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it.each(GUARDED_ROUTES.map((route) => [label(route), route] as const))('%s refuses unknown tokens', async (_, route) => {
    expectProblem(await h.call(route, 'alo_not-the-operator'), 401);
    expectProblem(await h.call(route, 'alk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 401);
    expectProblem(await h.call({ ...route, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }), 401);
  });

  it('checks the secret, not just the key id', async () => {
    const real = await key('acme', ['events:read']);
    const forged = `${real.slice(0, 21)}${'A'.repeat(43)}`;
    expect((await h.call({ method: 'GET', url: '/v1/events' }, real)).statusCode).toBe(200);
    expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, forged), 401);
  });

  it('refuses a revoked key', async () => {
    const { id, key: token } = await h.mintKey('acme', ['events:read']);
    await h.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${id}` }, OPERATOR_TOKEN);
    expect(expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, token), 401).detail).toMatch(/revoked/);
  });

  it('refuses a key once it has expired', async () => {
    const expiresAt = new Date(clock.getTime() + 3_600_000).toISOString();
    const { key: token } = await h.mintKey('acme', ['events:read'], { expires_at: expiresAt });
    expect((await h.call({ method: 'GET', url: '/v1/events' }, token)).statusCode).toBe(200);
    clock = new Date(clock.getTime() + 3_600_000);
    expect(expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, token), 401).detail).toMatch(/expired/);
  });

  it('records last use at most once a minute', async () => {
    const { id, key: token } = await h.mintKey('acme', ['events:read']);
    const lastUsed = async () => {
      const listed = await h.call({ method: 'GET', url: '/v1/tenants/acme/api-keys' }, OPERATOR_TOKEN);
      return listed.json<{ api_keys: { id: string; last_used_at: string | null }[] }>().api_keys.find((k) => k.id === id)!.last_used_at;
    };
    expect(await lastUsed()).toBeNull();
    await h.call({ method: 'GET', url: '/v1/events' }, token);
    const first = clock.toISOString();
    expect(await lastUsed()).toBe(first);
    clock = new Date(clock.getTime() + LAST_USED_INTERVAL_MS - 1000);
    await h.call({ method: 'GET', url: '/v1/events' }, token);
    expect(await lastUsed()).toBe(first);
    clock = new Date(clock.getTime() + 1000);
    await h.call({ method: 'GET', url: '/v1/events' }, token);
    expect(await lastUsed()).toBe(clock.toISOString());
  });
});

describe('authorisation', () => {
  const ALL_SCOPES: Scope[] = ['events:write', 'events:read', 'events:read:pii', 'log:read', 'export', 'admin'];
  /** Each route with the scopes that each grant it. */
  const needs: [Scope[], InjectOptions][] = [
    [['events:write'], { method: 'POST', url: '/v1/events', payload: event() }],
    [['events:read', 'events:read:pii'], { method: 'GET', url: '/v1/events' }],
    [['events:read', 'events:read:pii'], { method: 'GET', url: '/v1/events/0190f0a4-1c2b-7d3e-8f40-5a6b7c8d9e0f' }],
    [['log:read'], { method: 'GET', url: '/v1/log/checkpoint' }],
    [['log:read'], { method: 'GET', url: '/v1/log/verify' }],
    [['admin'], { method: 'GET', url: '/v1/tenants/acme/api-keys' }],
    [['admin'], { method: 'POST', url: '/v1/tenants/acme/api-keys', payload: { name: 'k', scopes: ['admin'] } }],
  ];

  it.each(needs.map(([scopes, route]) => [label(route), scopes.join(' or '), scopes, route] as const))(
    '%s needs %s',
    async (_, _names, scopes, route) => {
      const others = ALL_SCOPES.filter((s) => !scopes.includes(s));
      expectProblem(await h.call(route, await key('acme', others)), 403);
      for (const scope of scopes) {
        // With the scope the request gets past authorisation (an unknown event id is then a plain 404).
        expect([401, 403]).not.toContain((await h.call(route, await key('acme', [scope]))).statusCode);
      }
    },
  );

  it('keeps the operator away from events and logs', async () => {
    for (const route of GUARDED_ROUTES.filter((r) => String(r.url).startsWith('/v1/events') || String(r.url).startsWith('/v1/log'))) {
      expectProblem(await h.call(route, OPERATOR_TOKEN), 403);
    }
  });

  it('keeps every key away from operator routes, admin or not', async () => {
    const tenantAdmin = await key('acme', ['admin']);
    const platformAdmin = await key(null, ['admin', 'events:read', 'events:write']);
    for (const route of GUARDED_ROUTES.filter((r) => r.url === '/v1/tenants' || String(r.url).startsWith('/v1/api-keys'))) {
      expectProblem(await h.call(route, tenantAdmin), 403);
      expectProblem(await h.call(route, platformAdmin), 403);
    }
  });
});

describe("another tenant's objects are 404, never 403", () => {
  it('for tenant management, with or without the admin scope', async () => {
    for (const token of [await key('acme', ['admin']), await key('acme', ['events:read'])]) {
      expectProblem(await h.call({ method: 'GET', url: '/v1/tenants/globex' }, token), 404);
      expectProblem(await h.call({ method: 'GET', url: '/v1/tenants/globex/api-keys' }, token), 404);
      expectProblem(
        await h.call({ method: 'POST', url: '/v1/tenants/globex/api-keys', payload: { name: 'x', scopes: ['admin'] } }, token),
        404,
      );
      expectProblem(await h.call({ method: 'DELETE', url: `/v1/tenants/globex/api-keys/${globexKeyId}` }, token), 404);
    }
    const admin = await key('acme', ['admin']);
    // Under its own tenant's path, another tenant's key id is simply not there.
    expectProblem(await h.call({ method: 'DELETE', url: `/v1/tenants/acme/api-keys/${globexKeyId}` }, admin), 404);
    const globexKeys = await h.call({ method: 'GET', url: '/v1/tenants/globex/api-keys' }, OPERATOR_TOKEN);
    const entry = globexKeys.json<{ api_keys: { id: string; revoked_at: string | null }[] }>().api_keys.find((k) => k.id === globexKeyId);
    expect(entry?.revoked_at).toBeNull();
  });

  it('for events and logs', async () => {
    const reader = await key('acme', ['events:read', 'log:read']);
    expectProblem(await h.call({ method: 'GET', url: `/v1/events/${globexEventId}` }, reader), 404);
    expectProblem(await h.call({ method: 'GET', url: `/v1/events/${globexEventId}?tenant=globex` }, reader), 404);
    expectProblem(await h.call({ method: 'GET', url: '/v1/events?tenant=globex' }, reader), 404);
    expectProblem(await h.call({ method: 'GET', url: '/v1/log/checkpoint?tenant=globex' }, reader), 404);
    expect((await h.call({ method: 'GET', url: '/v1/events?tenant=acme' }, reader)).statusCode).toBe(200);
  });

  it('for a tenant key writing to another tenant: a 400 naming the event, nothing written', async () => {
    const writer = await key('acme', ['events:write']);
    const before = await h.ctx.store.countEvents('globex');
    const response = await h.call(
      { method: 'POST', url: '/v1/events', payload: { events: [event(), event({ tenant: 'globex' })] } },
      writer,
    );
    expect(expectProblem(response, 400).errors).toEqual([{ path: '/events/1/tenant', message: "does not match the key's tenant" }]);
    expect(await h.ctx.store.countEvents('globex')).toBe(before);
    expect((await h.call({ method: 'POST', url: '/v1/events', payload: event({ tenant: 'acme' }) }, writer)).statusCode).toBe(201);
  });
});

describe('platform keys', () => {
  it('read a tenant only when the request names it', async () => {
    const reader = await key(null, ['events:read', 'log:read']);
    const missing = expectProblem(await h.call({ method: 'GET', url: '/v1/events' }, reader), 400);
    expect(missing.errors).toEqual([{ path: '/query/tenant', message: 'is required with a platform key' }]);
    expectProblem(await h.call({ method: 'GET', url: '/v1/log/verify' }, reader), 400);
    expectProblem(await h.call({ method: 'GET', url: '/v1/events?tenant=nobody' }, reader), 404);
    expectProblem(await h.call({ method: 'GET', url: '/v1/log/checkpoint?tenant=nobody' }, reader), 404);
    const listed = await h.call({ method: 'GET', url: '/v1/events?tenant=globex' }, reader);
    expect(listed.statusCode).toBe(200);
    expect(listed.json<{ events: { tenant: string }[] }>().events.every((e) => e.tenant === 'globex')).toBe(true);
    expect((await h.call({ method: 'GET', url: `/v1/events/${globexEventId}?tenant=globex` }, reader)).statusCode).toBe(200);
    expectProblem(await h.call({ method: 'GET', url: `/v1/events/${globexEventId}?tenant=acme` }, reader), 404);
    expect((await h.call({ method: 'GET', url: '/v1/log/verify?tenant=globex' }, reader)).json()).toMatchObject({ ok: true });
  });

  it('write events that name their tenant, creating a tenant not seen before', async () => {
    const writer = await key(null, ['events:write']);
    const missing = await h.call({ method: 'POST', url: '/v1/events', payload: event() }, writer);
    expect(expectProblem(missing, 400).errors).toEqual([{ path: '/tenant', message: 'is required with a platform key' }]);

    const created = await h.call({ method: 'POST', url: '/v1/events', payload: event({ tenant: 'brand-new' }) }, writer);
    expect(created.statusCode).toBe(201);
    const tenant = await h.call({ method: 'GET', url: '/v1/tenants/brand-new' }, OPERATOR_TOKEN);
    expect(tenant.json()).toMatchObject({ id: 'brand-new', log_origin: 'localhost/audit-ledger/t/brand-new' });
  });

  it('keep one request in one tenant, and create nothing when they refuse it', async () => {
    const writer = await key(null, ['events:write']);
    const response = await h.call(
      { method: 'POST', url: '/v1/events', payload: { events: [event({ tenant: 'split-a' }), event({ tenant: 'split-b' }), event()] } },
      writer,
    );
    expect(expectProblem(response, 400).errors?.map((e) => e.path)).toEqual(['/events/1/tenant', '/events/2/tenant']);
    expectProblem(await h.call({ method: 'GET', url: '/v1/tenants/split-a' }, OPERATOR_TOKEN), 404);
  });

  it('with the admin scope manage any tenant’s keys', async () => {
    const admin = await key(null, ['admin']);
    const created = await h.call(
      { method: 'POST', url: '/v1/tenants/globex/api-keys', payload: { name: 'from platform', scopes: ['events:read'] } },
      admin,
    );
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ tenant: 'globex' });
  });
});
