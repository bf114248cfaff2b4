import type { Server } from 'node:http';
import express, { type Request } from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { auditContext, fastifyAuditContext, type DenialRecording } from '../../src/middleware/index.js';
import { MemoryRecorder } from '../context/memory-recorder.js';
import { baseUrl, send } from './http-support.js';

type AuthedRequest = Request & { user?: { id: string } };

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers) await close();
  closers = [];
});

/** An Express app whose /admin answers 401 to nobody, 403 to anyone but "root", and 200 to root. */
async function expressApp(recordDenials: DenialRecording): Promise<string> {
  const app = express();
  app.use((req: AuthedRequest, _res, next) => {
    const user = req.get('x-user');
    if (user !== undefined) req.user = { id: user };
    next();
  });
  app.use(auditContext<AuthedRequest>({ actor: (req) => (req.user ? { id: req.user.id, type: 'user' } : undefined), recordDenials }));
  app.get('/admin/:section', (req: AuthedRequest, res) => {
    if (req.user === undefined) res.status(401).json({ error: 'log in' });
    else if (req.user.id !== 'root') res.status(403).json({ error: 'no' });
    else res.json({ ok: true });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return baseUrl(server);
}

/** Waits until the recorder holds `count` events: 'finish' fires after the client has its answer. */
async function eventsOf(sink: MemoryRecorder, count: number) {
  for (let i = 0; i < 100 && sink.events.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return sink.events;
}

describe('recordDenials', () => {
  it('records each refused request with its context, anonymous or not, and nothing else (Express)', async () => {
    const sink = new MemoryRecorder();
    const url = await expressApp({ recorder: sink });
    expect((await send(`${url}/admin/users?token=s3cret`, { headers: { 'x-request-id': 'req-401' } })).status).toBe(401);
    expect((await send(`${url}/admin/users`, { headers: { 'x-user': 'mallory', 'user-agent': 'probe/1' } })).status).toBe(403);
    expect((await send(`${url}/admin/users`, { headers: { 'x-user': 'root' } })).status).toBe(200);
    const events = await eventsOf(sink, 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sink.events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      action: 'access.denied',
      outcome: 'denied',
      actor: { id: 'anonymous', type: 'user' },
      resource: { type: 'http-route', id: 'GET /admin/users' },
      context: { request_id: 'req-401', ip: '127.0.0.1' },
      metadata: { status: 401 },
    });
    // The query string (here a token) is never recorded.
    expect(JSON.stringify(events)).not.toContain('s3cret');
    expect(events[1]).toMatchObject({ actor: { id: 'mallory' }, context: { user_agent: 'probe/1' }, metadata: { status: 403 } });
  });

  it('takes its own statuses and action, and never lets a failing recorder touch the response', async () => {
    const sink = new MemoryRecorder();
    const url = await expressApp({ recorder: sink, statuses: [403], action: 'admin.access.denied' });
    await send(`${url}/admin/users`);
    await send(`${url}/admin/users`, { headers: { 'x-user': 'eve' } });
    expect((await eventsOf(sink, 1)).map((e) => [e.action, e.actor.id])).toEqual([['admin.access.denied', 'eve']]);

    const errors: unknown[] = [];
    const failing = await expressApp({
      recorder: { record: () => { throw new Error('buffer full'); } },
      onError: (error) => errors.push(error),
    });
    expect((await send(`${failing}/admin/users`)).status).toBe(401);
    for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors).toEqual([new Error('buffer full')]);
    expect((await send(`${failing}/admin/users`, { headers: { 'x-user': 'root' } })).status).toBe(200);
  });

  it('records refused requests in Fastify too', async () => {
    const sink = new MemoryRecorder();
    const app = Fastify();
    await app.register(fastifyAuditContext, { recordDenials: { recorder: sink } });
    app.get('/vault', async (_request, reply) => reply.code(403).send({ error: 'no' }));
    app.get('/open', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect((await send(`${url}/vault?x=1`)).status).toBe(403);
    expect((await send(`${url}/open`)).status).toBe(200);
    const events = await eventsOf(sink, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sink.events).toHaveLength(1);
    expect(events[0]).toMatchObject({ resource: { id: 'GET /vault' }, outcome: 'denied', metadata: { status: 403 } });
    expect(events[0]?.context?.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
