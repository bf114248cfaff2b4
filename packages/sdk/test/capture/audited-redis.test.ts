import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit-event.js';
import { auditedRedis, resourceByPrefix } from '../../src/capture/index.js';
import { MissingActorError, withAuditContext } from '../../src/context/index.js';
import { MemoryRecorder } from '../context/memory-recorder.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const ns = `audit-ledger-test:${randomUUID()}:`;
const worker = { id: 'redis-test', type: 'service' as const };
const clients: Redis[] = [];

function connect(options: { keyPrefix?: string } = {}): Redis {
  const client = new Redis(REDIS_URL, { lazyConnect: false, ...options });
  clients.push(client);
  return client;
}

/** `<ns>customer:<id>` → customer (text), `<ns>doc:<id>` → document (JSON), `<ns>profile:<id>` → profile (hash). */
const mapping = (prefix: string) =>
  resourceByPrefix({
    [`${prefix}customer:`]: { type: 'customer' },
    [`${prefix}doc:`]: { type: 'document', format: 'json' },
    [`${prefix}profile:`]: { type: 'profile' },
    [`${prefix}acme-doc:`]: { type: 'document', format: 'json', tenant: 'acme' },
  });

let raw: Redis;
beforeAll(() => {
  raw = connect();
});

afterAll(async () => {
  const keys = await raw.keys(`${ns}*`);
  if (keys.length > 0) await raw.del(...keys);
  await Promise.all(clients.map((c) => c.quit()));
});

function setup(options: { actor?: boolean } = {}) {
  const sink = new MemoryRecorder();
  const redis = auditedRedis(connect(), {
    recorder: sink,
    resource: mapping(ns),
    omit: ['password_hash'],
    ...(options.actor === false ? {} : { actor: worker }),
  });
  return { sink, redis };
}

const changes = (events: AuditEvent[]) => events.map((e) => [e.action, e.resource.id, e.changes?.before ?? null, e.changes?.after ?? null]);

