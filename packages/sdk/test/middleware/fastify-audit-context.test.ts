import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { contextualRecorder, currentAuditContext, updateAuditContext } from '../../src/context/index.js';
import { fastifyAuditContext } from '../../src/middleware/index.js';
import { barrier, MemoryRecorder, tick } from '../context/memory-recorder.js';
import { postInChunks, send } from './http-support.js';

declare module 'fastify' {
  interface FastifyRequest {
    user?: { id: string; role: string };
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listen(instance: FastifyInstance): Promise<string> {
  app = instance;
  return instance.listen({ port: 0, host: '127.0.0.1' });
}

/**
 * A real Fastify app: the audit plugin on the root, authentication in an onRequest hook added after it (so the actor
 * is only known in the plugin's second look), and the routes inside an encapsulated child plugin with a prefix.
 */
async function start(options: { concurrent?: number; trustProxy?: boolean } = {}) {
  const sink = new MemoryRecorder();
  const recorder = contextualRecorder(sink);
  const arrive = barrier(options.concurrent ?? 1);
  const instance = Fastify({ trustProxy: options.trustProxy ?? false });
  await instance.register(fastifyAuditContext<FastifyRequest>, {
    actor: (req) => (req.user ? { id: req.user.id, type: 'user' } : undefined),
    tenant: (req) => {
      const tenant = req.headers['x-tenant'];
      return typeof tenant === 'string' ? tenant : undefined;
    },
    sessionId: (req) => (typeof req.headers['x-session'] === 'string' ? req.headers['x-session'] : undefined),
  });
  instance.addHook('onRequest', async (req) => {
    await tick(1);
    const user = req.headers['x-user'];
    if (typeof user === 'string') req.user = { id: user, role: `role-of-${user}` };
  });
  instance.addHook('preHandler', async (req) => {
    await tick(1);
    if (req.user) updateAuditContext({ role: req.user.role });
  });
  await instance.register(
    async (child) => {
      child.post<{ Params: { id: string }; Body: { title: string; delay: number } }>('/documents/:id', async (req) => {
        await arrive();
        await tick(req.body.delay);
        recorder.record({ action: 'document.update', resource: { type: 'document', id: req.params.id }, changes: { after: req.body } });
        await tick(1);
        return { context: currentAuditContext() };
      });
      child.get('/whoami', async () => ({ context: currentAuditContext() ?? null }));
    },
    { prefix: '/v1' },
  );
  const url = await listen(instance);
  return { sink, url };
}

describe('Fastify audit context plugin', () => {
  it('gives each of many interleaved requests with bodies its own context across encapsulated routes', async () => {
    const n = 30;
    const { sink, url } = await start({ concurrent: n });
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        send(`${url}/v1/documents/doc-${i}`, {
          method: 'POST',
          headers: { 'x-user': `u-${i}`, 'x-tenant': `tenant-${i % 4}`, 'x-request-id': `req-${i}`, 'user-agent': `agent/${i}`, 'x-session': `s-${i}` },
          body: { title: `t-${i}`, delay: (i * 7) % 5 },
        }),
      ),
    );
    responses.forEach((response, i) => {
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.headers.get('x-request-id')).toBe(`req-${i}`);
      expect(response.body.context).toEqual({
        actor: { id: `u-${i}`, type: 'user' },
        tenant: `tenant-${i % 4}`,
        ip: '127.0.0.1',
        user_agent: `agent/${i}`,
        request_id: `req-${i}`,
        session_id: `s-${i}`,
        role: `role-of-u-${i}`,
      });
    });
    expect(sink.events).toHaveLength(n);
    for (const event of sink.events) {
      const i = Number(event.resource.id.slice('doc-'.length));
      expect(event).toMatchObject({
        actor: { id: `u-${i}` },
        tenant: `tenant-${i % 4}`,
        context: { request_id: `req-${i}`, role: `role-of-u-${i}`, session_id: `s-${i}` },
        changes: { after: { title: `t-${i}` } },
      });
    }
  });

  it('keeps the context when the body arrives over several socket reads', async () => {
    const { sink, url } = await start({ concurrent: 3 });
    const responses = await Promise.all(
      [0, 1, 2].map((i) =>
        postInChunks(`${url}/v1/documents/doc-${i}`, ['{"title":', `"t-${i}",`, `"delay":${i}}`], { 'x-user': `u-${i}`, 'x-request-id': `slow-${i}` }),
      ),
    );
    responses.forEach((response, i) => expect(response.body.context).toMatchObject({ actor: { id: `u-${i}` }, request_id: `slow-${i}` }));
    expect(sink.events.map((e) => [e.actor.id, e.context?.request_id]).sort()).toEqual([
      ['u-0', 'slow-0'],
      ['u-1', 'slow-1'],
      ['u-2', 'slow-2'],
    ]);
  });

  it('honours trustProxy for the address', async () => {
    const trusted = await start({ trustProxy: true });
    const viaProxy = await send(`${trusted.url}/v1/whoami`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
    expect(viaProxy.body.context).toMatchObject({ ip: '198.51.100.4' });
    await app?.close();

    const untrusted = await start();
    const spoofed = await send(`${untrusted.url}/v1/whoami`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
    expect(spoofed.body.context).toMatchObject({ ip: '127.0.0.1' });
    expect(spoofed.body.context).not.toHaveProperty('actor');
    expect((spoofed.body.context as { request_id: string }).request_id).toBe(spoofed.headers.get('x-request-id'));
  });

  it('applies to sibling plugins because it is not encapsulated, and runs once per request', async () => {
    let generated = 0;
    const instance = Fastify();
    await instance.register(async (scoped) => {
      scoped.get('/early', async () => ({ context: currentAuditContext() ?? null }));
    });
    await instance.register(fastifyAuditContext, {
      generateRequestId: () => `gen-${++generated}`,
      context: () => ({ business_process: 'checkout' }),
    });
    await instance.register(async (scoped) => {
      scoped.get('/late', async () => ({ context: currentAuditContext() ?? null }));
    });
    const url = await listen(instance);
    const late = await send(`${url}/late`);
    expect(late.body.context).toMatchObject({ request_id: 'gen-1', business_process: 'checkout' });
    const early = await send(`${url}/early`);
    expect(early.body.context).toMatchObject({ request_id: 'gen-2', business_process: 'checkout' });
    expect(generated).toBe(2);
  });

  it('turns a throwing resolver into an error response without leaking a context', async () => {
    const instance = Fastify();
    await instance.register(fastifyAuditContext, {
      tenant: () => {
        throw new Error('tenant lookup failed');
      },
    });
    instance.get('/', async () => ({ context: currentAuditContext() ?? null }));
    instance.setErrorHandler((err: Error, _req, reply) => {
      void reply.status(503).send({ error: err.message, context: currentAuditContext() ?? null });
    });
    const url = await listen(instance);
    const response = await send(url);
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: 'tenant lookup failed', context: null });
  });
});
