import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from './http-harness.js';

let h: Harness;
let document: {
  openapi: string;
  paths: Record<string, Record<string, { tags?: string[]; security?: unknown[]; responses?: Record<string, unknown>; parameters?: { name: string; in: string }[]; requestBody?: unknown }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }>; schemas: Record<string, unknown> };
  tags: { name: string }[];
};

beforeAll(async () => {
  h = await openHarness();
  const response = await h.call({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  document = response.json();
});

afterAll(async () => {
  await h.close();
});

const PUBLIC = [
  ['get', '/healthz'],
  ['get', '/openapi.json'],
] as const;

const GUARDED = [
  ['post', '/v1/tenants'],
  ['get', '/v1/tenants'],
  ['get', '/v1/tenants/{tenant}'],
  ['post', '/v1/tenants/{tenant}/api-keys'],
  ['get', '/v1/tenants/{tenant}/api-keys'],
  ['delete', '/v1/tenants/{tenant}/api-keys/{id}'],
  ['post', '/v1/tenants/{tenant}/api-keys/{id}/rotation'],
  ['post', '/v1/api-keys'],
  ['get', '/v1/api-keys'],
  ['delete', '/v1/api-keys/{id}'],
  ['post', '/v1/api-keys/{id}/rotation'],
  ['get', '/v1/signing-keys'],
  ['post', '/v1/signing-keys/rotation'],
  ['post', '/v1/signing-keys/rotation/complete'],
  ['post', '/v1/events'],
  ['get', '/v1/events'],
  ['get', '/v1/events/{id}'],
  ['get', '/v1/resources/{type}/{id}/state'],
  ['get', '/v1/log/checkpoint'],
  ['get', '/v1/log/key'],
  ['get', '/v1/log/entries'],
  ['get', '/v1/log/proof/inclusion'],
  ['get', '/v1/log/proof/consistency'],
  ['get', '/v1/log/verify'],
  ['post', '/v1/subjects/{subject}/erasure'],
  ['get', '/v1/subjects/{subject}/events'],
  ['post', '/v1/legal-holds'],
  ['get', '/v1/legal-holds'],
  ['delete', '/v1/legal-holds/{id}'],
  ['get', '/v1/settings/privacy'],
  ['put', '/v1/settings/privacy'],
  ['get', '/v1/export'],
] as const;

/** Retraced's publisher API: guarded too, and also reachable with Retraced's own header form. */
const RETRACED = [
  ['post', '/auditlog/publisher/v1/project/{projectId}/event'],
  ['post', '/auditlog/publisher/v1/project/{projectId}/event/bulk'],
  ['post', '/auditlog/publisher/v1/project/{projectId}/graphql'],
  ['get', '/auditlog/publisher/v1/project/{projectId}/viewertoken'],
] as const;

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with a bearer security scheme and tags', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.tags.map((t) => t.name)).toEqual(['service', 'tenants', 'api-keys', 'events', 'signing-keys', 'log', 'privacy', 'retraced']);
  });

  it('lists every route and nothing else', () => {
    const listed = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(listed.sort()).toEqual(
      [...PUBLIC, ...GUARDED, ...RETRACED].map(([method, path]) => `${method} ${path}`).sort(),
    );
  });

  it.each(GUARDED)('%s %s is tagged, needs the bearer token and documents its problems', (method, path) => {
    const operation = document.paths[path]?.[method];
    expect(operation?.tags?.length).toBe(1);
    expect(operation?.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['400', '401', '403', '404']));
    expect(JSON.stringify(operation?.responses?.['401'])).toContain('application/problem+json');
  });

  it('documents the event body, the search filters and the shared schemas', () => {
    expect(JSON.stringify(document.paths['/v1/events']?.['post']?.requestBody)).toContain('occurred_at');
    const filters = document.paths['/v1/events']?.['get']?.parameters?.map((p) => p.name);
    expect(filters).toEqual(
      expect.arrayContaining(['tenant', 'actor_id', 'action', 'resource_type', 'resource_id', 'outcome', 'from', 'to', 'q', 'limit', 'cursor']),
    );
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Problem', 'Tenant', 'ApiKey', 'StoredEvent']));
  });
});
