import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import { buildHttpServer, type HttpServerOptions } from '../../src/http/build-http-server.js';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';
import type { Scope } from '../../src/store/ledger-store.js';

export const OPERATOR_TOKEN = 'alo_http-tests-operator-token';

export interface Harness {
  app: FastifyInstance;
  ctx: AppContext;
  /** Sends a request with the given bearer token (none when undefined). */
  call(options: InjectOptions, token?: string): Promise<LightMyRequestResponse>;
  createTenant(id: string): Promise<void>;
  /** Mints a key through the API: a tenant key, or a platform key when tenant is null. */
  mintKey(tenant: string | null, scopes: Scope[], extra?: Record<string, unknown>): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

/** The real AppContext on an in-memory PGlite store, behind the HTTP server, driven with inject. */
export async function openHarness(options: HttpServerOptions = {}): Promise<Harness> {
  const store = createLedgerStore(createPgliteDriver(undefined));
  const ctx = await createAppContext({ store, adminToken: OPERATOR_TOKEN });
  return harnessOver(ctx, await buildHttpServer(ctx, options), OPERATOR_TOKEN);
}

/** Drives an app with inject, minting through the API with the given operator token; close() closes both. */
export function harnessOver(ctx: AppContext, app: FastifyInstance, operatorToken: string): Harness {
  const call = (request: InjectOptions, token?: string) =>
    app.inject({
      ...request,
      headers: { ...request.headers, ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    });
  return {
    app,
    ctx,
    call,
    async createTenant(id) {
      const response = await call({ method: 'POST', url: '/v1/tenants', payload: { id, name: `Tenant ${id}` } }, operatorToken);
      expect(response.statusCode, response.body).toBe(201);
    },
    async mintKey(tenant, scopes, extra = {}) {
      const url = tenant === null ? '/v1/api-keys' : `/v1/tenants/${tenant}/api-keys`;
      const response = await call({ method: 'POST', url, payload: { name: 'test key', scopes, ...extra } }, operatorToken);
      expect(response.statusCode, response.body).toBe(201);
      return response.json<{ id: string; key: string }>();
    },
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}

/** Checks an error answer is a problem document with the given status, leaking nothing internal. */
export function expectProblem(response: LightMyRequestResponse, status: number): { errors?: { path: string; message: string }[]; detail: string } {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json<Record<string, unknown>>();
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(response.body).not.toMatch(/\bSELECT\b|\bINSERT\b|\n\s+at |\.ts:\d+/);
  return problem as { errors?: { path: string; message: string }[]; detail: string };
}

export function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action: 'document.update',
    actor: { id: 'user-1', name: 'Ada Lovelace', email: 'ada@example.com' },
    resource: { type: 'document', id: 'doc-1' },
    context: { ip: '203.0.113.7', user_agent: 'Mozilla/5.0', request_id: 'req-1' },
    changes: { before: { title: 'Draft' }, after: { title: 'Final' } },
    ...overrides,
  };
}
