import { expect } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase } from '../support/postgres.js';

export const ADMIN_TOKEN = 'operator-token-for-bad-input-tests';

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

export interface RawRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Sent byte for byte; objects are JSON-encoded. */
  payload?: string | Buffer | object;
  /** Content-Type of the payload; null sends none. Default: application/json when there is a payload. */
  contentType?: string | null;
}

export interface Harness {
  readonly storeName: string;
  readonly ctx: AppContext;
  readonly tenant: string;
  /** An API key of the tenant with events:write, events:read and log:read. */
  readonly key: string;
  send(request: RawRequest, token?: string): Promise<Answer>;
  close(): Promise<void>;
}

type App = Awaited<ReturnType<typeof buildHttpServer>>;

async function sendTo(app: App, request: RawRequest, token: string | undefined): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let payload: string | Buffer | undefined;
  if (request.payload !== undefined) {
    payload =
      typeof request.payload === 'string' || Buffer.isBuffer(request.payload)
        ? request.payload
        : JSON.stringify(request.payload);
    if (request.contentType !== null) headers['content-type'] = request.contentType ?? 'application/json';
  }
  const response = await app.inject({
    method: request.method,
    url: request.url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  });
  const contentType = String(response.headers['content-type'] ?? '');
  let json: unknown;
  try {
    json = contentType.includes('json') ? JSON.parse(response.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, contentType, text: response.body, json };
}

/** The service in-process on a fresh store, with one tenant and a key for it. */
export async function openHarness(storeName: 'PGlite' | 'PostgreSQL'): Promise<Harness> {
  const database = storeName === 'PostgreSQL' ? await createTestDatabase('al_bad_input') : undefined;
  const store = await openStore(database?.url ?? {});
  const ctx = await createAppContext({ store, adminToken: ADMIN_TOKEN });
  const app = await buildHttpServer(ctx);
  const tenant = 'bad-input';
  const send = (request: RawRequest, token?: string): Promise<Answer> => sendTo(app, request, token);

  const created = await send(
    { method: 'POST', url: '/v1/tenants', payload: { id: tenant, name: 'Bad input' } },
    ADMIN_TOKEN,
  );
  expect(created.status, created.text).toBe(201);
  const minted = await send(
    {
      method: 'POST',
      url: `/v1/tenants/${tenant}/api-keys`,
      payload: { name: 'bad-input', scopes: ['events:write', 'events:read', 'log:read'] },
    },
    ADMIN_TOKEN,
  );
  expect(minted.status, minted.text).toBe(201);
  const key = (minted.json as { key: string }).key;

  return {
    storeName,
    ctx,
    tenant,
    key,
    send: (request, token = key) => send(request, token),
    async close() {
      await app.close();
      await ctx.close();
      await database?.drop();
    },
  };
}

/** A 4xx problem document as the contract describes it, with nothing internal leaking through. */
export function expectProblem(answer: Answer, status?: number): void {
  const summary = `${answer.status} ${answer.contentType} ${answer.text.slice(0, 500)}`;
  if (status !== undefined) expect(answer.status, summary).toBe(status);
  expect(answer.status >= 400 && answer.status < 500, `a 4xx answer: ${summary}`).toBe(true);
  expect(answer.contentType, summary).toMatch(/^application\/problem\+json/);
  const problem = answer.json as Record<string, unknown>;
  expect(typeof problem.type, summary).toBe('string');
  expect(typeof problem.title, summary).toBe('string');
  expect(problem.status, summary).toBe(answer.status);
  expect(typeof problem.detail, summary).toBe('string');
  const internals = /\b(SELECT|INSERT|UPDATE)\b|\n\s+at |\.ts:\d+/;
  expect(answer.text, 'no SQL or stack traces in a problem').not.toMatch(internals);
}

/** The paths of a problem's errors[], or [] when it has none. */
export function errorPaths(answer: Answer): string[] {
  const errors = (answer.json as { errors?: { path: string }[] } | undefined)?.errors ?? [];
  return errors.map((error) => error.path);
}

export interface LogState {
  verified: unknown;
  checkpoint: string;
  listed: string[];
  rows: number;
}

/** Everything a write could change: the verified log, its checkpoint, what a reader lists, and the raw row count. */
export async function logState(harness: Harness): Promise<LogState> {
  const verify = await harness.send({ method: 'GET', url: '/v1/log/verify' });
  expect(verify.status, verify.text).toBe(200);
  const checkpoint = await harness.send({ method: 'GET', url: '/v1/log/checkpoint' });
  expect(checkpoint.status, checkpoint.text).toBe(200);
  const listed = await harness.send({ method: 'GET', url: '/v1/events?limit=1000' });
  expect(listed.status, listed.text).toBe(200);
  const events = (listed.json as { events: { id: string }[] }).events;
  return {
    verified: verify.json,
    checkpoint: checkpoint.text,
    listed: events.map((event) => event.id),
    rows: await harness.ctx.store.countEvents(harness.tenant),
  };
}

/** Sends the request and checks that the store is exactly as before and still verifies. */
export async function expectNothingWritten(harness: Harness, request: RawRequest): Promise<Answer> {
  const before = await logState(harness);
  expect(before.verified).toMatchObject({ ok: true, failures: [] });
  const answer = await harness.send(request);
  const after = await logState(harness);
  expect(after, `the store changed after ${request.method} ${request.url.slice(0, 200)}`).toEqual(before);
  return answer;
}
