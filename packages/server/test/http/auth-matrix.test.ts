import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { LAST_USED_INTERVAL_MS } from '../../src/auth/last-used-recorder.js';
import type { Scope } from '../../src/store/ledger-store.js';
import { ROUTE_EXPECTATIONS, type MatrixFixture, type RouteExpectation } from './auth-matrix-routes.js';
import { event, expectProblem, openHarness, OPERATOR_TOKEN } from './http-harness.js';

// One app for the whole file, opened before the tests are collected: the routes under test come from its own OpenAPI
// document, so a route added to the service without a row in ROUTE_EXPECTATIONS fails the first test below.
let clock = new Date('2030-01-01T00:00:00Z');
const h = await openHarness({ now: () => clock });
afterAll(async () => {
  await h.close();
});

const key = (tenant: string | null, scopes: Scope[]) => h.mintKey(tenant, scopes).then((k) => k.key);
const ALL_SCOPES: Scope[] = ['events:write', 'events:read', 'events:read:pii', 'log:read', 'export', 'admin'];
const OWN = 'acme';
const OTHER = 'globex';

await h.createTenant(OWN);
await h.createTenant(OTHER);
const eventIds = new Map<string, string>();
for (const tenant of [OWN, OTHER]) {
  const written = await h.call({ method: 'POST', url: '/v1/events', payload: event() }, await key(tenant, ['events:write']));
  eventIds.set(tenant, written.json<{ events: { id: string }[] }>().events[0]!.id);
}
const globexEventId = eventIds.get(OTHER) as string;
const globexKeyId = (await h.mintKey(OTHER, ['events:read'])).id;

/** One key per single scope: tenant keys of OWN, and platform keys. */
const tenantKeys = new Map<Scope, string>();
const platformKeys = new Map<Scope, string>();
for (const scope of ALL_SCOPES) {
  tenantKeys.set(scope, await key(OWN, [scope]));
  platformKeys.set(scope, await key(null, [scope]));
}

let tenantCounter = 0;
const fixture: MatrixFixture = {
  freshKeyId: async (tenant) => (await h.mintKey(tenant, ['events:read'])).id,
  eventId: (tenant) => eventIds.get(tenant) ?? '0190f0a4-1c2b-7d3e-8f40-5a6b7c8d9e0f',
  freshTenantId: () => `matrix-${tenantCounter++}`,
  async freshHoldId(tenant) {
    const placed = await h.call(
      { method: 'POST', url: `/v1/legal-holds?tenant=${tenant}`, payload: { subject: 'held-subject', reason: 'matrix' } },
      platformKeys.get('admin'),
    );
    expect(placed.statusCode, placed.body).toBe(201);
    return placed.json<{ id: string }>().id;
  },
};

interface Operation {
  name: string;
  expectation: RouteExpectation | undefined;
}

