import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../packages/server/test/support/postgres.js';
import { createExampleApp, type ExampleApp } from '../src/app.js';
import { runMaintenance } from '../src/database/run-maintenance.js';
import { startLedgerService, type LedgerService, type StoredEventView } from './support/ledger-service.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** Raw SQL without an audit context is attributed to the database role it ran as. */
let databaseActor: string;
const redisPrefix = `audit-ledger-example-test:${randomUUID()}:`;
const SCOPES = ['events:write', 'events:read:pii', 'log:read'];

let service: LedgerService;
let key: string;
let database: TestDatabase;
let filesDir: string;
let app: ExampleApp;
let appUrl: string;
const logged: string[] = [];

interface Caller {
  user: string;
  account: string;
  ip?: string;
  requestId?: string;
}

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

const ada: Caller = { user: 'ada', account: 'acme', ip: '203.0.113.10' };
const bob: Caller = { user: 'bob', account: 'acme', ip: '203.0.113.11' };
const gus: Caller = { user: 'gus', account: 'globex', ip: '198.51.100.7' };

/** One request to the example app as a demo user, from a given client address (X-Forwarded-For via loopback). */
async function call(caller: Caller | null, method: string, path: string, body?: unknown, raw?: Buffer): Promise<Answer> {
  const headers: Record<string, string> = { 'user-agent': 'example-journey/1.0' };
  if (caller !== null) {
    headers['x-demo-user'] = caller.user;
    headers['x-demo-account'] = caller.account;
    if (caller.ip !== undefined) headers['x-forwarded-for'] = caller.ip;
    if (caller.requestId !== undefined) headers['x-request-id'] = caller.requestId;
  }
  let payload: string | Buffer | undefined;
  if (raw !== undefined) {
    headers['content-type'] = 'application/pdf';
    payload = raw;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${appUrl}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sortRows(rows: string[][]): string[][] {
  return [...rows].sort((a, b) => a.join('|').localeCompare(b.join('|')));
}

/** [action, actor, resource type, resource id], sorted: the content of a log, whichever path delivered first. */
function summary(events: StoredEventView[]): string[][] {
  return sortRows(events.map((e) => [e.action, e.actor.id, e.resource.type, e.resource.id]));
}

function only(events: StoredEventView[], predicate: (event: StoredEventView) => boolean): StoredEventView {
  const found = events.filter(predicate);
  expect(found, 'exactly one matching event').toHaveLength(1);
  return found[0] as StoredEventView;
}

beforeAll(async () => {
  service = await startLedgerService();
  key = await service.platformKey(SCOPES);
  database = await createTestDatabase('al_example_app');
  databaseActor = `postgres:${decodeURIComponent(new URL(database.url).username)}`;
  filesDir = await mkdtemp(join(tmpdir(), 'audit-example-files-'));
  app = await createExampleApp(
    {
      auditLedgerUrl: service.url,
      auditLedgerApiKey: key,
      databaseUrl: database.url,
      redisUrl: REDIS_URL,
      redisKeyPrefix: redisPrefix,
      filesDir,
      port: 0,
    },
    { log: (message) => logged.push(message) },
  );
  appUrl = await app.listen();
});

afterAll(async () => {
  await app?.close();
  await service?.close();
  await database?.drop();
  if (filesDir !== undefined) await rm(filesDir, { recursive: true, force: true });
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('the example app, end to end against the real service', () => {
  const ids = { initech: 0, umbrella: 0, hooli: 0, inv: [] as number[] };
  let paidEventId = '';
  let overdueRunEventId = '';
  const receipt = Buffer.from('%PDF-1.4 receipt for invoice, version 1\n');
  const receiptV2 = Buffer.from('%PDF-1.4 receipt for invoice, version 2 (corrected)\n');

  it('serves a scripted user journey over HTTP', async () => {
    // Not signed in, or malformed input: refused, and nothing reaches the audit trail.
    expect((await call(null, 'GET', '/customers')).status).toBe(401);
    expect((await call(ada, 'POST', '/customers', { name: 'No email' })).status).toBe(400);

    const initech = await call({ ...ada, requestId: 'req-create-initech' }, 'POST', '/customers', {
      name: 'Initech',
      email: 'Billing@Initech.example',
    });
    expect(initech.status, JSON.stringify(initech.body)).toBe(201);
    expect(initech.headers.get('x-request-id')).toBe('req-create-initech');
    ids.initech = initech.body.id;
    ids.umbrella = (await call(ada, 'POST', '/customers', { name: 'Umbrella', email: 'ap@umbrella.example' })).body.id;
    ids.hooli = (await call(gus, 'POST', '/customers', { name: 'Hooli', email: 'Ceo@Hooli.example' })).body.id;
    expect((await call(ada, 'PATCH', `/customers/${ids.umbrella}`, { name: 'Umbrella Corp' })).status).toBe(200);
    // Another account's customer does not exist for ada.
    expect((await call(ada, 'PATCH', `/customers/${ids.hooli}`, { name: 'Mine now' })).status).toBe(404);

    for (const [customer, amount, due] of [
      [ids.initech, 12_000, '2026-01-15'],
      [ids.initech, 5_000, '2026-02-01'],
      [ids.umbrella, 7_000, '2026-03-01'],
      [ids.umbrella, 9_900, '2099-01-01'],
    ] as const) {
      const invoice = await call(ada, 'POST', '/invoices', { customer_id: customer, amount_cents: amount, due_date: due });
      expect(invoice.status, JSON.stringify(invoice.body)).toBe(201);
      ids.inv.push(invoice.body.id);
    }
    const [inv1, inv2, inv3, inv4] = ids.inv as [number, number, number, number];

    const paid = await call(bob, 'POST', `/invoices/${inv1}/pay`, { method: 'card' });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.invoice).toMatchObject({ id: inv1, status: 'paid' });
    paidEventId = paid.body.audit_event_id;
    expect((await call(bob, 'POST', `/invoices/${inv1}/pay`, { method: 'card' })).status).toBe(409);

    // The bulk path: one UPDATE marks every open invoice due before the date.
    const overdue = await call(ada, 'POST', '/invoices/mark-overdue', { today: '2026-06-01' });
    expect(overdue.status).toBe(200);
    expect([...overdue.body.marked].sort()).toEqual([inv2, inv3].sort());
    overdueRunEventId = overdue.body.audit_event_id;

    const upload = await call(ada, 'PUT', `/invoices/${inv1}/documents/receipt.pdf`, undefined, receipt);
    expect(upload.status).toBe(201);
    expect(upload.body).toEqual({ name: 'receipt.pdf', size: receipt.length, sha256: sha256(receipt) });
    expect((await call(ada, 'PUT', `/invoices/${inv1}/documents/receipt.pdf`, undefined, receiptV2)).status).toBe(201);
    expect(await readFile(join(filesDir, 'acme', 'invoices', String(inv1), 'receipt.pdf'))).toEqual(receiptV2);
    const download = await fetch(`${appUrl}/invoices/${inv1}/documents/receipt.pdf`, {
      headers: { 'x-demo-user': 'bob', 'x-demo-account': 'acme' },
    });
    expect(Buffer.from(await download.arrayBuffer())).toEqual(receiptV2);
    expect((await call(bob, 'GET', `/invoices/${inv1}/documents/missing.pdf`)).status).toBe(404);
    expect((await call(ada, 'PUT', `/invoices/${inv2}/documents/draft.txt`, undefined, Buffer.from('draft'))).status).toBe(201);
    expect((await call(ada, 'DELETE', `/invoices/${inv2}/documents/draft.txt`)).status).toBe(204);
    expect((await call(ada, 'PUT', `/invoices/${inv1}/documents/..%2F..%2Fescape`, undefined, receipt)).status).toBe(400);
    // A document of another account's invoice cannot be written.
    expect((await call(gus, 'PUT', `/invoices/${inv1}/documents/receipt.pdf`, undefined, receipt)).status).toBe(404);

    expect((await call(ada, 'PUT', '/flags/auto_reminders', { enabled: true })).body).toEqual({ flags: { auto_reminders: true } });
    expect((await call(ada, 'PUT', '/flags/auto_reminders', { enabled: false })).body).toEqual({ flags: { auto_reminders: false } });

    const invited = await call(ada, 'PUT', '/members/carol', { role: 'accountant' });
    expect(invited.body).toEqual({ user_id: 'carol', role: 'accountant', invited_by: 'ada' });
    expect((await call(ada, 'PUT', '/members/carol', { role: 'admin' })).status).toBe(200);
    expect((await call(ada, 'DELETE', '/members/carol')).status).toBe(204);
    expect((await call(ada, 'DELETE', '/members/carol')).status).toBe(404);

    // Outside the app: a maintenance script with who and why, and a bare statement as any SQL client would send.
    await runMaintenance(
      app.services.pool,
      await readFile(new URL('../sql/lowercase-customer-emails.sql', import.meta.url), 'utf8'),
      { actor: 'ops:dba', reason: 'TICKET-7 lower-case emails' },
    );
    const bare = new pg.Client({ connectionString: database.url });
    await bare.connect();
    await bare.query('UPDATE invoices SET amount_cents = 9500 WHERE id = $1', [inv4]);
    await bare.end();

    // Everything the app and the scripts did is in PostgreSQL, Redis and on disk as the journey left it.
    const redis = new Redis(REDIS_URL);
    expect(await redis.hgetall(`${redisPrefix}flags:acme`)).toEqual({ auto_reminders: 'off' });
    expect(await redis.exists(`${redisPrefix}member:acme:carol`)).toBe(0);
    await redis.quit();
    await expect(stat(join(filesDir, 'acme', 'invoices', String(inv2), 'draft.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('leaves exactly the expected events in each account’s log', async () => {
    // Ship what the triggers wrote and what the client buffered, then read the logs back from the service.
    await app.services.relay.drain();
    await app.services.audit.client.flush();
    const refused = await app.services.pool.query('SELECT action, resource_id, tenant, status, problem FROM audit_outbox.dead_letter');
    expect(refused.rows).toEqual([]);
    expect(await app.services.relay.backlog()).toMatchObject({ pending: 0, parked: 0 });
    // Through the client: invoice.paid, invoice.overdue_run, 4 document, 2 feature_flags and 3 member events.
    expect(app.services.audit.client.stats()).toMatchObject({
      recorded: 11,
      delivered: 11,
      failed: 0,
      rejected: { invalid: 0, conflict: 0, refused: 0 },
      dropped: { overflow: 0, evicted: 0, shutdown: 0 },
    });
    expect(logged).toEqual([]);

    const [inv1, inv2, inv3, inv4] = ids.inv.map(String) as [string, string, string, string];
    const acme = await service.events(key, 'acme');
    const globex = await service.events(key, 'globex');
    const doc1 = `invoices/${inv1}/receipt.pdf`;
    const doc2 = `invoices/${inv2}/draft.txt`;
    expect(summary(acme)).toEqual(
      sortRows([
        ['customer.create', 'ada', 'customer', String(ids.initech)],
        ['customer.create', 'ada', 'customer', String(ids.umbrella)],
        ['customer.update', 'ada', 'customer', String(ids.umbrella)],
        ['invoice.create', 'ada', 'invoice', inv1],
        ['invoice.create', 'ada', 'invoice', inv2],
        ['invoice.create', 'ada', 'invoice', inv3],
        ['invoice.create', 'ada', 'invoice', inv4],
        ['invoice.update', 'bob', 'invoice', inv1],
        ['invoice.paid', 'bob', 'invoice', inv1],
        ['invoice.update', 'ada', 'invoice', inv2],
        ['invoice.update', 'ada', 'invoice', inv3],
        ['invoice.overdue_run', 'ada', 'account', 'acme'],
        ['document.create', 'ada', 'document', doc1],
        ['document.update', 'ada', 'document', doc1],
        ['document.create', 'ada', 'document', doc2],
        ['document.delete', 'ada', 'document', doc2],
        ['feature_flags.create', 'ada', 'feature_flags', 'acme'],
        ['feature_flags.update', 'ada', 'feature_flags', 'acme'],
        ['member.create', 'ada', 'member', 'carol'],
        ['member.update', 'ada', 'member', 'carol'],
        ['member.delete', 'ada', 'member', 'carol'],
        ['customer.update', 'ops:dba', 'customer', String(ids.initech)],
        ['invoice.update', databaseActor, 'invoice', inv4],
      ]),
    );
    expect(summary(globex)).toEqual([
      ['customer.create', 'gus', 'customer', String(ids.hooli)],
      ['customer.update', 'ops:dba', 'customer', String(ids.hooli)],
    ]);
    for (const event of [...acme, ...globex]) expect(event.outcome).toBe('success');

    // Request context: every path of one request carries the same actor, address, user agent and request id.
    const created = only(acme, (e) => e.action === 'customer.create' && e.resource.id === String(ids.initech));
    expect(created.actor).toEqual({ id: 'ada', type: 'user' });
    expect(created.context).toEqual({
      ip: '203.0.113.10',
      user_agent: 'example-journey/1.0',
      request_id: 'req-create-initech',
      auth_method: 'demo-header',
    });
    expect(created.changes?.before ?? null).toBeNull();
    expect(created.changes?.after).toMatchObject({ id: ids.initech, account_id: 'acme', name: 'Initech', email: 'Billing@Initech.example' });
    expect(created.metadata).toMatchObject({ source: 'postgres', table: 'public.customers', operation: 'INSERT' });

    const rename = only(acme, (e) => e.action === 'customer.update' && e.actor.id === 'ada');
    expect(rename.changed_fields).toEqual(['name']);
    expect(rename.changes?.before).toMatchObject({ name: 'Umbrella' });
    expect(rename.changes?.after).toMatchObject({ name: 'Umbrella Corp' });

    // The payment: the row change and the business event, in one request.
    const paidRow = only(acme, (e) => e.action === 'invoice.update' && e.actor.id === 'bob');
    const paidEvent = only(acme, (e) => e.action === 'invoice.paid');
    expect(paidEvent.id).toBe(paidEventId);
    expect(paidRow.changes?.before).toMatchObject({ status: 'open', paid_at: null });
    expect(paidRow.changes?.after).toMatchObject({ status: 'paid', amount_cents: 12_000 });
    expect(paidRow.changed_fields.sort()).toEqual(['paid_at', 'status']);
    expect(paidEvent.metadata).toEqual({ invoice_id: Number(inv1), amount_cents: 12_000, currency: 'EUR', method: 'card' });
    expect(paidEvent.context?.request_id).toBe(paidRow.context?.request_id);
    expect(paidEvent.context?.ip).toBe('203.0.113.11');

    // The bulk UPDATE: one event per row, same transaction, each with its own before/after.
    const bulk = acme.filter((e) => e.action === 'invoice.update' && e.actor.id === 'ada');
    expect(bulk.map((e) => [e.resource.id, e.changes?.before?.status, e.changes?.after?.status]).sort()).toEqual(
      [
        [inv2, 'open', 'overdue'],
        [inv3, 'open', 'overdue'],
      ].sort(),
    );
    expect(new Set(bulk.map((e) => e.metadata?.transaction_id)).size).toBe(1);
    const run = only(acme, (e) => e.action === 'invoice.overdue_run');
    expect(run.id).toBe(overdueRunEventId);
    expect(run.metadata).toEqual({ due_before: '2026-06-01', invoices_marked: 2 });

    // Files: content hashes and sizes, never the content.
    const upload = only(acme, (e) => e.action === 'document.create' && e.resource.id === doc1);
    const replace = only(acme, (e) => e.action === 'document.update');
    const removed = only(acme, (e) => e.action === 'document.delete');
    expect(upload.resource).toEqual({ type: 'document', id: doc1, name: 'receipt.pdf' });
    expect(upload.changes).toEqual({ before: null, after: { kind: 'file', sha256: sha256(receipt), size: receipt.length } });
    expect(replace.changes).toEqual({
      before: { kind: 'file', sha256: sha256(receipt), size: receipt.length },
      after: { kind: 'file', sha256: sha256(receiptV2), size: receiptV2.length },
    });
    expect(removed.changes).toEqual({ before: { kind: 'file', sha256: sha256(Buffer.from('draft')), size: 5 }, after: null });

    // Redis: the hash before and after each write.
    const flagsOn = only(acme, (e) => e.action === 'feature_flags.create');
    const flagsOff = only(acme, (e) => e.action === 'feature_flags.update');
    expect(flagsOn.changes).toEqual({ before: null, after: { auto_reminders: 'on' } });
    expect(flagsOff.changes).toEqual({ before: { auto_reminders: 'on' }, after: { auto_reminders: 'off' } });
    expect(flagsOff.metadata).toMatchObject({ redis_command: 'HSET' });

    // The generic decorator: the member before and after, without the invitation secret.
    const memberEvents = ['member.create', 'member.update', 'member.delete'].map((action) => only(acme, (e) => e.action === action));
    expect(memberEvents.map((e) => e.changes)).toEqual([
      { before: null, after: { user_id: 'carol', role: 'accountant', invited_by: 'ada' } },
      { before: { user_id: 'carol', role: 'accountant', invited_by: 'ada' }, after: { user_id: 'carol', role: 'admin', invited_by: 'ada' } },
      { before: { user_id: 'carol', role: 'admin', invited_by: 'ada' }, after: null },
    ]);

    // Raw SQL: attributed to the operator and the ticket when the script says so, to the database role when not.
    const fix = only(acme, (e) => e.actor.id === 'ops:dba');
    expect(fix.actor).toEqual({ id: 'ops:dba', type: 'user' });
    expect(fix.context).toEqual({ reason: 'TICKET-7 lower-case emails', business_process: 'maintenance', auth_method: 'database' });
    expect([fix.changes?.before?.email, fix.changes?.after?.email]).toEqual(['Billing@Initech.example', 'billing@initech.example']);
    expect(only(globex, (e) => e.actor.id === 'ops:dba').changes?.after).toMatchObject({ email: 'ceo@hooli.example' });
    const bare = only(acme, (e) => e.actor.id === databaseActor);
    expect(bare.actor).toEqual({ id: databaseActor, type: 'system' });
    expect(bare.context).toBeUndefined();
    expect(bare.changed_fields).toEqual(['amount_cents']);

    // The audit trail as the app shows it to the account: its own events only.
    const shown = await call(gus, 'GET', '/audit/events?action=customer.*');
    expect(shown.status).toBe(200);
    expect(shown.body.events).toEqual(
      [...globex].reverse().map((e) => ({
        id: e.id,
        seq: e.seq,
        occurred_at: e.occurred_at,
        action: e.action,
        actor: e.actor.id,
        resource: `customer/${ids.hooli}`,
        changed_fields: e.changed_fields,
      })),
    );
  });

  it('verifies: the whole log on the service, and one event by proof in the app', async () => {
    for (const tenant of ['acme', 'globex']) {
      const response = await fetch(`${service.url}/v1/log/verify?tenant=${tenant}`, { headers: { authorization: `Bearer ${key}` } });
      const report = (await response.json()) as { ok: boolean; size: number; checked: number; failures: unknown[] };
      expect(response.status).toBe(200);
      expect(report).toMatchObject({ ok: true, failures: [] });
      expect(report.checked).toBe(report.size);
      expect(report.size).toBeGreaterThanOrEqual(tenant === 'acme' ? 23 : 2);
    }

    const proof = await call(bob, 'GET', `/audit/events/${paidEventId}/proof`);
    expect(proof.status, JSON.stringify(proof.body)).toBe(200);
    expect(proof.body).toMatchObject({
      verified: true,
      event_id: paidEventId,
      tenant: 'acme',
      checkpoint: { origin: 'localhost/audit-ledger/t/acme' },
      event: { action: 'invoice.paid', actor: { id: 'bob' } },
    });
    expect(proof.body.checkpoint.size).toBeGreaterThan(proof.body.seq);
    expect(proof.body.checkpoint.note).toContain('localhost/audit-ledger/t/acme\n');

    // The same check straight through the SDK, pinning the verifier key the service itself holds for the log.
    const direct = await app.services.audit.client.verifyEvent(paidEventId, {
      tenant: 'acme',
      verifierKey: service.ctx.verifierKey('acme'),
    });
    expect(direct.leafHash).toBe(proof.body.leaf_hash);

    // Another account cannot even see the event, let alone its proof.
    expect((await call(gus, 'GET', `/audit/events/${paidEventId}/proof`)).status).toBe(404);
    expect((await call(ada, 'GET', `/audit/events/${randomUUID()}/proof`)).status).toBe(404);
  });
});
