import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureTable, createOutboxRelay, withAuditTransaction, type OutboxRelay } from '../src/index.js';
import { openAppDatabase, type AppDatabase } from './support/app-database.js';
import { startRecordingProxy } from './support/flaky-proxy.js';
import { startLedgerService, type LedgerService } from './support/ledger-service.js';

let db: AppDatabase;
let service: LedgerService;
const relays: OutboxRelay[] = [];

function relayFor(url: string, overrides: Partial<Parameters<typeof createOutboxRelay>[0]> = {}): OutboxRelay {
  const relay = createOutboxRelay({
    pool: db.pool,
    url,
    apiKey: service.key,
    retryInitialMs: 20,
    retryMaxMs: 200,
    ...overrides,
  });
  relays.push(relay);
  return relay;
}

async function pending(): Promise<number> {
  const [row] = await db.sql<{ n: string }>('SELECT count(*)::text AS n FROM audit_outbox.outbox');
  return Number(row?.n);
}

beforeAll(async () => {
  [db, service] = await Promise.all([openAppDatabase(), startLedgerService()]);
  await db.sql(`CREATE TABLE accounts (id int PRIMARY KEY, tenant text NOT NULL, owner text NOT NULL, balance numeric NOT NULL,
                secret text, updated_at timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z')`);
  await captureTable(db.pool, 'accounts', { resourceType: 'account', tenantColumn: 'tenant', exclude: ['secret'] });
  await db.sql(`CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)`);
  await captureTable(db.pool, 'notes', { resourceType: 'note' });
});

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

afterAll(async () => {
  await Promise.all([db?.close(), service?.close()]);
});