describe('auditedRedis on a real Redis', () => {
  it('records string writes as create, update and delete with the command replies unchanged', async () => {
    const { sink, redis } = setup();
    const key = `${ns}customer:1`;
    expect(await redis.set(key, 'alpha')).toBe('OK');
    expect(await redis.set(key, 'beta', 'NX')).toBeNull();
    expect(await redis.getset(key, 'gamma')).toBe('alpha');
    expect(await redis.set(key, 'gamma')).toBe('OK');
    expect(await redis.append(key, '!')).toBe(6);
    expect(await redis.del(key)).toBe(1);
    expect(await redis.del(key)).toBe(0);
    expect(changes(sink.events)).toEqual([
      ['customer.create', '1', null, { value: 'alpha' }],
      ['customer.update', '1', { value: 'alpha' }, { value: 'gamma' }],
      ['customer.update', '1', { value: 'gamma' }, { value: 'gamma!' }],
      ['customer.delete', '1', { value: 'gamma!' }, null],
    ]);
    expect(sink.events[0]).toMatchObject({ actor: worker, resource: { type: 'customer', id: '1' }, metadata: { redis_command: 'SET' } });
    expect(sink.events[0]?.resource).not.toHaveProperty('format');
  });

  it('records JSON documents as objects, without omitted fields, and text that is not JSON as a value', async () => {
    const { sink, redis } = setup();
    const key = `${ns}doc:7`;
    await redis.set(key, JSON.stringify({ title: 'Draft', password_hash: 'x', tags: ['a'] }));
    await redis.set(key, JSON.stringify({ title: 'Final', password_hash: 'y', tags: ['a', 'b'] }), 'EX', 60);
    await redis.set(key, 'not json');
    expect(changes(sink.events)).toEqual([
      ['document.create', '7', null, { title: 'Draft', tags: ['a'] }],
      ['document.update', '7', { title: 'Draft', tags: ['a'] }, { title: 'Final', tags: ['a', 'b'] }],
      ['document.update', '7', { title: 'Final', tags: ['a', 'b'] }, { value: 'not json' }],
    ]);
    expect(await raw.ttl(key)).toBe(-1);
  });

  it('records hashes as field maps through HSET (pairs, object, Map), HDEL and DEL', async () => {
    const { sink, redis } = setup();
    const key = `${ns}profile:3`;
    expect(await redis.hset(key, { name: 'Ada', plan: 'free', password_hash: 'h' })).toBe(3);
    expect(await redis.hset(key, 'plan', 'pro')).toBe(0);
    expect(await redis.hset(key, new Map([['plan', 'pro']]))).toBe(0);
    expect(await redis.hdel(key, 'missing')).toBe(0);
    expect(await redis.hdel(key, 'plan', 'password_hash')).toBe(2);
    expect(await redis.hincrby(key, 'logins', 2)).toBe(2);
    expect(await redis.hdel(key, 'name', 'logins')).toBe(2);
    expect(await raw.exists(key)).toBe(0);
    expect(changes(sink.events)).toEqual([
      ['profile.create', '3', null, { name: 'Ada', plan: 'free' }],
      ['profile.update', '3', { name: 'Ada', plan: 'free' }, { name: 'Ada', plan: 'pro' }],
      ['profile.update', '3', { name: 'Ada', plan: 'pro' }, { name: 'Ada' }],
      ['profile.update', '3', { name: 'Ada' }, { name: 'Ada', logins: '2' }],
      ['profile.delete', '3', { name: 'Ada', logins: '2' }, null],
    ]);
  });

  it('deletes several keys atomically, recording each audited one that existed', async () => {
    const { sink, redis } = setup();
    await raw.set(`${ns}customer:a`, '1');
    await raw.hset(`${ns}profile:a`, 'k', 'v');
    await raw.rpush(`${ns}customer:list`, 'x');
    await raw.set(`${ns}cache:a`, 'c');
    expect(await redis.del([`${ns}customer:a`, `${ns}profile:a`, `${ns}customer:missing`, `${ns}customer:list`, `${ns}cache:a`])).toBe(4);
    expect(changes(sink.events)).toEqual([
      ['customer.delete', 'a', { value: '1' }, null],
      ['profile.delete', 'a', { k: 'v' }, null],
      ['customer.delete', 'list', { redis_type: 'list' }, null],
    ]);
    expect(await raw.exists(`${ns}cache:a`)).toBe(0);
  });

  it('passes unaudited keys and other members straight through', async () => {
    const { sink, redis } = setup();
    expect(await redis.set(`${ns}cache:x`, '1')).toBe('OK');
    expect(await redis.del(`${ns}cache:x`)).toBe(1);
    expect(await redis.get(`${ns}cache:x`)).toBeNull();
    expect(await redis.ping()).toBe('PONG');
    expect(sink.events).toHaveLength(0);
  });

  it('records nothing when the command fails, and fails as the plain command would', async () => {
    const { sink, redis } = setup();
    const key = `${ns}customer:typed`;
    await redis.set(key, 'text');
    const error = await redis.hset(key, 'f', 'v').catch((e: unknown) => e);
    expect(String(error)).toMatch(/WRONGTYPE/);
    expect(await raw.get(key)).toBe('text');
    expect(sink.events.map((e) => e.action)).toEqual(['customer.create']);
  });

  it('refuses the write before it happens when no actor can be attributed', async () => {
    const { sink, redis } = setup({ actor: false });
    const key = `${ns}customer:anon`;
    await expect(redis.set(key, 'v')).rejects.toThrow(MissingActorError);
    expect(await raw.exists(key)).toBe(0);
    await withAuditContext({ actor: { id: 'u-1' }, tenant: 'globex', request_id: 'r-1' }, async () => {
      await redis.set(key, 'v');
      await redis.set(`${ns}acme-doc:1`, '{"a":1}');
    });
    expect(sink.events.map((e) => [e.actor.id, e.tenant, e.context?.request_id])).toEqual([
      ['u-1', 'globex', 'r-1'],
      ['u-1', 'acme', 'r-1'],
    ]);
  });

  it('honours node-style callbacks and the Buffer command variants', async () => {
    const { sink, redis } = setup();
    const key = `${ns}customer:cb`;
    const reply = await new Promise((resolve, reject) => {
      void redis.set(key, 'one', (err, result) => (err ? reject(err) : resolve(result)));
    });
    expect(reply).toBe('OK');
    const old = await redis.getsetBuffer(key, Buffer.from('two'));
    expect(Buffer.isBuffer(old) && old.toString()).toBe('one');
    expect(changes(sink.events)).toEqual([
      ['customer.create', 'cb', null, { value: 'one' }],
      ['customer.update', 'cb', { value: 'one' }, { value: 'two' }],
    ]);
  });

  it('maps keys without ioredis keyPrefix while writing the prefixed key', async () => {
    const sink = new MemoryRecorder();
    const prefixed = auditedRedis(connect({ keyPrefix: `${ns}p:` }), { recorder: sink, actor: worker, resource: mapping('') });
    await prefixed.set('customer:9', 'v');
    expect(await raw.get(`${ns}p:customer:9`)).toBe('v');
    expect(changes(sink.events)).toEqual([['customer.create', '9', null, { value: 'v' }]]);
  });

  it('gives concurrent writers on separate connections one exact before/after chain per key', async () => {
    const sink = new MemoryRecorder();
    const writers = Array.from({ length: 4 }, () => auditedRedis(connect(), { recorder: sink, actor: worker, resource: mapping(ns) }));
    const key = `${ns}doc:contended`;
    const hashKey = `${ns}profile:contended`;
    const rounds = 40;
    await Promise.all(
      writers.map(async (redis, w) => {
        for (let i = 0; i < rounds; i += 1) {
          await Promise.all([
            redis.set(key, JSON.stringify({ writer: w, round: i })),
            redis.hincrby(hashKey, 'count', 1),
            redis.hset(hashKey, `w${w}`, String(i)),
          ]);
        }
      }),
    );
    const docEvents = sink.events.filter((e) => e.resource.id === 'contended' && e.resource.type === 'document');
    expect(docEvents).toHaveLength(writers.length * rounds);
    expectSingleChain(docEvents, JSON.parse((await raw.get(key)) as string) as object);

    const hashEvents = sink.events.filter((e) => e.resource.type === 'profile');
    expect(hashEvents).toHaveLength(writers.length * rounds * 2);
    expectSingleChain(hashEvents, await raw.hgetall(hashKey));
    expect(await raw.hget(hashKey, 'count')).toBe(String(writers.length * rounds));
  });
});

/**
 * Every event's before is the previous event's after, starting from "absent" and ending at the stored value: the
 * transitions form one path that uses each event exactly once. A before read outside the write's atomic step would
 * let two writers see the same before, which breaks the path.
 */
function expectSingleChain(events: AuditEvent[], final: object): void {
  const key = (state: unknown) => JSON.stringify(state ?? null, Object.keys((state ?? {}) as object).sort());
  const byBefore = new Map<string, AuditEvent>();
  for (const event of events) {
    const k = key(event.changes?.before);
    expect(byBefore.has(k), `two writes saw the same before state ${k}`).toBe(false);
    byBefore.set(k, event);
  }
  let state: unknown = null;
  for (let step = 0; step < events.length; step += 1) {
    const next = byBefore.get(key(state));
    expect(next, `no write continues from ${key(state)}`).toBeDefined();
    state = next?.changes?.after;
  }
  expect(key(state)).toBe(key(final));
}
