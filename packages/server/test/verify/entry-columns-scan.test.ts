import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import type { EntryColumns, LedgerStore } from '../../src/store/ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';
import { createPostgresDriver } from '../../src/store/postgres-driver.js';
import type { SqlDriver } from '../../src/store/sql-driver.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { hex, TestLog } from '../store/test-log.js';

const TENANT = 'acme';

interface Harness {
  driver: SqlDriver;
  store: LedgerStore;
  dispose(): Promise<void>;
}

const harnesses: Array<[string, () => Promise<Harness>]> = [
  [
    'pglite',
    async () => {
      const driver = createPgliteDriver(undefined);
      return { driver, store: createLedgerStore(driver), dispose: () => driver.close() };
    },
  ],
  [
    'postgres',
    async () => {
      const database: TestDatabase = await createTestDatabase('al_verify_scan');
      const driver = createPostgresDriver(database.url);
      return {
        driver,
        store: createLedgerStore(driver),
        async dispose() {
          await driver.close();
          await database.drop();
        },
      };
    },
  ],
];

/** Runs statements as an attacker with database access would: with the append-only triggers switched off. */
async function tamper(driver: SqlDriver, statements: readonly string[]): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.exec('SET LOCAL session_replication_role = replica');
    for (const statement of statements) await tx.exec(statement);
  });
}

describe.each(harnesses)('the verification scans on %s', (_kind, open) => {
  let harness: Harness;
  const log = new TestLog(TENANT);
  // Received in one month, the partition every later change of received_at below stays in.
  const receivedAt = new Date(Date.UTC(2026, 10, 10, 12, 0, 0, 250));

  beforeAll(async () => {
    harness = await open();
    await harness.store.migrate();
    await harness.store.ensurePartitions(receivedAt, 0);
    await harness.store.createTenant({ id: TENANT, name: 'Acme', logOrigin: 'example.test/t/acme', createdAt: new Date() });
    for (const size of [25, 15]) {
      const shapes = Array.from({ length: size }, (_, i) => ({
        receivedAt,
        occurredAt: new Date(receivedAt.getTime() - 1000 * i - 7),
        actorId: `user-${i}`,
        // Some name a data subject, whose column copy verification compares too; the rest leave it null.
        subjectId: i % 3 === 0 ? `subject-${i}` : null,
      }));
      const batch = log.nextBatch(shapes);
      await harness.store.withLogWriter(TENANT, (writer) => writer.append(batch));
    }
  });

  afterAll(async () => {
    await harness?.dispose();
  });

  it('reads what scanEvents reads, with the timestamps as whole epoch milliseconds', async () => {
    const scanned = await harness.store.scanEntryColumns(TENANT, 5, 30);
    const every = await harness.store.scanEvents(TENANT, 5, 30);
    expect(scanned.map((entry) => entry.seq)).toEqual(every.map((event) => event.seq));
    scanned.forEach((entry, i) => {
      const event = every[i] ?? expect.unreachable();
      const written = log.events[entry.seq] ?? expect.unreachable();
      expect({ ...entry, leafHash: hex(entry.leafHash), chainHash: hex(entry.chainHash) }).toEqual({
        seq: event.seq,
        id: event.id,
        receivedAtMs: event.receivedAt.getTime(),
        occurredAtMs: event.occurredAt.getTime(),
        action: event.action,
        actorId: event.actorId,
        resourceType: event.resourceType,
        resourceId: event.resourceId,
        outcome: event.outcome,
        subjectId: event.subjectId,
        leaf: written.leaf,
        leafHash: hex(written.leafHash),
        chainHash: hex(written.chainHash),
      });
      expect(entry.occurredAtMs).toBe(written.occurredAt.getTime());
      expect(entry.subjectId).toBe(written.subjectId);
    });
    // The range holds both kinds, so both a stored subject and a stored null were read back.
    expect(new Set(scanned.map((entry) => entry.subjectId === null))).toEqual(new Set([true, false]));
  });

  it('reads the same rows as bytes (binary COPY on PostgreSQL) as scanEntryColumns reads as values', async () => {
    const plain = (entry: EntryColumns) => ({
      ...entry,
      leafHash: hex(entry.leafHash),
      chainHash: hex(entry.chainHash),
    });
    const rows = await harness.store.scanEntryRows(TENANT, 3, 33);
    expect(rows.count).toBe(30);
    expect(rows.entries().map(plain)).toEqual((await harness.store.scanEntryColumns(TENANT, 3, 33)).map(plain));
    // COPY takes the tenant as a literal: quotes and backslashes in it stay data.
    expect((await harness.store.scanEntryRows(`${TENANT}' OR ''='`, 0, 100)).count).toBe(0);
    expect((await harness.store.scanEntryRows(`${TENANT}\\' OR true --`, 0, 100)).count).toBe(0);
  });

  it('rounds instants between milliseconds down, also before 1970', async () => {
    await tamper(harness.driver, [
      `UPDATE events SET received_at = received_at + interval '0.9 milliseconds' WHERE tenant_id = '${TENANT}' AND seq = 2`,
      `UPDATE events SET occurred_at = '1969-12-31 23:59:59.9995+00' WHERE tenant_id = '${TENANT}' AND seq = 3`,
      `UPDATE events SET occurred_at = '1900-01-01 00:00:00.0001+00' WHERE tenant_id = '${TENANT}' AND seq = 4`,
    ]);
    const [second, third, fourth] = await harness.store.scanEntryColumns(TENANT, 2, 5);
    expect(second?.receivedAtMs).toBe(receivedAt.getTime());
    expect(third?.occurredAtMs).toBe(-1);
    expect(fourth?.occurredAtMs).toBe(Date.UTC(1900, 0, 1));
  });

  it('counts only the rows outside a seq range', async () => {
    expect(await harness.store.countEventsOutside(TENANT, 0, log.size)).toBe(0);
    expect(await harness.store.countEventsOutside(TENANT, 10, 30)).toBe(log.size - 20);
    await tamper(harness.driver, [
      `INSERT INTO events (tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
         outcome, leaf, leaf_hash, chain_hash, request_hash, search)
       SELECT tenant_id, 1000, gen_random_uuid(), received_at, occurred_at, action, actor_id, resource_type,
         resource_id, outcome, leaf, leaf_hash, chain_hash, request_hash, search
       FROM events WHERE tenant_id = '${TENANT}' AND seq = 0`,
    ]);
    expect(await harness.store.countEventsOutside(TENANT, 0, log.size)).toBe(1);
    expect(await harness.store.countEventsOutside(TENANT, 0, 1001)).toBe(0);
    expect(await harness.store.countEvents(TENANT)).toBe(log.size + 1);
  });
});
