import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import type { KeyRing } from '../../src/crypto/key-wrapper.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import type { Scope } from '../../src/store/ledger-store.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

export const OPERATOR = 'alo_privacy-tests-operator-token';

export type StoreName = 'PGlite' | 'PostgreSQL';

export interface PrivacyHarness {
  ctx: AppContext;
  app: FastifyInstance;
  /** The PostgreSQL test database, when the store is PostgreSQL. */
  database: TestDatabase | null;
  call(options: InjectOptions, token?: string): Promise<LightMyRequestResponse>;
  json<T = Record<string, unknown>>(options: InjectOptions, token: string, status?: number): Promise<T>;
  createTenant(id: string): Promise<void>;
  mintKey(tenant: string | null, scopes: Scope[]): Promise<string>;
  /** Writes events through POST /v1/events and answers the acks. */
  write(token: string, events: Record<string, unknown>[]): Promise<{ id: string; seq: number; leaf_hash: string }[]>;
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

export interface HarnessOptions {
  /** An existing PostgreSQL database to open instead of a new one. */
  database?: TestDatabase;
  keyRing?: KeyRing;
  encryption?: boolean;
}

/** The real service on a fresh PGlite (in memory) or PostgreSQL database, driven in-process. */
export async function openPrivacyHarness(storeName: StoreName, options: HarnessOptions = {}): Promise<PrivacyHarness> {
  const database = storeName === 'PostgreSQL' ? (options.database ?? (await createTestDatabase('al_privacy'))) : null;
  const store = await openStore(database?.url ?? {});
  const ctx = await createAppContext({
    store,
    adminToken: OPERATOR,
    checkpointIntervalMs: 50,
    privacy: {
      ...(options.keyRing !== undefined ? { keyRing: options.keyRing } : {}),
      ...(options.encryption !== undefined ? { encryption: options.encryption } : {}),
    },
  });
  const app = await buildHttpServer(ctx);
  const call = (request: InjectOptions, token?: string) =>
    app.inject({
      ...request,
      headers: { ...request.headers, ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    });
  const json = async <T>(request: InjectOptions, token: string, status = 200): Promise<T> => {
    const response = await call(request, token);
    expect(response.statusCode, `${request.method} ${String(request.url)}: ${response.body}`).toBe(status);
    return response.json<T>();
  };
  return {
    ctx,
    app,
    database,
    call,
    json,
    async createTenant(id) {
      await json({ method: 'POST', url: '/v1/tenants', payload: { id, name: `Tenant ${id}` } }, OPERATOR, 201);
    },
    async mintKey(tenant, scopes) {
      const url = tenant === null ? '/v1/api-keys' : `/v1/tenants/${tenant}/api-keys`;
      return (await json<{ key: string }>({ method: 'POST', url, payload: { name: 'privacy test', scopes } }, OPERATOR, 201)).key;
    },
    async write(token, events) {
      const answer = await json<{ events: { id: string; seq: number; leaf_hash: string }[] }>(
        { method: 'POST', url: '/v1/events', payload: { events } },
        token,
        201,
      );
      return answer.events;
    },
    async close(closeOptions = {}) {
      await app.close();
      await ctx.close();
      if (closeOptions.keepDatabase !== true && options.database === undefined) await database?.drop();
    },
  };
}

/** An event full of distinctive personal data, all of which must never be stored in clear. */
export function personalEvent(tag: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action: 'patient.record.update',
    actor: { id: `doctor-${tag}`, name: `Quillon Zarvex ${tag}`, email: `quillon.${tag}@zarvex-clinic.example` },
    resource: { type: 'patient-record', id: `rec-${tag}`, name: `Chart Yvorne ${tag}` },
    context: { ip: '198.51.100.231', user_agent: `ZarvexBrowser/${tag}`, request_id: `req-${tag}` },
    changes: {
      before: { diagnosis: `Flurbix syndrome ${tag}`, weight_kg: 81.5, allergies: ['pollen-qx'] },
      after: { diagnosis: `Glemptor fever ${tag}`, weight_kg: 79.25, allergies: ['pollen-qx'] },
    },
    metadata: { ward: 'north', patient: { name: `Orsolya Vexhaven ${tag}`, insurance: 'INS-77' } },
    ...overrides,
  };
}

/** The plaintext strings of personalEvent(tag) that must never appear at rest. */
export function plaintextOf(tag: string): string[] {
  return [
    `Quillon Zarvex ${tag}`,
    `quillon.${tag}@zarvex-clinic.example`,
    '198.51.100.231',
    `ZarvexBrowser/${tag}`,
    `Flurbix syndrome ${tag}`,
    `Glemptor fever ${tag}`,
    '81.5',
    '79.25',
    'pollen-qx',
    `Orsolya Vexhaven ${tag}`,
  ];
}

/** The extra path the tests mark personal. */
export const MARKED_PATHS = ['/metadata/patient/name'];

/** Parses an NDJSON body into objects. */
export function ndjson(body: string): Record<string, unknown>[] {
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
