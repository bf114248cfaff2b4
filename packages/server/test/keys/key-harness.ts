import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { AppContext, ServiceConfig } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import type { LedgerStore, Scope } from '../../src/store/ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';

export const OPERATOR_TOKEN = 'alo_key-tests-operator-token';

/** A clock a test moves by hand: key expiry, grace periods and rate-limit refills follow it, not the wall clock. */
export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

export function testClock(start = new Date()): TestClock {
  let at = start.getTime();
  return { now: () => new Date(at), advance: (ms) => void (at += ms) };
}

export interface KeyHarness {
  app: FastifyInstance;
  ctx: AppContext;
  clock: TestClock;
  call(options: InjectOptions, token?: string): Promise<LightMyRequestResponse>;
  createTenant(id: string): Promise<void>;
  mintKey(tenant: string | null, scopes: Scope[], extra?: Record<string, unknown>): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

export interface KeyHarnessOptions {
  store?: LedgerStore;
  config?: Partial<ServiceConfig>;
  signingKey?: string;
  logger?: object;
  checkpointSweepMs?: number;
}

/** The real AppContext and HTTP server (in-memory PGlite unless a store is given), driven with inject. */
export async function openKeyHarness(options: KeyHarnessOptions = {}): Promise<KeyHarness> {
  const store = options.store ?? createLedgerStore(createPgliteDriver(undefined));
  const ctx = await createAppContext({
    store,
    adminToken: OPERATOR_TOKEN,
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.signingKey !== undefined ? { signingKey: options.signingKey } : {}),
    ...(options.checkpointSweepMs !== undefined ? { checkpointSweepMs: options.checkpointSweepMs } : {}),
  });
  const clock = testClock();
  const app = await buildHttpServer(ctx, { now: clock.now, ...(options.logger !== undefined ? { logger: options.logger } : {}) });
  const call = (request: InjectOptions, token?: string) =>
    app.inject({
      ...request,
      headers: { ...request.headers, ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    });
  return {
    app,
    ctx,
    clock,
    call,
    async createTenant(id) {
      const response = await call({ method: 'POST', url: '/v1/tenants', payload: { id, name: `Tenant ${id}` } }, OPERATOR_TOKEN);
      expect(response.statusCode, response.body).toBe(201);
    },
    async mintKey(tenant, scopes, extra = {}) {
      const url = tenant === null ? '/v1/api-keys' : `/v1/tenants/${tenant}/api-keys`;
      const response = await call({ method: 'POST', url, payload: { name: 'test key', scopes, ...extra } }, OPERATOR_TOKEN);
      expect(response.statusCode, response.body).toBe(201);
      return response.json<{ id: string; key: string }>();
    },
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}

/** An error answer: problem+json with the status, and its detail. */
export function expectProblem(response: LightMyRequestResponse, status: number): { detail: string; errors?: { path: string }[] } {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return response.json<{ detail: string; errors?: { path: string }[] }>();
}
