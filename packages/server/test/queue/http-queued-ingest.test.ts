import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestStream, TEST_NATS_URL, type TestStream } from './nats-test-stream.js';
import type { FastifyInstance } from 'fastify';

const OPERATOR = 'alo_queued-http-operator';

describe('POST /v1/events with queued ingest (NATS_URL)', () => {
  let stream: TestStream;
  let ctx: AppContext;
  let app: FastifyInstance;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    stream = createTestStream('http');
    ctx = await createAppContext({
      store: await openStore({}),
      adminToken: OPERATOR,
      queue: { natsUrl: TEST_NATS_URL, streamName: stream.streamName, subjectPrefix: stream.subjectPrefix },
    });
    app = await buildHttpServer(ctx);
    const auth = { authorization: `Bearer ${OPERATOR}` };
    expect((await app.inject({ method: 'POST', url: '/v1/tenants', headers: auth, payload: { id: 'acme', name: 'Acme' } })).statusCode).toBe(201);
    const minted = await app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/api-keys',
      headers: auth,
      payload: { name: 'writer', scopes: ['events:write', 'events:read'] },
    });
    ({ key, id: keyId } = minted.json<{ key: string; id: string }>());
  });

  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await stream?.delete();
  });

  const post = (url: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
  const event = (n: number) => ({ action: 'document.update', actor: { id: `u${n}` }, resource: { type: 'document', id: `d${n}` } });

  it('answers 202 once queued, and the events are sequenced afterwards', async () => {
    const queued = await post('/v1/events', { events: [event(1), event(2)] });
    expect(queued.statusCode, queued.body).toBe(202);
    const ids = queued.json<{ events: { id: string; status: string }[] }>().events;
    expect(ids.map((e) => e.status)).toEqual(['queued', 'queued']);
    for (const { id } of ids) {
      let found = await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: { authorization: `Bearer ${key}` } });
      while (found.statusCode !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        found = await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: { authorization: `Bearer ${key}` } });
      }
      // The key that sent it travels with the queued request and is sealed when it is sequenced.
      expect(found.json<{ submitted_by?: string }>().submitted_by).toBe(keyId);
    }
  });

  it('with ?wait=true answers 201 with the seqs, and a conflicting reuse of an id with 409', async () => {
    const id = '0190f3d2-7a6b-7c1d-8e2f-000000000001';
    const first = await post('/v1/events?wait=true', { ...event(3), id });
    expect(first.statusCode, first.body).toBe(201);
    const ack = first.json<{ events: { id: string; seq: number; leaf_hash: string }[] }>().events[0]!;
    expect(ack.id).toBe(id);
    expect(ack.leaf_hash).toMatch(/^[0-9a-f]{64}$/);
    const conflict = await post('/v1/events?wait=true', { ...event(4), id });
    expect(conflict.statusCode, conflict.body).toBe(409);
    expect(conflict.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
