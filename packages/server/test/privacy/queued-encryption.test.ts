import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import { decodeQueuedRequest } from '../../src/queue/queued-request.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestStream, TEST_NATS_URL, type TestStream } from '../queue/nats-test-stream.js';
import { MARKED_PATHS, OPERATOR, personalEvent, plaintextOf } from './privacy-harness.js';

type App = Awaited<ReturnType<typeof buildHttpServer>>;

describe('queued ingest with encryption', () => {
  let stream: TestStream;
  let ctx: AppContext;
  let app: App;
  let nc: NatsConnection;
  let writer: string;
  let reader: string;

  beforeAll(async () => {
    stream = createTestStream('privacy');
    ctx = await createAppContext({
      store: await openStore({}),
      adminToken: OPERATOR,
      queue: { natsUrl: TEST_NATS_URL, streamName: stream.streamName, subjectPrefix: stream.subjectPrefix },
    });
    app = await buildHttpServer(ctx);
    nc = await connect({ servers: TEST_NATS_URL });
    const auth = { authorization: `Bearer ${OPERATOR}` };
    expect((await app.inject({ method: 'POST', url: '/v1/tenants', headers: auth, payload: { id: 'ward', name: 'Ward' } })).statusCode).toBe(201);
    const mint = async (scopes: string[]) =>
      (await app.inject({ method: 'POST', url: '/v1/tenants/ward/api-keys', headers: auth, payload: { name: 'k', scopes } })).json<{ key: string }>().key;
    writer = await mint(['events:write']);
    reader = await mint(['events:read:pii']);
    await ctx.privacy.paths.update('ward', MARKED_PATHS, new Date());
  });

  afterAll(async () => {
    await nc?.close();
    await app?.close();
    await ctx?.close();
    await stream?.delete();
  });

  it('queues only ciphertext, and the sequenced event decrypts and retries idempotently', async () => {
    // A plain subscriber sees exactly the bytes JetStream stores for the subject.
    const subscription = nc.subscribe(`${stream.subjectPrefix}.ward`, { max: 1 });
    const captured = (async () => {
      for await (const message of subscription) return message;
      throw new Error('no message');
    })();
    await nc.flush();
    const id = '0190f0a4-1c2b-7d3e-8f40-5a6b7c8d9aaa';
    const post = () =>
      app.inject({
        method: 'POST',
        url: '/v1/events?wait=true',
        headers: { authorization: `Bearer ${writer}` },
        payload: personalEvent('q1', { id }),
      });
    const answer = await post();
    expect(answer.statusCode, answer.body).toBe(201);

    const message = await captured;
    const raw = Buffer.from(message.data).toString('latin1');
    const request = await decodeQueuedRequest(message.data, message.headers);
    const decoded = JSON.stringify(request);
    for (const plain of plaintextOf('q1')) {
      expect(raw).not.toContain(plain);
      expect(decoded).not.toContain(plain);
    }
    expect(request.sealing).toHaveLength(1);
    expect(request.sealing?.[0]).toMatchObject({
      changed_fields: ['diagnosis', 'weight_kg'],
      personal_digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      personal_data: { key: expect.any(String), paths: expect.arrayContaining(['/actor/name', '/metadata/patient/name']) },
    });
    // The queued event holds null where its personal values were.
    expect(request.events[0]).toMatchObject({ actor: { name: null }, metadata: { patient: { name: null } } });

    const shown = await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: { authorization: `Bearer ${reader}` } });
    expect(shown.json()).toMatchObject({ actor: { name: 'Quillon Zarvex q1' }, changed_fields: ['diagnosis', 'weight_kg'] });

    const retry = await post();
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json()).toEqual(answer.json());
  });
});
