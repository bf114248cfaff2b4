import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { contextualRecorder, currentAuditContext, updateAuditContext } from '../../src/context/index.js';
import { auditContext, sessionFingerprint } from '../../src/middleware/index.js';
import { barrier, MemoryRecorder, tick } from '../context/memory-recorder.js';
import { baseUrl, postInChunks, send } from './http-support.js';

type AuthedRequest = Request & { user?: { id: string; name: string } };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A real Express app: stand-in auth from headers, the audit middleware, a JSON body parser, then routes. */
async function start(options: { trustProxy?: string; concurrent?: number } = {}) {
  const sink = new MemoryRecorder();
  const recorder = contextualRecorder(sink);
  const arrive = barrier(options.concurrent ?? 1);
  const app = express();
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  app.use((req: AuthedRequest, _res, next) => {
    const user = req.get('x-user');
    if (user !== undefined) req.user = { id: user, name: `Name of ${user}` };
    next();
  });
  app.use(
    auditContext<AuthedRequest>({
      actor: (req) => (req.user ? { id: req.user.id, type: 'user', name: req.user.name } : undefined),
      tenant: (req) => req.get('x-tenant'),
      sessionId: (req) => {
        const cookie = req.get('cookie')?.match(/(?:^|;\s*)sid=([^;]+)/)?.[1];
        return cookie === undefined ? undefined : sessionFingerprint(cookie);
      },
      context: (req) => ({ business_process: req.get('x-process') }),
    }),
  );
  app.use(express.json());
  app.post('/documents/:id', async (req: AuthedRequest, res) => {
    await arrive();
    await tick(Number(req.body.delay ?? 0));
    recorder.record({ action: 'document.update', resource: { type: 'document', id: String(req.params.id) }, changes: { after: req.body } });
    await tick(1);
    res.json({ context: currentAuditContext() });
  });
  app.post('/login', async (req, res) => {
    await arrive();
    updateAuditContext({ actor: { id: String(req.body.user), type: 'user' }, auth_method: 'password' });
    await tick(Number(req.body.delay ?? 0));
    recorder.record({ action: 'user.login', resource: { type: 'user', id: String(req.body.user) } });
    res.json({ context: currentAuditContext() });
  });
  app.get('/whoami', (_req, res) => {
    res.json({ context: currentAuditContext() ?? null });
  });
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: err.message, context: currentAuditContext() ?? null });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { sink, url: baseUrl(server) };
}

describe('Express auditContext middleware', () => {
  it('gives each of many interleaved requests its own context, body parser in between', async () => {
    const n = 30;
    const { sink, url } = await start({ concurrent: n });
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        send(`${url}/documents/doc-${i}`, {
          method: 'POST',
          headers: {
            'x-user': `u-${i}`,
            'x-tenant': `tenant-${i % 3}`,
            'x-request-id': `req-${i}`,
            'user-agent': `agent/${i}`,
            'x-process': `process-${i}`,
            cookie: `theme=dark; sid=secret-${i}`,
          },
          body: { title: `t-${i}`, delay: (n - i) % 7 },
        }),
      ),
    );
    responses.forEach((response, i) => {
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe(`req-${i}`);
      expect(response.body.context).toEqual({
        actor: { id: `u-${i}`, type: 'user', name: `Name of u-${i}` },
        tenant: `tenant-${i % 3}`,
        ip: '127.0.0.1',
        user_agent: `agent/${i}`,
        request_id: `req-${i}`,
        session_id: sessionFingerprint(`secret-${i}`),
        business_process: `process-${i}`,
      });
    });
    expect(sink.events).toHaveLength(n);
    for (const event of sink.events) {
      const i = Number(event.resource.id.slice('doc-'.length));
      expect(event.actor.id).toBe(`u-${i}`);
      expect(event.tenant).toBe(`tenant-${i % 3}`);
      expect(event.context).toMatchObject({ request_id: `req-${i}`, user_agent: `agent/${i}`, session_id: sessionFingerprint(`secret-${i}`) });
      expect(event.changes?.after).toMatchObject({ title: `t-${i}` });
    }
  });

  it('keeps the context when the body parser reads a body arriving over several socket reads', async () => {
    const { sink, url } = await start({ concurrent: 3 });
    const responses = await Promise.all(
      [0, 1, 2].map((i) =>
        postInChunks(`${url}/documents/doc-${i}`, ['{"title":', `"t-${i}",`, `"delay":${i}}`], { 'x-user': `u-${i}`, 'x-request-id': `slow-${i}` }),
      ),
    );
    responses.forEach((response, i) => expect(response.body.context).toMatchObject({ actor: { id: `u-${i}` }, request_id: `slow-${i}` }));
    expect(sink.events.map((e) => [e.actor.id, e.context?.request_id]).sort()).toEqual([
      ['u-0', 'slow-0'],
      ['u-1', 'slow-1'],
      ['u-2', 'slow-2'],
    ]);
  });

  it('keeps a login made inside one request to that request', async () => {
    const n = 12;
    const { sink, url } = await start({ concurrent: n });
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        send(`${url}/login`, { method: 'POST', headers: { 'x-request-id': `login-${i}` }, body: { user: `u-${i}`, delay: i % 4 } }),
      ),
    );
    responses.forEach((response, i) =>
      expect(response.body.context).toMatchObject({ actor: { id: `u-${i}` }, auth_method: 'password', request_id: `login-${i}` }),
    );
    for (const event of sink.byAction('user.login')) {
      expect(event.context?.request_id).toBe(`login-${event.actor.id.slice(2)}`);
    }
    const after = await send(`${url}/whoami`, { headers: { 'x-request-id': 'later' } });
    expect(after.body.context).not.toHaveProperty('actor');
  });

  it('takes the address from X-Forwarded-For only when the app trusts the proxy', async () => {
    const trusted = await start({ trustProxy: 'loopback' });
    const viaProxy = await send(`${trusted.url}/whoami`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(viaProxy.body.context).toMatchObject({ ip: '203.0.113.9' });
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const untrusted = await start();
    const spoofed = await send(`${untrusted.url}/whoami`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(spoofed.body.context).toMatchObject({ ip: '127.0.0.1' });
  });

  it('generates a request id when the caller sends none or an unacceptable one, and echoes it', async () => {
    const { url } = await start();
    for (const incoming of [undefined, 'has space', 'x'.repeat(129), 'tab\there']) {
      const response = await send(`${url}/whoami`, incoming === undefined ? {} : { headers: { 'x-request-id': incoming } });
      const id = (response.body.context as { request_id: string }).request_id;
      expect(id).toMatch(UUID);
      expect(response.headers.get('x-request-id')).toBe(id);
    }
  });

  it('leaves anonymous requests without actor and passes resolver errors to the error handler', async () => {
    const { url } = await start();
    const anonymous = await send(`${url}/whoami`);
    expect(anonymous.body.context).not.toHaveProperty('actor');
    expect(anonymous.body.context).not.toHaveProperty('session_id');

    const app = express();
    app.use(auditContext({ actor: () => {
      throw new Error('identity provider down');
    } }));
    app.get('/', (_req, res) => res.json({}));
    app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(503).json({ error: err.message, context: currentAuditContext() ?? null });
    });
    const failing = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const response = await send(baseUrl(failing));
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ error: 'identity provider down', context: null });
    } finally {
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });
});
