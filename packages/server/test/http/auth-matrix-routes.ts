import type { InjectOptions } from 'fastify';
import type { Scope } from '../../src/store/ledger-store.js';
import { event } from './http-harness.js';

/** What the matrix has at hand when it builds a request: the harness's ways to make objects to act on. */
export interface MatrixFixture {
  /** A fresh tenant key of tenant (null: a platform key), minted by the operator; its id. */
  freshKeyId(tenant: string | null): Promise<string>;
  /** The id of an event stored in tenant's log. */
  eventId(tenant: string): string;
  /** A tenant id not used before. */
  freshTenantId(): string;
  /** A fresh legal hold (on one subject) of tenant; its id. */
  freshHoldId(tenant: string): Promise<string>;
}

/**
 * Who may call a route:
 * - `public`: anyone, no token needed;
 * - `operator`: the operator token alone, every API key gets 403;
 * - otherwise the API-key scopes that grant it (any one suffices), and whether the operator token may call it too.
 */
export type Access = 'public' | 'operator' | { operator: boolean; scopes: Scope[] };

/**
 * How a request names the tenant it acts on, which decides what a tenant key gets for another tenant:
 * - `path`: `/v1/tenants/{tenant}/...` — 404 whatever the key's scopes, before any scope check, so a key never learns
 *   whether another tenant exists;
 * - `query`: `?tenant=` (or a Retraced search's group) — 403 without a granting scope (the same for every tenant, so
 *   it tells nothing), 404 with one;
 * - `body`: the events name it — 403 without a granting scope, 400 naming the field with one (nothing is written);
 * - `none`: the route acts on no tenant.
 */
export type TenantPlacement = 'path' | 'query' | 'body' | 'none';

export interface RouteExpectation {
  access: Access;
  tenant: TenantPlacement;
  /** The request acting on `tenant`, objects included (fresh ones where the request consumes them). */
  request(fixture: MatrixFixture, tenant: string): Promise<InjectOptions>;
  /** What a caller the route admits gets for its own tenant (several when the route's state decides, e.g. a 409). */
  ok: number[];
  /**
   * A request under the caller's own tenant that names another tenant's object: a caller the route admits gets 404,
   * as for an object that does not exist.
   */
  foreignObject?(fixture: MatrixFixture, own: string, other: string): Promise<InjectOptions>;
}

const EVENTS_READ: Scope[] = ['events:read', 'events:read:pii'];
const LOG_READ: Scope[] = ['log:read'];
const TENANT_ADMIN: Access = { operator: true, scopes: ['admin'] };
const get = (url: string): InjectOptions => ({ method: 'GET', url });
const retraced = (path: string): string => `/auditlog/publisher/v1/project/matrix-project${path}`;

function retracedEvent(tenant: string): Record<string, unknown> {
  return { action: 'user.login', crud: 'c', group: { id: tenant }, actor: { id: 'user-1' }, target: { id: 'doc-1', type: 'document' } };
}

/**
 * Every route of the API, keyed `METHOD /openapi/path`, with who may call it. The matrix test fails when the served
 * OpenAPI document has a route this table does not describe, or the table a route the document lacks.
 */
