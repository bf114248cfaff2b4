import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import type { LedgerStore } from '../../src/store/ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';
import { createPostgresDriver } from '../../src/store/postgres-driver.js';
import type { SqlDriver } from '../../src/store/sql-driver.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/**
 * Data keys are inserted without waiting for the disk (see createDataKeys): what must hold is that the setting ends
 * with that insert, so the connection's next transaction, an append among them, waits for its commit again.
 */
const stores: Array<{ kind: string; open(): Promise<{ driver: SqlDriver; close(): Promise<void> }> }> = [
  {
    kind: 'pglite',
    async open() {
      const driver = createPgliteDriver(undefined);
      return { driver, close: () => driver.close() };
    },
  },
  {
    kind: 'postgres',
    async open() {
      const database: TestDatabase = await createTestDatabase('al_data_keys');
      // One connection, so the statements below run on the very connection that inserted the keys.
      const driver = createPostgresDriver(database.url, { max: 1 });
      return {
        driver,
        async close() {
          await driver.close();
          await database.drop();
        },
      };
    },
  },
];

for (const { kind, open } of stores) {
  describe(`data keys on ${kind}`, () => {
    let opened: { driver: SqlDriver; close(): Promise<void> };
    let store: LedgerStore;

    beforeAll(async () => {
      opened = await open();
      store = createLedgerStore(opened.driver);
      await store.migrate();
      await store.createTenant({ id: 'acme', name: 'Acme', logOrigin: 'example.test/t/acme', createdAt: new Date() });
    });

    afterAll(async () => {
      await opened.close();
    });

    it('creates each subject key once, and leaves synchronous commit on for whatever the connection runs next', async () => {
      const key = (subject: string) => ({
        keyId: randomBytes(12).toString('base64url'),
        tenant: 'acme',
        subject,
        wrappedKey: randomBytes(60),
        wrappingKeyId: 'master-1',
        createdAt: new Date(),
      });
      const created = await store.privacy.createDataKeys('acme', [key('ada'), key('grace')]);
      expect(created.map((record) => record.subject).sort()).toEqual(['ada', 'grace']);
      // A second writer's key for a subject that has one loses: the first stays.
      const again = await store.privacy.createDataKeys('acme', [key('ada')]);
      expect(again.map((record) => record.keyId)).toEqual(created.filter((record) => record.subject === 'ada').map((r) => r.keyId));

      const { rows } = await opened.driver.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      expect(rows[0]?.synchronous_commit).toBe('on');
      const inTransaction = await opened.driver.transaction((tx) => tx.query<{ synchronous_commit: string }>('SHOW synchronous_commit'));
      expect(inTransaction.rows[0]?.synchronous_commit).toBe('on');
    });
  });
}
