import { randomBytes, randomUUID } from 'node:crypto';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, sealingTemplate, verifierKeyOf, type EventInput } from '@audit-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredLog } from '../../src/log/verify-stored-log.js';
import { planBatch, type PreparedEvent } from '../../src/sequencer/plan-batch.js';
import type { AppendBatch, EventFilter, EventRow, LedgerStore, LogHead } from '../../src/store/ledger-store.js';
import { loadMigrations, migrate, MIGRATIONS_DIR } from '../../src/store/migrate.js';
import { addMonths, monthOf, partitionNameOf } from '../../src/store/partitions.js';
import { sqlStateOf, type SqlDriver } from '../../src/store/sql-driver.js';
import {
  batchAfter,
  chainHashOf,
  hex,
  sameBytes,
  subtreeHash,
  TestLog,
  type EventShape,
} from './test-log.js';

export interface StoreConnection {
  driver: SqlDriver;
  store: LedgerStore;
}

export interface StoreDatabase extends StoreConnection {
  /** Another, independent connection (driver and store) to the same database. */
  connectAgain(): Promise<StoreConnection>;
  /** Closes every connection and removes the database. */
  dispose(): Promise<void>;
}

export interface StoreHarness {
  kind: 'postgres' | 'pglite';
  /** Whether connectAgain works: an embedded in-memory database has exactly one connection. */
  multipleConnections: boolean;
  /** A store over a new, empty, unmigrated database. */
  openDatabase(): Promise<StoreDatabase>;
}

const APPEND_ONLY = /audit ledger tables are append-only/;
const PERMISSION_DENIED = /permission denied/;
const LEDGER_TABLES = ['events', 'merkle_nodes', 'log_heads', 'checkpoints'] as const;

function seqsOf(events: readonly { seq: number }[]): number[] {
  return events.map((event) => event.seq);
}

function expectSameHead(actual: LogHead, expected: LogHead): void {
  expect(actual.size).toBe(expected.size);
  expect(hex(actual.chainHash)).toBe(hex(expected.chainHash));
  expect(actual.frontier.map(hex)).toEqual(expected.frontier.map(hex));
  expect(actual.lastReceivedAt?.getTime()).toBe(expected.lastReceivedAt?.getTime());
}

