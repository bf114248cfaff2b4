import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import { tenantForGroup } from '../../src/retraced/group-tenant.js';
import { receiptHash } from '../../src/retraced/receipt-hash.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestStream, TEST_NATS_URL, type TestStream } from '../queue/nats-test-stream.js';

const OPERATOR = 'alo_retraced-queued-operator';
const URL = '/auditlog/publisher/v1/project/p1';

describe('Retraced publishing with queued ingest (NATS_URL)', () => {
  let stream: TestStream;
  let ctx: AppContext;
  let app: FastifyInstance;
  let platform: string;

  beforeAll(async () => {
    stream = createTestStream('retraced');
    ctx = await createAppContext({
      store: await openStore({}),
      adminToken: OPERATOR,
      queue: { natsUrl: TEST_NATS_URL, streamName: stream.streamName, subjectPrefix: stream.subjectPrefix },
    });
    app = await buildHttpServer(ctx);
    const minted = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${OPERATOR}` },
      payload: { name: 'publisher', scopes: ['events:write', 'events:read', 'log:read'] },
    });
    platform = minted.json<{ key: string }>().key;
  });

  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await stream?.delete();
  });

  it('answers 201 with the receipt once the queued events are sequenced, and a retry writes nothing', async () => {
    const body = { id: 'order-991', action: 'order.refund', group: { id: 'Queued_Co' }, actor: { id: 'clerk-1' } };
    const send = () => app.inject({ method: 'POST', url: `${URL}/event`, headers: { authorization: `token=${platform}` }, payload: body });
    const first = await send();
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toEqual({ id: 'order-991', hash: receiptHash(body, 'order-991') });
    const again = await send();
    expect(again.json()).toEqual(first.json());

    const tenant = tenantForGroup('Queued_Co');
    const verify = await app.inject({
      method: 'GET',
      url: `/v1/log/verify?tenant=${tenant}`,
      headers: { authorization: `Bearer ${platform}` },
    });
    expect(verify.json()).toMatchObject({ ok: true, size: 1 });
  });
});
