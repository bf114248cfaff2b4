import { describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
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