export const ROUTE_EXPECTATIONS: Record<string, RouteExpectation> = {
  'GET /healthz': { access: 'public', tenant: 'none', ok: [200], request: async () => get('/healthz') },
  'GET /openapi.json': { access: 'public', tenant: 'none', ok: [200], request: async () => get('/openapi.json') },

  'POST /v1/tenants': {
    access: 'operator',
    tenant: 'none',
    ok: [201],
    request: async (f) => ({ method: 'POST', url: '/v1/tenants', payload: { id: f.freshTenantId(), name: 'Matrix' } }),
  },
  'GET /v1/tenants': { access: 'operator', tenant: 'none', ok: [200], request: async () => get('/v1/tenants') },
  'GET /v1/tenants/{tenant}': {
    access: TENANT_ADMIN,
    tenant: 'path',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/tenants/${tenant}`),
  },

  'POST /v1/tenants/{tenant}/api-keys': {
    access: TENANT_ADMIN,
    tenant: 'path',
    ok: [201],
    request: async (_f, tenant) => ({
      method: 'POST',
      url: `/v1/tenants/${tenant}/api-keys`,
      payload: { name: 'matrix', scopes: ['events:read'] },
    }),
  },
  'GET /v1/tenants/{tenant}/api-keys': {
    access: TENANT_ADMIN,
    tenant: 'path',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/tenants/${tenant}/api-keys`),
  },
  'POST /v1/tenants/{tenant}/api-keys/{id}/rotation': {
    access: TENANT_ADMIN,
    tenant: 'path',
    ok: [201],
    request: async (f, tenant) => ({
      method: 'POST',
      url: `/v1/tenants/${tenant}/api-keys/${await f.freshKeyId(tenant)}/rotation`,
    }),
    foreignObject: async (f, own, other) => ({
      method: 'POST',
      url: `/v1/tenants/${own}/api-keys/${await f.freshKeyId(other)}/rotation`,
    }),
  },
  'DELETE /v1/tenants/{tenant}/api-keys/{id}': {
    access: TENANT_ADMIN,
    tenant: 'path',
    ok: [204],
    request: async (f, tenant) => ({ method: 'DELETE', url: `/v1/tenants/${tenant}/api-keys/${await f.freshKeyId(tenant)}` }),
    foreignObject: async (f, own, other) => ({
      method: 'DELETE',
      url: `/v1/tenants/${own}/api-keys/${await f.freshKeyId(other)}`,
    }),
  },

  'POST /v1/api-keys': {
    access: 'operator',
    tenant: 'none',
    ok: [201],
    request: async () => ({ method: 'POST', url: '/v1/api-keys', payload: { name: 'matrix', scopes: ['events:read'] } }),
  },
  'GET /v1/api-keys': { access: 'operator', tenant: 'none', ok: [200], request: async () => get('/v1/api-keys') },
  'POST /v1/api-keys/{id}/rotation': {
    access: 'operator',
    tenant: 'none',
    ok: [201],
    request: async (f) => ({ method: 'POST', url: `/v1/api-keys/${await f.freshKeyId(null)}/rotation` }),
  },
  'DELETE /v1/api-keys/{id}': {
    access: 'operator',
    tenant: 'none',
    ok: [204],
    request: async (f) => ({ method: 'DELETE', url: `/v1/api-keys/${await f.freshKeyId(null)}` }),
  },

  'GET /v1/signing-keys': { access: 'operator', tenant: 'none', ok: [200], request: async () => get('/v1/signing-keys') },
  // Begun once, a rotation is in progress until completed: the second call is a 409, and completing alternates too.
  'POST /v1/signing-keys/rotation': {
    access: 'operator',
    tenant: 'none',
    ok: [201, 409],
    request: async () => ({ method: 'POST', url: '/v1/signing-keys/rotation' }),
  },
  'POST /v1/signing-keys/rotation/complete': {
    access: 'operator',
    tenant: 'none',
    ok: [200, 409],
    request: async () => ({ method: 'POST', url: '/v1/signing-keys/rotation/complete' }),
  },

  'POST /v1/events': {
    access: { operator: false, scopes: ['events:write'] },
    tenant: 'body',
    ok: [201],
    request: async (_f, tenant) => ({ method: 'POST', url: '/v1/events', payload: event({ tenant }) }),
  },
  'GET /v1/events': {
    access: { operator: false, scopes: EVENTS_READ },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/events?tenant=${tenant}`),
  },
  'GET /v1/events/{id}': {
    access: { operator: false, scopes: EVENTS_READ },
    tenant: 'query',
    ok: [200],
    request: async (f, tenant) => get(`/v1/events/${f.eventId(tenant)}?tenant=${tenant}`),
    foreignObject: async (f, own, other) => get(`/v1/events/${f.eventId(other)}?tenant=${own}`),
  },

  'GET /v1/resources/{type}/{id}/state': {
    access: { operator: false, scopes: EVENTS_READ },
    tenant: 'query',
    ok: [200],
    // Every tenant of the matrix holds an event about document doc-1 (see eventId).
    request: async (_f, tenant) => get(`/v1/resources/document/doc-1/state?tenant=${tenant}`),
  },

  'GET /v1/log/checkpoint': {
    access: { operator: false, scopes: LOG_READ },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/log/checkpoint?tenant=${tenant}`),
  },
  'GET /v1/log/key': {
    access: { operator: false, scopes: LOG_READ },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/log/key?tenant=${tenant}`),
  },
  'GET /v1/log/entries': {
    access: { operator: false, scopes: LOG_READ },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/log/entries?tenant=${tenant}&start=0&end=1`),
  },
  'GET /v1/log/proof/inclusion': {
    access: { operator: false, scopes: LOG_READ },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/log/proof/inclusion?tenant=${tenant}&index=0&size=1`),
  },
  'GET /v1/log/proof/consistency': {
    access: { operator: false, scopes: LOG_READ },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/log/proof/consistency?tenant=${tenant}&first=1&second=1`),
  },
  'GET /v1/log/verify': {
    access: { operator: false, scopes: LOG_READ },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/log/verify?tenant=${tenant}`),
  },

  'POST /v1/subjects/{subject}/erasure': {
    access: { operator: false, scopes: ['admin'] },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => ({ method: 'POST', url: `/v1/subjects/erased-subject/erasure?tenant=${tenant}` }),
  },
  'GET /v1/subjects/{subject}/events': {
    access: { operator: false, scopes: ['events:read:pii'] },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/subjects/user-1/events?tenant=${tenant}`),
  },
  'POST /v1/legal-holds': {
    access: { operator: false, scopes: ['admin'] },
    tenant: 'query',
    ok: [201],
    request: async (_f, tenant) => ({
      method: 'POST',
      url: `/v1/legal-holds?tenant=${tenant}`,
      payload: { subject: 'held-subject', reason: 'matrix' },
    }),
  },
  'GET /v1/legal-holds': {
    access: { operator: false, scopes: ['admin'] },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/legal-holds?tenant=${tenant}`),
  },
  'DELETE /v1/legal-holds/{id}': {
    access: { operator: false, scopes: ['admin'] },
    tenant: 'query',
    ok: [204],
    request: async (f, tenant) => ({ method: 'DELETE', url: `/v1/legal-holds/${await f.freshHoldId(tenant)}?tenant=${tenant}` }),
    foreignObject: async (f, own, other) => ({
      method: 'DELETE',
      url: `/v1/legal-holds/${await f.freshHoldId(other)}?tenant=${own}`,
    }),
  },
  'GET /v1/settings/privacy': {
    access: { operator: false, scopes: ['admin'] },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/settings/privacy?tenant=${tenant}`),
  },
  'PUT /v1/settings/privacy': {
    access: { operator: false, scopes: ['admin'] },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => ({
      method: 'PUT',
      url: `/v1/settings/privacy?tenant=${tenant}`,
      payload: { personal_data_paths: ['/metadata/ssn'] },
    }),
  },
  'GET /v1/export': {
    access: { operator: false, scopes: ['export'] },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => get(`/v1/export?tenant=${tenant}`),
  },

  'POST /auditlog/publisher/v1/project/{projectId}/event': {
    access: { operator: false, scopes: ['events:write'] },
    tenant: 'body',
    ok: [201],
    request: async (_f, tenant) => ({ method: 'POST', url: retraced('/event'), payload: retracedEvent(tenant) }),
  },
  'POST /auditlog/publisher/v1/project/{projectId}/event/bulk': {
    access: { operator: false, scopes: ['events:write'] },
    tenant: 'body',
    ok: [201],
    request: async (_f, tenant) => ({
      method: 'POST',
      url: retraced('/event/bulk'),
      payload: { events: [retracedEvent(tenant), retracedEvent(tenant)] },
    }),
  },
  'POST /auditlog/publisher/v1/project/{projectId}/graphql': {
    access: { operator: false, scopes: EVENTS_READ },
    tenant: 'query',
    ok: [200],
    request: async (_f, tenant) => ({
      method: 'POST',
      url: retraced('/graphql'),
      payload: {
        query: 'query Search($query: String!) { search(query: $query, last: 1) { totalCount } }',
        variables: { query: `group.id:${tenant}` },
      },
    }),
  },
  // Viewer tokens are not offered: a caller the route admits gets 501.
  'GET /auditlog/publisher/v1/project/{projectId}/viewertoken': {
    access: { operator: false, scopes: EVENTS_READ },
    tenant: 'none',
    ok: [501],
    request: async (_f, tenant) => get(retraced(`/viewertoken?group_id=${tenant}`)),
  },
};
