import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Request } from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditClient, type AuditClient } from '../../src/index.js';
import { audited, auditedFs, auditedRedis, resourceByPrefix, type AuditedFs } from '../../src/capture/index.js';
import { contextualRecorder, updateAuditContext } from '../../src/context/index.js';
import { auditContext } from '../../src/middleware/index.js';
import { startLiveService, type LiveService } from '../support/live-service.js';
import { barrier, tick } from '../context/memory-recorder.js';
import { baseUrl, send } from './http-support.js';

type AppRequest = Request & { user?: string };

/** A document store the app writes through the generic decorator. */
class DocumentStore {
  #docs = new Map<string, { id: string; title: string; status: string }>();
  async save(doc: { id: string; title: string; status: string }) {
    this.#docs.set(doc.id, { ...doc });
    return { ...doc };
  }
  async find(id: string) {
    const doc = this.#docs.get(id);
    return doc && { ...doc };
  }
}

const n = 16;
const ns = `audit-ledger-e2e:${randomUUID()}:`;
let service: LiveService;
let client: AuditClient;
let server: Server;
let redis: Redis;
let files: AuditedFs;
let dir: string;

beforeAll(async () => {
  service = await startLiveService();
  const apiKey = await service.tenantWithKey('acme');
  client = createAuditClient({ url: service.url, apiKey, lingerMs: 5, flushOnExit: false });
  const recorder = contextualRecorder(client);
  const store = new DocumentStore();
  const documents = audited(store, {
    recorder: client,
    resourceType: 'document',
    load: (id) => store.find(id),
    methods: { save: { operation: 'update', id: ([doc]) => doc.id } },
  });
  redis = new Redis('redis://127.0.0.1:6379');
  const cache = auditedRedis(redis, { recorder: client, resource: resourceByPrefix({ [`${ns}pref:`]: { type: 'preference' } }) });
  dir = await mkdtemp(join(tmpdir(), 'audit-e2e-'));
  files = await auditedFs({ recorder: client, root: dir });
  const arrive = barrier(n);

  const app = express();
  app.set('trust proxy', 'loopback');
  app.use((req: AppRequest, _res, next) => {
    const user = req.get('x-user');
    if (user !== undefined) req.user = user;
    next();
  });
  app.use(auditContext<AppRequest>({ actor: (req) => (req.user ? { id: req.user, type: 'user' } : undefined), tenant: () => 'acme' }));
  app.use(express.json());
  app.post('/documents/:id', async (req: AppRequest, res) => {
    const id = String(req.params.id);
    await documents.save({ id, title: String(req.body.title), status: 'draft' });
    await arrive();
    updateAuditContext({ reason: `ticket-${id}` });
    await tick(Number(req.body.delay));
    await documents.save({ id, title: String(req.body.title), status: 'published' });
    await cache.hset(`${ns}pref:${id}`, { theme: 'dark' });
    await files.writeFile(`${id}.txt`, `body of ${id}`);
    const eventId = recorder.record({ action: 'document.publish', resource: { type: 'document', id } });
    res.json({ eventId });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await client.close();
  await service.close();
  const keys = await redis.keys(`${ns}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await rm(dir, { recursive: true, force: true });
});

describe('context, middleware and capture through the client into the real service', () => {
  it('stores each request’s events with its own actor, address, request id and before/after states', async () => {
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        send(`${baseUrl(server)}/documents/doc-${i}`, {
          method: 'POST',
          headers: { 'x-user': `u-${i}`, 'x-request-id': `req-${i}`, 'x-forwarded-for': `198.51.100.${i}`, 'user-agent': `e2e/${i}` },
          body: { title: `Title ${i}`, delay: (n - i) % 5 },
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(n).fill(200));
    await client.flush();
    expect(client.stats()).toMatchObject({ recorded: n * 5, delivered: n * 5, failed: 0 });

    for (let i = 0; i < n; i += 1) {
      const stored = [];
      for await (const event of client.events.iterate({ tenant: 'acme', actor_id: `u-${i}` })) stored.push(event);
      const byAction = new Map(stored.map((e) => [`${e.action}:${e.changes?.before ? 'b' : '-'}`, e]));
      expect(stored.map((e) => e.action).sort()).toEqual(
        ['document.create', 'document.publish', 'document.update', 'file.create', 'preference.create'].sort(),
      );
      for (const event of stored) {
        expect(event.tenant).toBe('acme');
        expect(event.context).toMatchObject({ ip: `198.51.100.${i}`, request_id: `req-${i}`, user_agent: `e2e/${i}` });
      }
      expect(byAction.get('document.create:-')?.context).not.toHaveProperty('reason');
      const update = byAction.get('document.update:b');
      expect(update?.context?.reason).toBe(`ticket-doc-${i}`);
      expect(update?.changes).toEqual({
        before: { id: `doc-${i}`, title: `Title ${i}`, status: 'draft' },
        after: { id: `doc-${i}`, title: `Title ${i}`, status: 'published' },
      });
      expect(update?.changed_fields).toEqual(['status']);
      expect(stored.find((e) => e.action === 'preference.create')?.changes?.after).toEqual({ theme: 'dark' });
      expect(stored.find((e) => e.action === 'file.create')?.changes?.after).toMatchObject({ kind: 'file', size: `body of doc-${i}`.length });
      const publish = stored.find((e) => e.action === 'document.publish');
      expect(publish?.id).toBe(responses[i]?.body.eventId);
    }
  });
});