const served: Operation[] = [];
const document = (await h.call({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
for (const [path, operations] of Object.entries(document.paths)) {
  for (const method of Object.keys(operations)) {
    if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
    const name = `${method.toUpperCase()} ${path}`;
    served.push({ name, expectation: ROUTE_EXPECTATIONS[name] });
  }
}

/** Sends a request and checks its status is one of `statuses`; error answers must be problem documents. */
async function expectStatus(request: InjectOptions, token: string | undefined, statuses: number[], cell: string): Promise<LightMyRequestResponse> {
  const response = await h.call(request, token);
  expect(statuses, `${cell}: ${response.statusCode} ${response.body.slice(0, 300)}`).toContain(response.statusCode);
  if (response.statusCode >= 400) expectProblem(response, response.statusCode);
  return response;
}

/** What a caller with `scope` gets from a route the rule admits with `scopes`. */
const granted = (route: RouteExpectation, scope: Scope): boolean =>
  typeof route.access === 'object' && route.access.scopes.includes(scope);

/** What a tenant key of OWN gets when the request acts on OTHER. */
function otherTenantStatuses(route: RouteExpectation, scope: Scope): number[] {
  if (route.access === 'public') return route.ok;
  if (route.access === 'operator') return [403];
  const grants = granted(route, scope);
  switch (route.tenant) {
    case 'path':
      return [404];
    case 'query':
      return grants ? [404] : [403];
    case 'body':
      return grants ? [400] : [403];
    case 'none':
      return grants ? route.ok : [403];
  }
}

describe('the route table', () => {
  it('describes every route the OpenAPI document serves, and no other', () => {
    const undescribed = served.filter((operation) => operation.expectation === undefined).map((operation) => operation.name);
    expect(undescribed, 'routes without a row in ROUTE_EXPECTATIONS (test/http/auth-matrix-routes.ts)').toEqual([]);
    const names = new Set(served.map((operation) => operation.name));
    expect(Object.keys(ROUTE_EXPECTATIONS).filter((name) => !names.has(name)), 'rows for routes not served').toEqual([]);
  });
});

describe.each(served.filter((operation) => operation.expectation !== undefined).map((operation) => [operation.name, operation.expectation as RouteExpectation] as const))(
  '%s',
  (name, route) => {
    it('answers 401 without a token and with unknown or malformed ones (public routes: the same for everyone)', async () => {
      // Each route starts a fresh minute, so the per-address budget of failed authentications never runs out here.
      clock = new Date(clock.getTime() + 61_000);
      const unauthenticated = route.access === 'public' ? route.ok : [401];
      const unknown = [
        undefined,
        'alo_not-the-operator',
        'alk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        `${(tenantKeys.get('admin') as string).slice(0, 21)}${'A'.repeat(43)}`,
      ];
      for (const token of unknown) {
        const response = await expectStatus(await route.request(fixture, OWN), token, unauthenticated, `${name} token ${String(token)}`);
        if (response.statusCode === 401) expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      }
      await expectStatus(
        { ...(await route.request(fixture, OWN)), headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } },
        undefined,
        unauthenticated,
        `${name} basic auth`,
      );
    });

    it('admits the operator token only where the contract says', async () => {
      const admitted = route.access === 'public' || route.access === 'operator' || route.access.operator;
      await expectStatus(await route.request(fixture, OWN), OPERATOR_TOKEN, admitted ? route.ok : [403], `${name} operator`);
    });

    it('gives each single-scope tenant key its answer for its own tenant: 403 without a granting scope', async () => {
      for (const scope of ALL_SCOPES) {
        const expected = route.access === 'public' ? route.ok : granted(route, scope) ? route.ok : [403];
        await expectStatus(await route.request(fixture, OWN), tenantKeys.get(scope), expected, `${name} tenant key ${scope}`);
      }
    });

    // Only rows the case applies to get it, so the suite skips nothing.
    if (route.tenant !== 'none') it("gives each single-scope tenant key 404 (never a 2xx) for another tenant's", async () => {
      for (const scope of ALL_SCOPES) {
        const expected = otherTenantStatuses(route, scope);
        await expectStatus(await route.request(fixture, OTHER), tenantKeys.get(scope), expected, `${name} tenant key ${scope} on ${OTHER}`);
      }
    });

    if (route.foreignObject !== undefined) it("answers 404 for another tenant's object named under one's own tenant", async () => {
      const foreign = route.foreignObject as NonNullable<RouteExpectation['foreignObject']>;
      const admitted: (string | undefined)[] = [OPERATOR_TOKEN];
      for (const scope of ALL_SCOPES) {
        if (granted(route, scope)) admitted.push(tenantKeys.get(scope), platformKeys.get(scope));
      }
      for (const token of admitted) {
        if (token === OPERATOR_TOKEN && typeof route.access === 'object' && !route.access.operator) continue;
        await expectStatus(await foreign(fixture, OWN, OTHER), token, [404], `${name} foreign object`);
      }
    });

    it('gives each single-scope platform key its answer for any tenant it names', async () => {
      for (const scope of ALL_SCOPES) {
        const expected = route.access === 'public' ? route.ok : granted(route, scope) ? route.ok : [403];
        for (const tenant of [OWN, OTHER]) {
          await expectStatus(await route.request(fixture, tenant), platformKeys.get(scope), expected, `${name} platform key ${scope} on ${tenant}`);
        }
      }
    });
  },
);

describe('authentication', () => {
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