describe('relay to a real Audit Ledger service', () => {
  it('ships a 10,000-row UPDATE as exactly 10,000 events with the right before/after', async () => {
    await db.sql(`INSERT INTO accounts (id, tenant, owner, balance, secret)
                  SELECT g, 'bulk', 'owner-' || g, g, 's' || g FROM generate_series(1, 10000) g`);
    const relay = relayFor(service.url, { batchSize: 1000, concurrency: 2 });
    expect(await relay.drain()).toBe(10_000);
    await db.sql('UPDATE accounts SET balance = balance * 2 + 1 WHERE tenant = $1', ['bulk']);
    expect(await pending()).toBe(10_000);
    expect(await relay.drain()).toBe(10_000);
    expect(await pending()).toBe(0);

    expect(await service.logSize('bulk')).toBe(20_000);
    const events = await service.events('bulk');
    expect(events).toHaveLength(20_000);
    const updates = events.filter((event) => event.action === 'account.update');
    expect(updates).toHaveLength(10_000);
    expect(new Set(updates.map((event) => event.resource.id)).size).toBe(10_000);
    for (const event of updates) {
      const id = Number(event.resource.id);
      expect(event.changes?.before).toEqual({
        id, tenant: 'bulk', owner: `owner-${id}`, balance: id, updated_at: '2026-01-01T00:00:00+00:00',
      });
      expect(event.changes?.after).toMatchObject({ id, balance: id * 2 + 1 });
      expect(event.changed_fields).toEqual(['balance']);
      expect(event.actor).toEqual({ id: expect.stringMatching(/^postgres:/), type: 'system' });
      expect(event.metadata).toMatchObject({ table: 'public.accounts', operation: 'UPDATE' });
    }
    expect(JSON.stringify(events)).not.toContain('secret');
  });

  it('ships a transaction that touches two accounts into each account\'s own log, parking nothing', async () => {
    await db.sql(`INSERT INTO accounts (id, tenant, owner, balance)
                  SELECT g, CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END, 'o' || g, 0
                    FROM generate_series(50001, 50010) g`);
    await db.sql('UPDATE accounts SET balance = 7 WHERE id BETWEEN 50001 AND 50010');
    const deadLetters = async () =>
      Number((await db.sql<{ n: string }>('SELECT count(*)::text AS n FROM audit_outbox.dead_letter'))[0]?.n);
    const parkedBefore = await deadLetters();
    const relay = relayFor(service.url, { batchSize: 1000 });
    expect(await relay.drain()).toBe(20);
    expect(relay.stats()).toMatchObject({ parked: 0 });
    expect(await deadLetters()).toBe(parkedBefore);
    for (const tenant of ['north', 'south']) {
      const events = await service.events(tenant);
      expect(events).toHaveLength(10);
      expect(events.every((event) => event.tenant === tenant)).toBe(true);
    }
  });

  it('ships nothing for a rolled-back transaction', async () => {
    await expect(
      withAuditTransaction(db.pool, { actor: { id: 'u-1' }, tenant: 'rollback' }, async (client) => {
        await client.query("INSERT INTO notes (body) VALUES ('never')");
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await pending()).toBe(0);
    await relayFor(service.url).drain();
    expect(await service.events('rollback')).toEqual([]);
  });

  it('names a system actor for raw SQL and the given actor and context with withAuditTransaction', async () => {
    await db.sql("SELECT set_config('audit.tenant', 'ctx', false)");
    const client = await db.pool.connect();
    try {
      // Raw SQL in its own transaction: a tenant but no actor in the settings.
      await client.query("BEGIN; SELECT set_config('audit.tenant', 'ctx', true); INSERT INTO notes (body) VALUES ('raw'); COMMIT");
    } finally {
      client.release();
    }
    await withAuditTransaction(
      db.pool,
      {
        actor: { id: 'user-42', name: 'Ada', email: 'ada@example.com' },
        tenant: 'ctx',
        ip: '198.51.100.4',
        userAgent: 'curl/8',
        requestId: 'req-9',
        sessionId: 'sess-1',
        businessProcess: 'note_editing',
        reason: 'typo',
      },
      async (tx) => {
        await tx.query("UPDATE notes SET body = 'raw, fixed' WHERE body = 'raw'");
      },
    );
    await relayFor(service.url).drain();
    const [raw, edited] = await service.events('ctx');
    expect(raw).toMatchObject({
      action: 'note.create',
      actor: { id: expect.stringMatching(/^postgres:/), type: 'system' },
      resource: { type: 'note' },
      changes: { before: null, after: { body: 'raw' } },
    });
    expect(raw?.context).toBeUndefined();
    expect(edited).toMatchObject({
      action: 'note.update',
      actor: { id: 'user-42', type: 'user', name: 'Ada', email: 'ada@example.com' },
      resource: { type: 'note', id: raw?.resource.id },
      context: {
        ip: '198.51.100.4',
        user_agent: 'curl/8',
        request_id: 'req-9',
        session_id: 'sess-1',
        business_process: 'note_editing',
        reason: 'typo',
      },
      changes: { before: { body: 'raw' }, after: { body: 'raw, fixed' } },
      changed_fields: ['body'],
    });
  });

  it('parks events the service refuses and ships the rest of the batch', async () => {
    await db.sql(`INSERT INTO accounts (id, tenant, owner, balance) SELECT g, 'mixed', 'o', g FROM generate_series(20001, 20010) g`);
    // An actor type the service refuses (400 naming the event) ...
    await db.sql(`BEGIN; SELECT set_config('audit.actor_id', 'bot', true), set_config('audit.actor_type', 'robot', true);
                  UPDATE accounts SET balance = -1 WHERE id = 20003; COMMIT`);
    // ... and an id already used for other content (409 naming none: found by splitting the batch).
    await db.sql("INSERT INTO accounts (id, tenant, owner, balance) VALUES (20011, 'mixed', 'o', 0)");
    const [taken] = await db.sql<{ event_id: string }>(
      "SELECT event_id::text FROM audit_outbox.outbox WHERE resource_id = '20011'",
    );
    expect(await service.post([{
      id: taken?.event_id, tenant: 'mixed', action: 'other.thing', actor: { id: 'x' }, resource: { type: 't', id: '1' },
    }])).toBe(201);
    await db.sql("UPDATE accounts SET owner = 'p' WHERE id IN (20005, 20011)");

    const relay = relayFor(service.url, { batchSize: 1000 });
    await relay.drain();
    expect(relay.stats()).toMatchObject({ parked: 2, shipped: 12 });
    expect(await pending()).toBe(0);
    const parked = await db.sql<{ resource_id: string; status: number; problem: { errors?: Array<{ path: string }> } }>(
      'SELECT resource_id, status, problem FROM audit_outbox.dead_letter ORDER BY id',
    );
    expect(parked.map((row) => [row.resource_id, row.status])).toEqual([['20011', 409], ['20003', 400]].sort());
    expect(parked.find((row) => row.status === 400)?.problem.errors?.[0]?.path).toBe('/actor/type');
    const shipped = await service.events('mixed');
    // 10 inserts (the one under the taken id is parked) and the owner updates of 20005 and 20011.
    expect(shipped).toHaveLength(12);

    // Fixed and requeued, the parked update ships under its original id.
    await db.sql(`UPDATE audit_outbox.dead_letter SET context = context || '{"actor_type": "service"}' WHERE status = 400`);
    await db.sql('SELECT audit_outbox.requeue_dead_letters(ARRAY(SELECT id FROM audit_outbox.dead_letter WHERE status = 400))');
    await relay.drain();
    const after = await service.events('mixed');
    expect(after).toHaveLength(13);
    expect(after.at(-1)).toMatchObject({ actor: { id: 'bot', type: 'service' }, resource: { id: '20003' } });
  });

  it('re-sends a batch whose answer was lost, and the service keeps each event once', async () => {
    await db.sql(`INSERT INTO accounts (id, tenant, owner, balance) SELECT g, 'lost', 'o', g FROM generate_series(30001, 30300) g`);
    let dropped = 0;
    const proxy = await startRecordingProxy(service.url, {
      onAnswered: (post) => (post.status === 201 && dropped++ === 0 ? 'drop' : 'pass'),
    });
    try {
      const relay = relayFor(proxy.url, { batchSize: 100 });
      expect(await relay.drain()).toBe(300);
      expect(relay.stats().failures).toBeGreaterThanOrEqual(1);
      // The first batch reached the service twice, with the same ids.
      expect(proxy.posts[1]?.ids).toEqual(proxy.posts[0]?.ids);
      expect(await service.logSize('lost')).toBe(300);
      const events = await service.events('lost');
      expect(events).toHaveLength(300);
      expect(new Set(events.map((event) => event.id)).size).toBe(300);
    } finally {
      await proxy.close();
    }
  });

  it('lets two relays drain one outbox together without shipping anything twice', async () => {
    await db.sql(`INSERT INTO accounts (id, tenant, owner, balance) SELECT g, 'pair', 'o', g FROM generate_series(40001, 43000) g`);
    const proxy = await startRecordingProxy(service.url);
    try {
      const first = relayFor(proxy.url, { batchSize: 50 });
      const second = relayFor(proxy.url, { batchSize: 50 });
      const [a, b] = await Promise.all([first.drain(), second.drain()]);
      expect(a + b).toBe(3000);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
      const posted = proxy.posts.flatMap((post) => post.ids);
      expect(posted).toHaveLength(3000);
      expect(new Set(posted).size).toBe(3000);
      expect(await service.logSize('pair')).toBe(3000);
      const events = await service.events('pair');
      expect(events.map((event) => event.id).sort()).toEqual([...posted].sort());
    } finally {
      await proxy.close();
    }
  });

  it('drains only once the batches its running workers hold are settled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const proxy = await startRecordingProxy(service.url, {
      async onAnswered(): Promise<'pass'> {
        held();
        await gate;
        return 'pass';
      },
    });
    try {
      await withAuditTransaction(db.pool, { actor: { id: 'u-6' }, tenant: 'held' }, async (client) => {
        await client.query("INSERT INTO notes (body) VALUES ('held')");
      });
      const relay = relayFor(proxy.url, { pollIntervalMs: 600_000 });
      await relay.start();
      await holding;
      // The worker's batch is posted and its rows are locked; drain must not report an empty outbox meanwhile.
      let drained = false;
      const draining = relay.drain().then(() => (drained = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(drained).toBe(false);
      release();
      await draining;
      expect(await pending()).toBe(0);
      expect(await service.events('held')).toHaveLength(1);
    } finally {
      release();
      await proxy.close();
    }
  });

  it('wakes on NOTIFY when a transaction commits, without waiting for the poll', async () => {
    const relay = relayFor(service.url, { pollIntervalMs: 600_000 });
    await relay.start();
    // The first round after start finds nothing; from then on only a notification can wake the relay.
    while (relay.stats().posts === 0 && (await relay.backlog()).pending > 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await withAuditTransaction(db.pool, { actor: { id: 'u-5' }, tenant: 'notify' }, async (client) => {
      await client.query("INSERT INTO notes (body) VALUES ('ping')");
    });
    while ((await service.events('notify')).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(relay.stats().shipped).toBe(1);
    expect(await pending()).toBe(0);
  });
});
