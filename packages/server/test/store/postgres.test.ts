import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { ensurePartitions } from '../../src/store/partitions.js';
import { createPostgresDriver } from '../../src/store/postgres-driver.js';
import type { SqlDriver } from '../../src/store/sql-driver.js';
import { createTestDatabase, withOwnerOnlyDatabase } from '../support/postgres.js';
import { ledgerStoreContract } from './ledger-store.contract.js';
import { TestLog } from './test-log.js';

ledgerStoreContract({
  kind: 'postgres',
  multipleConnections: true,
  async openDatabase() {
    const database = await createTestDatabase('al_store');
    const drivers: SqlDriver[] = [];
    const connect = () => {
      const driver = createPostgresDriver(database.url);
      drivers.push(driver);
      return { driver, store: createLedgerStore(driver) };
    };
    return {
      ...connect(),
      connectAgain: async () => connect(),
      async dispose() {
        await Promise.all(drivers.map((driver) => driver.close()));
        await database.drop();
      },
    };
  },
});

describe('LedgerStore on postgres, connected as a database owner without role privileges', () => {
  it('migrates without the writer role, records why, and still appends under the triggers', async () => {
    await withOwnerOnlyDatabase('al_store_owner', async (driver) => {
      const store = createLedgerStore(driver);
      await store.migrate();

      const { rows } = await driver.query<{ name: string; note: string | null }>(
        'SELECT name, note FROM schema_migrations ORDER BY version',
      );
      expect(rows.find((row) => row.name === '002_ledger_writer_role.sql')?.note).toMatch(
        /audit_ledger_writer not (created|granted)/,
      );

      const tenant = 'acme';
      await store.createTenant({ id: tenant, name: 'Acme', logOrigin: 'example.test/t/acme', createdAt: new Date() });
      const log = new TestLog(tenant);
      await store.withLogWriter(tenant, (writer) => writer.append(log.nextBatch(3)));
      expect((await store.getHead(tenant)).size).toBe(3);
      await expect(driver.query('DELETE FROM events')).rejects.toThrow(/audit ledger tables are append-only/);
    });
  });
});

describe('LedgerStore on postgres: how events are compressed', () => {
  it('stores leaf and search with lz4 in the partitioned table, in partitions made before the change and after it', async () => {
    const database = await createTestDatabase('al_store_lz4');
    const driver = createPostgresDriver(database.url);
    const before = await mkdtemp(path.join(tmpdir(), 'al-migrations-'));
    try {
      // A database last migrated before the change, with partitions of its own.
      for (const migration of await loadMigrations()) {
        if (migration.version < 7) await writeFile(path.join(before, migration.name), migration.sql);
      }
      await migrate(driver, before);
      const now = new Date();
      await ensurePartitions(driver, now, 1);
      const store = createLedgerStore(driver);
      await store.migrate();
      await ensurePartitions(driver, now, 3);
      const log = new TestLog('acme');
      await store.createTenant({ id: 'acme', name: 'Acme', logOrigin: 'example.test/t/acme', createdAt: now });
      await store.withLogWriter('acme', (writer) => writer.append(log.nextBatch(5)));

      const { rows } = await driver.query<{ relation: string; column: string; method: string }>(
        `SELECT c.relname AS relation, a.attname AS column, a.attcompression::text AS method
           FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
          WHERE (c.oid = 'events'::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass))
            AND a.attname IN ('leaf', 'search')
          ORDER BY 1, 2`,
      );
      // The parent and four monthly partitions: two from before the change, two from after.
      expect(new Set(rows.map((row) => row.relation)).size).toBe(5);
      expect(rows.filter((row) => row.method !== 'l')).toEqual([]);
      expect((await store.getHead('acme')).size).toBe(5);
    } finally {
      await driver.close();
      await rm(before, { recursive: true, force: true });
      await database.drop();
    }
  });
});