async function tableCount(db: SqlDriver, table: string, tenant?: string): Promise<number> {
  const { rows } =
    tenant === undefined
      ? await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)
      : await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1`, [tenant]);
  return rows[0]?.n ?? -1;
}

async function partitionNames(db: SqlDriver): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every LedgerStore must show, whatever database is underneath. Each backend's test file calls this
 * with a harness that opens fresh databases.
 */
export function ledgerStoreContract(harness: StoreHarness): void {
  describe(`LedgerStore on ${harness.kind}`, () => {
    let database: StoreDatabase;
    let store: LedgerStore;
    let driver: SqlDriver;
    const run = randomBytes(3).toString('hex');
    let tenants = 0;

    beforeAll(async () => {
      database = await harness.openDatabase();
      ({ store, driver } = database);
      await store.migrate();
    });

    afterAll(async () => {
      await database?.dispose();
    });

    async function newTenant(): Promise<string> {
      tenants += 1;
      const id = `t${tenants}-${run}`;
      await store.createTenant({ id, name: `Tenant ${tenants}`, logOrigin: `example.test/t/${id}`, createdAt: new Date() });
      return id;
    }

    async function appendBatches(log: TestLog, batches: readonly AppendBatch[]): Promise<void> {
      for (const batch of batches) await store.withLogWriter(log.tenant, (writer) => writer.append(batch));
    }

    async function newLog(...batchSizes: number[]): Promise<TestLog> {
      const log = new TestLog(await newTenant());
      await appendBatches(
        log,
        batchSizes.map((size) => log.nextBatch(size)),
      );
      return log;
    }

    it(`reports its kind as ${harness.kind}`, () => {
      expect(store.kind).toBe(harness.kind);
      expect(driver.kind).toBe(harness.kind);
    });

    describe('driver conventions', () => {
      it('returns int8 as number, bytea as bytes, timestamptz as Date, and arrays of them alike', async () => {
        const at = new Date('2026-07-08T09:10:11.123Z');
        const { rows } = await driver.query<Record<string, unknown>>(
          `SELECT 9007199254740991::int8 AS big, $1::int8[] AS bigs, $2::bytea AS bytes, $3::bytea[] AS byte_list,
                  $4::timestamptz AS at, ARRAY[$4::timestamptz] AS ats, count(*) AS counted FROM (VALUES (1), (2)) v(x)`,
          [[1, 2 ** 40], new Uint8Array([0, 1, 255]), [new Uint8Array([7]), new Uint8Array([])], at],
        );
        const row = rows[0] ?? {};
        expect(row.big).toBe(9007199254740991);
        expect(row.bigs).toEqual([1, 2 ** 40]);
        expect(row.bytes).toBeInstanceOf(Uint8Array);
        expect([...(row.bytes as Uint8Array)]).toEqual([0, 1, 255]);
        expect((row.byte_list as Uint8Array[]).map((b) => [...b])).toEqual([[7], []]);
        expect(row.at).toEqual(at);
        expect(row.ats).toEqual([at]);
        expect(row.counted).toBe(2);
      });

      it('reports SQLSTATEs, and refuses to commit a transaction PostgreSQL has already aborted', async () => {
        const failure = await driver.query('SELECT 1/0').catch((error: unknown) => error);
        expect(sqlStateOf(failure)).toBe('22012');
        expect(sqlStateOf(new Error('plain'))).toBeUndefined();

        const committed = driver.transaction(async (tx) => {
          await tx.query('CREATE TABLE swallowed (x int)');
          await tx.query('SELECT 1/0').catch(() => undefined);
          return 'looks fine';
        });
        const outcome = await committed.catch((error: unknown) => error);
        expect(sqlStateOf(outcome)).toBe('25P02');
        const { rows } = await driver.query(`SELECT to_regclass('swallowed') AS t`);
        expect(rows[0]?.t).toBeNull();
      });

      it('runs scripts of several statements, also inside a transaction', async () => {
        await driver.transaction((tx) =>
          tx.exec('CREATE TEMP TABLE script_a (x int) ON COMMIT DROP; CREATE TEMP TABLE script_b (x int) ON COMMIT DROP;'),
        );
        await driver.exec('SELECT 1; SELECT 2;');
      });
    });

    describe('migrations', () => {
      it('applies every migration once, and a second run changes nothing', async () => {
        const fresh = await harness.openDatabase();
        try {
          const files = await loadMigrations();
          expect(files.length).toBeGreaterThanOrEqual(2);
          const applied = await migrate(fresh.driver);
          expect(applied.map((m) => m.name)).toEqual(files.map((f) => f.name));

          const recorded = 'SELECT version, name, checksum, note, applied_at FROM schema_migrations ORDER BY version';
          const before = (await fresh.driver.query(recorded)).rows;
          expect(await migrate(fresh.driver)).toEqual([]);
          await fresh.store.migrate();
          expect((await fresh.driver.query(recorded)).rows).toEqual(before);
          expect(before.map((row) => row.version)).toEqual(files.map((f) => f.version));
        } finally {
          await fresh.dispose();
        }
      });

      it('refuses an applied migration that was edited, and changes nothing', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'al-migrations-'));
        try {
          await cp(MIGRATIONS_DIR, dir, { recursive: true });
          await appendFile(join(dir, '001_ledger.sql'), '\nCREATE TABLE should_not_exist (x int);\n');
          await expect(migrate(driver, dir)).rejects.toThrow(/001_ledger\.sql differs/);
          const { rows } = await driver.query(`SELECT to_regclass('should_not_exist') AS t`);
          expect(rows[0]?.t).toBeNull();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });

      it('creates the partitions of the current month and the next two', async () => {
        const now = monthOf(new Date());
        const names = await partitionNames(driver);
        for (let i = 0; i <= 2; i++) expect(names).toContain(partitionNameOf(addMonths(now, i)));
      });
    });

    describe('settings, tenants and API keys', () => {
      it('keeps the first value stored under a setting', async () => {
        const name = `setting-${run}`;
        expect(await store.getSetting(name)).toBeNull();
        expect(await store.putSettingIfAbsent(name, 'first')).toBe('first');
        expect(await store.putSettingIfAbsent(name, 'second')).toBe('first');
        expect(await store.getSetting(name)).toBe('first');

        const raced = `raced-${run}`;
        const results = await Promise.all(['a', 'b', 'c', 'd'].map((value) => store.putSettingIfAbsent(raced, value)));
        expect(new Set(results).size).toBe(1);
        expect(await store.getSetting(raced)).toBe(results[0]);
      });

      it('creates tenants once and reads them back', async () => {
        const id = `tenant-${run}`;
        const createdAt = new Date('2026-01-02T03:04:05.678Z');
        const record = { id, name: 'Acme', logOrigin: `example.test/t/${id}`, createdAt };
        expect(await store.createTenant(record)).toBe('created');
        expect(await store.createTenant({ ...record, name: 'Other' })).toBe('exists');
        expect(await store.getTenant(id)).toEqual(record);
        expect(await store.getTenant(`missing-${run}`)).toBeNull();
        const listed = await store.listTenants();
        expect(listed).toContainEqual(record);
        expect(listed.map((t) => t.id)).toEqual([...listed.map((t) => t.id)].sort());
      });

      it('stores tenant and platform keys, revokes each only in its own scope, and records use', async () => {
        const tenant = await newTenant();
        const created = new Date('2026-03-01T00:00:00.000Z');
        const tenantKey = {
          id: `key-${run}-1`,
          tenantId: tenant,
          name: 'ci',
          scopes: ['events:write', 'events:read'] as ('events:write' | 'events:read')[],
          secretHash: randomBytes(32),
          createdAt: created,
          expiresAt: new Date('2027-03-01T00:00:00.000Z'),
          revokedAt: null,
          lastUsedAt: null,
        };
        const platformKey = { ...tenantKey, id: `key-${run}-2`, tenantId: null, name: 'platform', expiresAt: null };
        await store.insertApiKey(tenantKey);
        await store.insertApiKey(platformKey);

        const read = await store.getApiKey(tenantKey.id);
        expect(read).toEqual({ ...tenantKey, secretHash: expect.anything() });
        expect(hex(read?.secretHash ?? new Uint8Array())).toBe(hex(tenantKey.secretHash));
        expect(await store.getApiKey(`key-${run}-missing`)).toBeNull();
        expect((await store.listApiKeys(tenant)).map((k) => k.id)).toEqual([tenantKey.id]);
        expect((await store.listApiKeys(null)).map((k) => k.id)).toContain(platformKey.id);
        expect((await store.listApiKeys(null)).map((k) => k.id)).not.toContain(tenantKey.id);

        const at = new Date('2026-04-01T00:00:00.000Z');
        expect(await store.revokeApiKey(null, tenantKey.id, at)).toBe(false);
        expect(await store.revokeApiKey(`other-${run}`, tenantKey.id, at)).toBe(false);
        expect(await store.revokeApiKey(tenant, platformKey.id, at)).toBe(false);
        expect(await store.revokeApiKey(tenant, tenantKey.id, at)).toBe(true);
        expect(await store.revokeApiKey(tenant, tenantKey.id, at)).toBe(false);
        expect((await store.getApiKey(tenantKey.id))?.revokedAt).toEqual(at);
        expect(await store.revokeApiKey(null, platformKey.id, at)).toBe(true);

        const later = new Date('2026-05-01T00:00:00.000Z');
        await store.touchApiKey(tenantKey.id, later);
        await store.touchApiKey(tenantKey.id, at);
        expect((await store.getApiKey(tenantKey.id))?.lastUsedAt).toEqual(later);
      });
    });

    describe('log writer', () => {
      it('reads the empty head of a log with no entries', async () => {
        const tenant = await newTenant();
        const head = await store.withLogWriter(tenant, async (writer) => (await writer.position([])).head);
        expect(head).toEqual({ size: 0, chainHash: new Uint8Array(32), frontier: [], lastReceivedAt: null });
        expectSameHead(await store.getHead(tenant), head);
        expect(await store.listHeads(tenant)).toEqual([]);
        expect(await store.countEvents(tenant)).toBe(0);
      });

      it('appends batches and reads back heads, entries and every column', async () => {
        const log = new TestLog(await newTenant());
        const first = log.nextBatch([{ searchText: 'alpha beta' }, {}, {}]);
        const second = log.nextBatch(20);
        await appendBatches(log, [first, second]);

        expectSameHead(await store.getHead(log.tenant), second.head);
        expectSameHead(await store.withLogWriter(log.tenant, async (writer) => (await writer.position([])).head), second.head);
        const heads = await store.listHeads(log.tenant);
        expect(heads.map((h) => h.size)).toEqual([3, 23]);
        expectSameHead(heads[0] as LogHead, first.head);
        expect(await store.countEvents(log.tenant)).toBe(23);

        const entries = await store.getEntries(log.tenant, 1, 5);
        expect(seqsOf(entries)).toEqual([1, 2, 3, 4]);
        entries.forEach((entry) => {
          const row = log.events[entry.seq];
          expect(entry.id).toBe(row?.id);
          expect(entry.leaf).toBe(row?.leaf);
          expect(hex(entry.leafHash)).toBe(hex(row?.leafHash ?? new Uint8Array()));
          expect(hex(entry.chainHash)).toBe(hex(row?.chainHash ?? new Uint8Array()));
        });
        expect(seqsOf(await store.getEntries(log.tenant, 20, 100))).toEqual([20, 21, 22]);

        const scanned = await store.scanEvents(log.tenant, 0, 3);
        expect(scanned).toHaveLength(3);
        scanned.forEach((columns, i) => {
          const { searchText, ...written } = log.events[i] ?? expect.unreachable();
          expect({ ...columns, search: undefined }).toEqual({
            ...written,
            leafHash: expect.anything(),
            chainHash: expect.anything(),
            requestHash: expect.anything(),
            search: undefined,
          });
          expect(hex(columns.requestHash)).toBe(hex(written.requestHash));
          for (const word of searchText.split(' ').filter(Boolean)) expect(columns.search).toContain(`'${word}'`);
        });
      });

      it('finds stored ids with the head in one call, whatever their spelling', async () => {
        const log = await newLog(5);
        const [a, b] = log.events;
        if (a === undefined || b === undefined) throw new Error('log too short');
        const unknown = randomUUID();
        const upper = b.id.toUpperCase();
        const { head, existing: found } = await store.withLogWriter(log.tenant, (writer) =>
          writer.position([a.id, upper, unknown, 'not-a-uuid']),
        );
        expect(head.size).toBe(5);
        expect([...found.keys()].sort()).toEqual([a.id, upper].sort());
        const existing = found.get(upper);
        expect(existing?.seq).toBe(1);
        expect(existing?.id).toBe(b.id);
        expect(hex(existing?.leafHash ?? new Uint8Array())).toBe(hex(b.leafHash));
        expect(hex(existing?.requestHash ?? new Uint8Array())).toBe(hex(b.requestHash));

        const other = await newTenant();
        const elsewhere = await store.withLogWriter(other, (writer) => writer.position([a.id]));
        expect(elsewhere.existing.size).toBe(0);
        expect(elsewhere.head.size).toBe(0);
      });

      it('refuses a batch that contradicts itself and writes nothing', async () => {
        const log = await newLog(4);
        const good = new TestLog(log.tenant);
        good.nextBatch(4);
        const next = good.nextBatch(3);
        const otherTenant = { ...next, events: next.events.map((e, i) => (i === 1 ? { ...e, tenant: 'someone-else' } : e)) };
        const gap = { ...next, events: [next.events[0], next.events[2]].filter((e) => e !== undefined) };
        const wrongSize = { ...next, head: { ...next.head, size: next.head.size + 1 } };
        const wrongChain = { ...next, head: { ...next.head, chainHash: randomBytes(32) } };
        const empty = { ...next, events: [] };
        for (const batch of [otherTenant, gap, wrongSize, wrongChain, empty]) {
          await expect(store.withLogWriter(log.tenant, (writer) => writer.append(batch))).rejects.toThrow(RangeError);
        }
        expect(await store.countEvents(log.tenant)).toBe(4);
        expect((await store.getHead(log.tenant)).size).toBe(4);
      });

      it('refuses leaves that are not canonical JSON and hashes of the wrong size, and writes nothing', async () => {
        const log = await newLog(12);
        const good = new TestLog(log.tenant);
        good.nextBatch(12);
        const next = good.nextBatch(4);
        expect(next.nodes).toHaveLength(1);
        const withEvent = (i: number, patch: Partial<EventRow>): AppendBatch => ({
          ...next,
          events: next.events.map((e, at) => (at === i ? { ...e, ...patch } : e)),
        });
        const separated = (next.events[1]?.leaf ?? '').replace(',', ',\u001e');
        const cases: [AppendBatch, RegExp][] = [
          [withEvent(1, { leaf: separated }), /U\+001E/],
          [withEvent(2, { leaf: '' }), /empty/],
          [withEvent(0, { leafHash: new Uint8Array(31) }), /leaf hash 0 .* 31 bytes/],
          [withEvent(2, { chainHash: new Uint8Array(33) }), /chain hash 2 .* 33 bytes/],
          [withEvent(3, { requestHash: new Uint8Array(16) }), /request hash 3 .* 16 bytes/],
          [{ ...next, nodes: next.nodes.map((n) => ({ ...n, hash: new Uint8Array(0) })) }, /merkle node hash 0/],
        ];
        for (const [batch, message] of cases) {
          const attempt = store.withLogWriter(log.tenant, (writer) => writer.append(batch));
          await expect(attempt).rejects.toThrow(RangeError);
          await expect(attempt).rejects.toThrow(message);
        }
        expect(await store.countEvents(log.tenant)).toBe(12);
        expect((await store.getHead(log.tenant)).size).toBe(12);
        expect(await tableCount(driver, 'merkle_nodes', log.tenant)).toBe(0);
        await store.withLogWriter(log.tenant, (writer) => writer.append(next));
        expect(await tableCount(driver, 'merkle_nodes', log.tenant)).toBe(1);
      });

      it('stores values with control characters, quotes, backslashes and astral characters exactly, and they verify', async () => {
        const tenant = await newTenant();
        const origin = `example.test/t/${tenant}`;
        const awkward = ['\u001e', '\u001f', '\u0001', '\t\n', '"', '\\', '\\"', '😀', '\u2028', '\u007f', '{"a":1}'];
        const inputs: EventInput[] = awkward.map((c, i) => ({
          action: 'document.update',
          actor: { id: `actor${c}${i}`, type: 'user', name: `Name${c}${i}` },
          resource: { type: 'document', id: `doc"${c}\\${i}`, name: `before${i}${c}after${i}` },
          outcome: 'success',
          subject_id: `subject${c}${i}`,
          metadata: { note: `word${i}${c}next${i}`, [`key${c}`]: [`"${c}"\\${c}😀`, c, ''] },
        }));
        // Several events in one statement, then a batch of one, whose packed parameters hold a single value.
        const plan = (events: readonly EventInput[], head: LogHead): AppendBatch => {
          const prepared = events.map((input): PreparedEvent => {
            const id = randomUUID();
            const template = sealingTemplate(input, { tenant, id });
            return { id, requestHash: template.fingerprint, template, occurredAt: null };
          });
          const { append } = planBatch(tenant, head, [prepared], new Map(), new Date());
          if (append === null) throw new Error('nothing planned');
          return append;
        };
        const first = plan(inputs.slice(0, -1), await store.getHead(tenant));
        await store.withLogWriter(tenant, (writer) => writer.append(first));
        const second = plan(inputs.slice(-1), first.head);
        await store.withLogWriter(tenant, (writer) => writer.append(second));
        const written = [...first.events, ...second.events];

        const columns = await store.scanEvents(tenant, 0, written.length);
        expect(seqsOf(columns)).toEqual(written.map((_, i) => i));
        columns.forEach((stored, i) => {
          const { searchText, ...expected } = written[i] ?? expect.unreachable();
          expect(searchText).toContain(awkward[i]);
          expect({ ...stored, search: undefined }).toEqual({
            ...expected,
            leafHash: expect.anything(),
            chainHash: expect.anything(),
            requestHash: expect.anything(),
            search: undefined,
          });
          expect(hex(stored.leafHash)).toBe(hex(expected.leafHash));
          expect(hex(stored.chainHash)).toBe(hex(expected.chainHash));
          expect(hex(stored.requestHash)).toBe(hex(expected.requestHash));
          const sealed = JSON.parse(stored.leaf) as { metadata: unknown; resource: { id: string } };
          expect(sealed.metadata).toEqual(inputs[i]?.metadata);
          expect(sealed.resource.id).toBe(inputs[i]?.resource.id);
        });

        // The words on either side of a control character are separate words.
        for (const i of [0, 1, 2, 3]) {
          for (const q of [`word${i}`, `next${i}`, `after${i}`]) {
            expect(seqsOf(await store.queryEvents(tenant, { limit: 100, q })), q).toEqual([i]);
          }
        }

        const key = generateSigningKey(origin);
        const report = await verifyStoredLog(store, tenant, { verifierKeys: [verifierKeyOf(key)], origin, workers: 0 });
        expect(report).toMatchObject({ ok: true, size: written.length, checked: written.length, failures: [] });
      });

      it('rolls everything back when the writer function fails', async () => {
        const log = await newLog(2);
        const batch = log.nextBatch(3);
        await expect(
          store.withLogWriter(log.tenant, async (writer) => {
            await writer.append(batch);
            throw new Error('changed my mind');
          }),
        ).rejects.toThrow('changed my mind');
        expect(await store.countEvents(log.tenant)).toBe(2);
        expect(await store.listHeads(log.tenant)).toHaveLength(1);
        expect(await tableCount(driver, 'merkle_nodes', log.tenant)).toBe(0);
      });

      it('refuses a writer used after its transaction ended', async () => {
        const tenant = await newTenant();
        const leaked = await store.withLogWriter(tenant, async (writer) => writer);
        await expect(leaked.position([])).rejects.toThrow(/after its transaction ended/);
      });

      it('appends 2000 events in one batch', async () => {
        const log = await newLog(2000);
        expect(await store.countEvents(log.tenant)).toBe(2000);
        expect((await store.getHead(log.tenant)).size).toBe(2000);
        expect(await tableCount(driver, 'merkle_nodes', log.tenant)).toBe(Math.floor(2000 / 16) + Math.floor(2000 / 256));
      });

      it('serialises concurrent writers of one log', async () => {
        await expectWritersSerialised([store], 8);
      });
    });

    describe('one-statement append at a known head (appendIfHead)', () => {
      it('appends after the head it names, as withLogWriter would, once the month has been written', async () => {
        const log = await newLog(3);
        const before = await store.getHead(log.tenant);
        const batch = log.nextBatch(20);
        expect(await store.appendIfHead(log.tenant, before, [], batch)).toBe(true);
        expectSameHead(await store.getHead(log.tenant), batch.head);
        const entries = await store.getEntries(log.tenant, 0, 23);
        expect(seqsOf(entries)).toEqual(Array.from({ length: 23 }, (_, i) => i));
        expect(entries.map((entry) => hex(entry.leafHash))).toEqual(log.leafHashes.map(hex));
        expect(await tableCount(driver, 'merkle_nodes', log.tenant)).toBe(1);
      });

      it('writes nothing and answers false once the log has moved past the head it names', async () => {
        const log = await newLog(2);
        const stale = await store.getHead(log.tenant);
        // Another writer appends first; a batch planned on the old head would fork the log.
        const other = batchAfter(log.tenant, stale);
        await store.withLogWriter(log.tenant, (writer) => writer.append(other));
        const forked = batchAfter(log.tenant, stale);
        expect(await store.appendIfHead(log.tenant, stale, [], forked)).toBe(false);
        expectSameHead(await store.getHead(log.tenant), other.head);
        expect(await tableCount(driver, 'events', log.tenant)).toBe(3);
        expect((await store.listHeads(log.tenant)).map((head) => head.size)).toEqual([2, 3]);
      });

      it('refuses a head of the right size with another chain hash', async () => {
        const log = await newLog(4);
        const head = await store.getHead(log.tenant);
        const batch = batchAfter(log.tenant, head);
        expect(await store.appendIfHead(log.tenant, { ...head, chainHash: new Uint8Array(32).fill(9) }, [], batch)).toBe(false);
        expect(await tableCount(driver, 'events', log.tenant)).toBe(4);
      });

      it('writes nothing when an id it must not find is stored, whatever its spelling', async () => {
        const log = await newLog(5);
        const head = await store.getHead(log.tenant);
        const stored = (log.events[2] as EventRow).id;
        const batch = batchAfter(log.tenant, head);
        expect(await store.appendIfHead(log.tenant, head, ['not-a-uuid', stored.toUpperCase()], batch)).toBe(false);
        expect(await tableCount(driver, 'events', log.tenant)).toBe(5);
        expect(await store.appendIfHead(log.tenant, head, ['not-a-uuid', randomUUID()], batch)).toBe(true);
        expect(await tableCount(driver, 'events', log.tenant)).toBe(6);
      });

      it('leaves a month this store has not written to withLogWriter, which can create its partition', async () => {
        const fresh = await harness.openDatabase();
        try {
          await fresh.store.migrate();
          const tenant = 'first-write';
          await fresh.store.createTenant({ id: tenant, name: tenant, logOrigin: `example.test/t/${tenant}`, createdAt: new Date() });
          const head = await fresh.store.getHead(tenant);
          const batch = batchAfter(tenant, head);
          expect(await fresh.store.appendIfHead(tenant, head, [], batch)).toBe(false);
          await fresh.store.withLogWriter(tenant, (writer) => writer.append(batch));
          expect(await fresh.store.appendIfHead(tenant, batch.head, [], batchAfter(tenant, batch.head))).toBe(true);
          expect((await fresh.store.getHead(tenant)).size).toBe(2);
        } finally {
          await fresh.dispose();
        }
      });

      it('rejects a batch that does not start at the head it names', async () => {
        const log = await newLog(3);
        const head = await store.getHead(log.tenant);
        await expect(store.appendIfHead(log.tenant, { ...head, size: 2 }, [], batchAfter(log.tenant, head))).rejects.toThrow(RangeError);
        expect(await tableCount(driver, 'events', log.tenant)).toBe(3);
      });

      it('never forks a log when writers racing on one head append at once', async () => {
        const tenant = await newTenant();
        const start = await store.getHead(tenant);
        await store.withLogWriter(tenant, (writer) => writer.append(batchAfter(tenant, start)));
        const head = await store.getHead(tenant);
        const answers = await Promise.all(Array.from({ length: 6 }, () => store.appendIfHead(tenant, head, [], batchAfter(tenant, head))));
        expect(answers.filter(Boolean)).toHaveLength(1);
        expect((await store.listHeads(tenant)).map((h) => h.size)).toEqual([1, 2]);
        expect(await tableCount(driver, 'events', tenant)).toBe(2);
      });
    });

    async function expectWritersSerialised(stores: readonly LedgerStore[], writers: number): Promise<void> {
      const tenant = await newTenant();
      await Promise.all(
        Array.from({ length: writers }, (_, i) =>
          (stores[i % stores.length] as LedgerStore).withLogWriter(tenant, async (writer) => {
            const { head } = await writer.position([]);
            // Give every other writer the chance to read the same head, which only the lock prevents.
            await pause(10);
            await writer.append(batchAfter(tenant, head));
          }),
        ),
      );
      expect((await store.listHeads(tenant)).map((h) => h.size)).toEqual(Array.from({ length: writers }, (_, i) => i + 1));
      const entries = await store.getEntries(tenant, 0, writers);
      expect(seqsOf(entries)).toEqual(Array.from({ length: writers }, (_, i) => i));
      let chain: Uint8Array = new Uint8Array(32);
      for (const entry of entries) {
        chain = chainHashOf(chain, entry.leafHash);
        expect(hex(entry.chainHash)).toBe(hex(chain));
      }
    }

    describe('Merkle nodes', () => {
      let log: TestLog;

      beforeAll(async () => {
        log = await newLog(1, 7, 16, 100, 3, 173);
      });

      it('stores the nodes each batch completes at levels 4 and 8, and leaf hashes at level 0', async () => {
        const level4 = await store.scanNodes(log.tenant, 4, 0, 1000);
        expect(level4.map((n) => n.index)).toEqual(Array.from({ length: 18 }, (_, i) => i));
        level4.forEach((node) => expect(hex(node.hash)).toBe(hex(subtreeHash(log.leafHashes, node.index * 16, 16))));
        const level8 = await store.scanNodes(log.tenant, 8, 0, 1000);
        expect(level8.map((n) => [n.level, n.index])).toEqual([[8, 0]]);
        expect(hex(level8[0]?.hash ?? new Uint8Array())).toBe(hex(subtreeHash(log.leafHashes, 0, 256)));
        expect(await store.scanNodes(log.tenant, 12, 0, 1000)).toEqual([]);
        expect((await store.scanNodes(log.tenant, 4, 5, 7)).map((n) => n.index)).toEqual([5, 6]);

        const leaves = await store.scanNodes(log.tenant, 0, 10, 13);
        expect(leaves.map((n) => [n.level, n.index])).toEqual([
          [0, 10],
          [0, 11],
          [0, 12],
        ]);
        leaves.forEach((n) => expect(hex(n.hash)).toBe(hex(log.leafHashes[n.index] ?? new Uint8Array())));
      });

      it('computes every perfect subtree of the tree, in the order asked', async () => {
        const wanted: { level: number; index: number }[] = [];
        for (let level = 0; 2 ** level <= log.size; level++) {
          for (let index = 0; (index + 1) * 2 ** level <= log.size; index++) wanted.push({ level, index });
        }
        // Reverse, so the answer's order must follow the question rather than the storage.
        wanted.reverse();
        const hashes = await store.getNodeHashes(log.tenant, wanted);
        expect(hashes).toHaveLength(wanted.length);
        wanted.forEach(({ level, index }, i) => {
          const width = 2 ** level;
          expect(hex(hashes[i] ?? new Uint8Array()), `node ${level}/${index}`).toBe(
            hex(subtreeHash(log.leafHashes, index * width, width)),
          );
        });
      });

      it('rebuilds nodes from the stored hashes at the nearest stored level', async () => {
        // A log whose stored node (4, 1) is not what its leaves hash to: answers that use it show it was read.
        const forged = new TestLog(await newTenant());
        const batch = forged.nextBatch(32);
        const bogus = randomBytes(32);
        const nodes = batch.nodes.map((n) => (n.level === 4 && n.index === 1 ? { ...n, hash: bogus } : n));
        await store.withLogWriter(forged.tenant, (writer) => writer.append({ ...batch, nodes }));

        const [node41, node50, node32] = await store.getNodeHashes(forged.tenant, [
          { level: 4, index: 1 },
          { level: 5, index: 0 },
          { level: 3, index: 2 },
        ]);
        expect(hex(node41 ?? new Uint8Array())).toBe(hex(bogus));
        const honest40 = subtreeHash(forged.leafHashes, 0, 16);
        const expected50 = subtreeHash([honest40, bogus], 0, 2);
        expect(hex(node50 ?? new Uint8Array())).toBe(hex(expected50));
        expect(hex(node32 ?? new Uint8Array())).toBe(hex(subtreeHash(forged.leafHashes, 16, 8)));
      });

      it('refuses nodes the stored tree does not cover', async () => {
        await expect(store.getNodeHashes(log.tenant, [{ level: 4, index: 18 }])).rejects.toThrow(RangeError);
        await expect(store.getNodeHashes(log.tenant, [{ level: 0, index: log.size }])).rejects.toThrow(RangeError);
        await expect(store.getNodeHashes(log.tenant, [{ level: 9, index: 0 }])).rejects.toThrow(RangeError);
        expect(await store.getNodeHashes(log.tenant, [])).toEqual([]);
      });
    });

    describe('queryEvents', () => {
      const t0 = new Date('2026-06-01T00:00:00.000Z');
      const hour = 3_600_000;
      const shapes: EventShape[] = [
        { action: 'user.login', actorId: 'alice', searchText: 'alice signed in from berlin' },
        { action: 'user.logout', actorId: 'alice', searchText: 'alice signed out' },
        { action: 'user_x.login', actorId: 'bob', outcome: 'failure' },
        { action: 'userAx.login', actorId: 'bob' },
        { action: 'user%.create', actorId: 'carol' },
        { action: 'user%b.create', actorId: 'carol', outcome: 'failure' },
        {
          action: 'users.delete',
          actorId: 'dave',
          resourceType: 'document',
          resourceId: 'doc-1',
          outcome: 'denied',
          searchText: 'quarterly report deleted',
        },
        {
          action: 'document.update',
          actorId: 'dave',
          resourceType: 'document',
          resourceId: 'doc-1',
          searchText: 'quarterly budget updated',
        },
        { action: 'document.update', actorId: 'erin', resourceType: 'document', resourceId: 'doc-2' },
        { action: 'user\\.odd', actorId: 'erin' },
        { action: 'user.login', actorId: 'alice', searchText: 'alice signed in again' },
        { action: 'USER.login', actorId: 'alice' },
      ].map((shape, i) => ({ ...shape, occurredAt: new Date(t0.getTime() + i * hour) }));
      let log: TestLog;

      beforeAll(async () => {
        log = new TestLog(await newTenant());
        await appendBatches(log, [log.nextBatch(shapes.slice(0, 5)), log.nextBatch(shapes.slice(5))]);
        // Another tenant with the very same events must never show up.
        const noise = new TestLog(await newTenant());
        await appendBatches(noise, [noise.nextBatch(shapes)]);
      });

      const query = async (filter: Omit<EventFilter, 'limit'> & { limit?: number }): Promise<number[]> =>
        seqsOf(await store.queryEvents(log.tenant, { limit: 100, ...filter }));

      it('returns everything newest first without filters, with the stored leaf and hashes', async () => {
        const all = await store.queryEvents(log.tenant, { limit: 100 });
        expect(seqsOf(all)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        const newest = all[0];
        expect(newest?.id).toBe(log.events[11]?.id);
        expect(newest?.leaf).toBe(log.events[11]?.leaf);
        expect(sameBytes(newest?.leafHash ?? new Uint8Array(), log.events[11]?.leafHash ?? new Uint8Array(1))).toBe(true);
        expect(sameBytes(newest?.chainHash ?? new Uint8Array(), log.events[11]?.chainHash ?? new Uint8Array(1))).toBe(true);
      });

      it('filters by actor, resource and outcome', async () => {
        expect(await query({ actorId: 'alice' })).toEqual([11, 10, 1, 0]);
        expect(await query({ resourceType: 'document' })).toEqual([8, 7, 6]);
        expect(await query({ resourceType: 'document', resourceId: 'doc-1' })).toEqual([7, 6]);
        expect(await query({ resourceId: 'doc-2' })).toEqual([8]);
        expect(await query({ outcome: 'failure' })).toEqual([5, 2]);
        expect(await query({ actorId: 'dave', resourceType: 'document', outcome: 'denied' })).toEqual([6]);
        expect(await query({ actorId: 'nobody' })).toEqual([]);
      });

      it('matches an action exactly, including characters LIKE would treat as wildcards', async () => {
        expect(await query({ action: 'user.login' })).toEqual([10, 0]);
        expect(await query({ action: 'user_x.login' })).toEqual([2]);
        expect(await query({ action: 'user%.create' })).toEqual([4]);
        expect(await query({ action: 'user.login', actionPrefix: false })).toEqual([10, 0]);
      });

      it('matches an action prefix literally: _ and % and \\ in the prefix are not wildcards', async () => {
        expect(await query({ action: 'user.', actionPrefix: true })).toEqual([10, 1, 0]);
        expect(await query({ action: 'user_', actionPrefix: true })).toEqual([2]);
        expect(await query({ action: 'user%', actionPrefix: true })).toEqual([5, 4]);
        expect(await query({ action: 'user%.', actionPrefix: true })).toEqual([4]);
        expect(await query({ action: 'user\\', actionPrefix: true })).toEqual([9]);
        expect(await query({ action: 'user', actionPrefix: true })).toEqual([10, 9, 6, 5, 4, 3, 2, 1, 0]);
        expect(await query({ action: 'document.', actionPrefix: true, actorId: 'erin' })).toEqual([8]);
      });

      it('filters occurred_at from (inclusive) to (exclusive)', async () => {
        const at = (i: number): Date => new Date(t0.getTime() + i * hour);
        expect(await query({ from: at(3), to: at(6) })).toEqual([5, 4, 3]);
        expect(await query({ from: at(10) })).toEqual([11, 10]);
        expect(await query({ to: at(1) })).toEqual([0]);
        expect(await query({ from: at(3), to: at(3) })).toEqual([]);
      });

      it('searches full text with web search syntax', async () => {
        expect(await query({ q: 'quarterly' })).toEqual([7, 6]);
        expect(await query({ q: '"quarterly report"' })).toEqual([6]);
        expect(await query({ q: 'quarterly -budget' })).toEqual([6]);
        expect(await query({ q: 'berlin' })).toEqual([0]);
        expect(await query({ q: 'alice signed' })).toEqual([10, 1, 0]);
        expect(await query({ q: 'alice', actorId: 'bob' })).toEqual([]);
        expect(await query({ q: 'nothing-like-this' })).toEqual([]);
      });

      it('pages with beforeSeq without skipping or repeating, also while the log grows', async () => {
        const pages: number[][] = [];
        let beforeSeq: number | undefined;
        for (;;) {
          const page = await query({ limit: 5, ...(beforeSeq === undefined ? {} : { beforeSeq }) });
          if (page.length === 0) break;
          pages.push(page);
          beforeSeq = page[page.length - 1];
          // New events arrive between pages; they are newer than the cursor, so they never enter later pages.
          if (pages.length === 1) {
            const late = log.nextBatch([{ actorId: 'alice', occurredAt: new Date(t0.getTime() + 20 * hour) }]);
            await appendBatches(log, [late]);
          }
        }
        expect(pages.map((page) => page.length)).toEqual([5, 5, 2]);
        expect(pages.flat()).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        expect(await query({ actorId: 'alice', beforeSeq: 11, limit: 2 })).toEqual([10, 1]);
        expect(await query({ limit: 1 })).toEqual([12]);
      });

      it('reads one event by id, only within its tenant', async () => {
        const event = log.events[3];
        if (event === undefined) throw new Error('log too short');
        expect((await store.getEventById(log.tenant, event.id))?.seq).toBe(3);
        expect((await store.getEventById(log.tenant, event.id.toUpperCase()))?.seq).toBe(3);
        expect(await store.getEventById(log.tenant, randomUUID())).toBeNull();
        expect(await store.getEventById(log.tenant, 'not-a-uuid')).toBeNull();
        expect(await store.getEventById(await newTenant(), event.id)).toBeNull();
      });
    });

    describe('checkpoints', () => {
      it('stores, finds and lists checkpoints; a repeat of the same root is a no-op, another root is refused', async () => {
        const log = await newLog(3);
        const root3 = subtreeHash(log.leafHashes, 0, 2);
        const first = {
          tenant: log.tenant,
          size: 3,
          rootHash: root3,
          note: 'note 3',
          createdAt: new Date('2026-02-01T00:00:00Z'),
        };
        expect(await store.latestCheckpoint(log.tenant)).toBeNull();
        await store.insertCheckpoint(first);
        await store.insertCheckpoint({ ...first, note: 'note 3 again', createdAt: new Date() });
        await expect(store.insertCheckpoint({ ...first, rootHash: randomBytes(32) })).rejects.toThrow(/another root/);
        expect(await store.getCheckpoint(log.tenant, 3)).toEqual({ ...first, rootHash: expect.anything() });
        expect(hex((await store.getCheckpoint(log.tenant, 3))?.rootHash ?? new Uint8Array())).toBe(hex(root3));

        const later = { ...first, size: 5, rootHash: randomBytes(32), note: 'note 5', createdAt: new Date('2026-02-02') };
        await store.insertCheckpoint(later);
        expect((await store.latestCheckpoint(log.tenant))?.size).toBe(5);
        expect((await store.listCheckpoints(log.tenant)).map((c) => [c.size, c.note])).toEqual([
          [3, 'note 3'],
          [5, 'note 5'],
        ]);
        expect(await store.getCheckpoint(log.tenant, 4)).toBeNull();
      });

      it('names exactly the tenants whose log outgrew their newest checkpoint', async () => {
        const fresh = await newLog(2);
        const checkpointed = await newLog(4);
        const quiet = await newTenant();
        const checkpoint = (tenant: string, size: number) =>
          store.insertCheckpoint({ tenant, size, rootHash: randomBytes(32), note: `n${size}`, createdAt: new Date() });
        await checkpoint(checkpointed.tenant, 4);

        let needing = await store.tenantsNeedingCheckpoint();
        expect(needing).toContain(fresh.tenant);
        expect(needing).not.toContain(checkpointed.tenant);
        expect(needing).not.toContain(quiet);

        await appendBatches(checkpointed, [checkpointed.nextBatch(1)]);
        await checkpoint(fresh.tenant, 2);
        needing = await store.tenantsNeedingCheckpoint();
        expect(needing).toContain(checkpointed.tenant);
        expect(needing).not.toContain(fresh.tenant);
      });
    });

    describe('append-only ledger tables', () => {
      const receivedAt = new Date();
      const partition = partitionNameOf(monthOf(receivedAt));
      let log: TestLog;

      beforeAll(async () => {
        log = await newLog(20);
        await store.insertCheckpoint({
          tenant: log.tenant,
          size: 20,
          rootHash: randomBytes(32),
          note: 'n',
          createdAt: receivedAt,
        });
      });

      for (const table of [...LEDGER_TABLES, partition]) {
        const what = table === partition ? `the events partition ${table}` : table;
        it(`refuses UPDATE, DELETE and TRUNCATE on ${what}`, async () => {
          const before = await tableCount(driver, table, log.tenant);
          expect(before).toBeGreaterThan(0);
          const mine = [log.tenant];
          const update = `UPDATE ${table} SET tenant_id = tenant_id WHERE tenant_id = $1`;
          await expect(driver.query(update, mine)).rejects.toThrow(APPEND_ONLY);
          await expect(driver.query(`DELETE FROM ${table} WHERE tenant_id = $1`, mine)).rejects.toThrow(APPEND_ONLY);
          await expect(driver.query(`DELETE FROM ${table} WHERE false`)).rejects.toThrow(APPEND_ONLY);
          await expect(driver.query(`TRUNCATE ${table}`)).rejects.toThrow(APPEND_ONLY);
          expect(await tableCount(driver, table, log.tenant)).toBe(before);
        });
      }

      it('refuses changes through INSERT ... ON CONFLICT DO UPDATE', async () => {
        await expect(
          driver.query(
            `INSERT INTO checkpoints (tenant_id, size, root_hash, note) VALUES ($1, 20, $2, 'forged')
             ON CONFLICT (tenant_id, size) DO UPDATE SET note = excluded.note`,
            [log.tenant, randomBytes(32)],
          ),
        ).rejects.toThrow(APPEND_ONLY);
        expect((await store.getCheckpoint(log.tenant, 20))?.note).toBe('n');
      });
    });

    describe('least-privilege writer role', () => {
      it('exists, is granted to the connecting user, and migrations recorded no problem', async () => {
        const { rows } = await driver.query<{ member: boolean }>(
          `SELECT pg_has_role(current_user, 'audit_ledger_writer', 'MEMBER') AS member`,
        );
        expect(rows[0]?.member).toBe(true);
        const notes = await driver.query<{ note: string | null }>('SELECT note FROM schema_migrations');
        expect(notes.rows.map((row) => row.note)).toEqual(notes.rows.map(() => null));
      });

      it('can neither UPDATE nor DELETE nor TRUNCATE a ledger table, even with the triggers disabled', async () => {
        const log = await newLog(20);
        const checkpoint = { tenant: log.tenant, size: 20, rootHash: randomBytes(32), note: 'n', createdAt: new Date() };
        await store.insertCheckpoint(checkpoint);
        const partition = partitionNameOf(monthOf(new Date()));
        await driver.transaction(async (tx) => {
          // Replica mode switches ordinary triggers off; only a superuser may set it, which is the point.
          await tx.query('SET LOCAL session_replication_role = replica');
          for (const table of [...LEDGER_TABLES, partition]) {
            await tx.query('SAVEPOINT unguarded');
            const changed = await tx.query(`UPDATE ${table} SET tenant_id = tenant_id WHERE tenant_id = $1`, [log.tenant]);
            expect(changed.rowCount, `${table} is unguarded for the superuser`).toBeGreaterThan(0);
            await tx.query('ROLLBACK TO SAVEPOINT unguarded');

            for (const statement of [
              `UPDATE ${table} SET tenant_id = tenant_id WHERE tenant_id = $1`,
              `DELETE FROM ${table} WHERE tenant_id = $1`,
              `TRUNCATE ${table}`,
            ]) {
              await tx.query('SAVEPOINT as_writer');
              await tx.query('SET LOCAL ROLE audit_ledger_writer');
              const params = statement.includes('$1') ? [log.tenant] : [];
              await expect(tx.query(statement, params), statement).rejects.toThrow(PERMISSION_DENIED);
              await tx.query('ROLLBACK TO SAVEPOINT as_writer');
            }
          }
        });
        expect(await store.countEvents(log.tenant)).toBe(20);
      });

      it('is the role ledger writes run under', async () => {
        const log = await newLog(1);
        await driver.query('REVOKE SELECT ON log_heads FROM audit_ledger_writer');
        try {
          await expect(store.withLogWriter(log.tenant, async (writer) => (await writer.position([])).head)).rejects.toThrow(PERMISSION_DENIED);
        } finally {
          await driver.query('GRANT SELECT ON log_heads TO audit_ledger_writer');
        }
        expect((await store.withLogWriter(log.tenant, async (writer) => (await writer.position([])).head)).size).toBe(1);
      });
    });

    describe('partitions', () => {
      it('creates missing monthly partitions idempotently, each guarded against TRUNCATE', async () => {
        const now = new Date('2031-11-15T12:00:00Z');
        await store.ensurePartitions(now, 2);
        const names = await partitionNames(driver);
        expect(names).toEqual(expect.arrayContaining(['events_2031_11', 'events_2031_12', 'events_2032_01']));
        expect(names).not.toContain('events_2032_02');
        await store.ensurePartitions(now, 2);
        expect(await partitionNames(driver)).toEqual(names);
        await expect(driver.query('TRUNCATE events_2031_12')).rejects.toThrow(APPEND_ONLY);
        await expect(driver.query('DELETE FROM events_2032_01')).rejects.toThrow(APPEND_ONLY);
      });

      it('survives concurrent callers creating the same partitions', async () => {
        const now = new Date('2034-03-03T00:00:00Z');
        const extra = harness.multipleConnections ? await database.connectAgain() : database;
        await Promise.all([
          store.ensurePartitions(now, 3),
          extra.store.ensurePartitions(now, 3),
          store.ensurePartitions(now, 1),
          extra.store.ensurePartitions(now, 2),
        ]);
        const names = await partitionNames(driver);
        for (const name of ['events_2034_03', 'events_2034_04', 'events_2034_05', 'events_2034_06']) {
          expect(names.filter((n) => n === name)).toHaveLength(1);
        }
      });

      it('puts each event in the partition of its UTC month', async () => {
        await store.ensurePartitions(new Date('2031-11-01T00:00:00Z'), 2);
        const log = new TestLog(await newTenant());
        const edges = ['2031-11-01T00:00:00.000Z', '2031-11-30T23:59:59.999Z', '2031-12-01T00:00:00.000Z'];
        await appendBatches(log, [log.nextBatch(edges.map((at) => ({ receivedAt: new Date(at) })))]);
        const { rows } = await driver.query<{ seq: number; partition: string }>(
          'SELECT seq, tableoid::regclass::text AS partition FROM events WHERE tenant_id = $1 ORDER BY seq',
          [log.tenant],
        );
        expect(rows.map((row) => row.partition)).toEqual(['events_2031_11', 'events_2031_11', 'events_2031_12']);
      });

      it('creates a missing partition when an append needs it, and keeps the batch', async () => {
        expect(await partitionNames(driver)).not.toContain('events_2040_06');
        const log = await newLog(2);
        const batch = log.nextBatch([
          { receivedAt: new Date('2040-06-15T00:00:00Z') },
          { receivedAt: new Date('2040-06-16T00:00:00Z') },
        ]);
        await store.withLogWriter(log.tenant, (writer) => writer.append(batch));
        expect(await partitionNames(driver)).toContain('events_2040_06');
        expect(seqsOf(await store.getEntries(log.tenant, 0, 10))).toEqual([0, 1, 2, 3]);
        expectSameHead(await store.getHead(log.tenant), batch.head);
        await expect(driver.query('TRUNCATE events_2040_06')).rejects.toThrow(APPEND_ONLY);
      });

      it('merges the pending entries of the search index on request, and search still finds every event', async () => {
        const log = new TestLog(await newTenant());
        const words = (i: number): string => `invoice paid customer${i} region-${i % 7} ${randomUUID()}`;
        await appendBatches(log, [log.nextBatch(Array.from({ length: 300 }, (_, i) => ({ searchText: words(i) })))]);
        expect(await store.cleanSearchIndex(new Date())).toBeGreaterThan(0);
        expect(await store.cleanSearchIndex(new Date())).toBe(0);
        const found = await store.queryEvents(log.tenant, { limit: 10, q: 'customer123' });
        expect(seqsOf(found)).toEqual([123]);
        expect(seqsOf(await store.queryEvents(log.tenant, { limit: 500, q: 'paid' }))).toHaveLength(300);
      });

      it('creates a month again when the append that first created it was rolled back', async () => {
        const log = await newLog(1);
        const at = (day: number): { receivedAt: Date } => ({ receivedAt: new Date(`2041-03-${day}T00:00:00Z`) });
        const undone = log.nextBatch([at(10)]);
        await expect(
          store.withLogWriter(log.tenant, async (writer) => {
            await writer.append(undone);
            throw new Error('the caller gives up after the append');
          }),
        ).rejects.toThrow('gives up');
        expect(await partitionNames(driver)).not.toContain('events_2041_03');

        const retried = await newLog(1);
        const batch = retried.nextBatch([at(11), at(12)]);
        await store.withLogWriter(retried.tenant, (writer) => writer.append(batch));
        expect(await partitionNames(driver)).toContain('events_2041_03');
        expect(seqsOf(await store.getEntries(retried.tenant, 0, 10))).toEqual([0, 1, 2]);
      });
    });

    if (harness.multipleConnections) {
      describe('several connections to one database', () => {
        it('migrates once when two processes start at the same time', async () => {
          const fresh = await harness.openDatabase();
          try {
            const other = await fresh.connectAgain();
            await Promise.all([fresh.store.migrate(), other.store.migrate()]);
            const { rows } = await fresh.driver.query<{ version: number }>(
              'SELECT version FROM schema_migrations ORDER BY version',
            );
            const files = await loadMigrations();
            expect(rows.map((row) => row.version)).toEqual(files.map((f) => f.version));
          } finally {
            await fresh.dispose();
          }
        });

        it('serialises writers of one log across connections', async () => {
          const other = await database.connectAgain();
          await expectWritersSerialised([store, other.store], 8);
        });
      });
    }
  });
}
