import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';
import { ledgerStoreContract } from './ledger-store.contract.js';
import { hex, TestLog } from './test-log.js';

ledgerStoreContract({
  kind: 'pglite',
  multipleConnections: false,
  async openDatabase() {
    const driver = createPgliteDriver(undefined);
    return {
      driver,
      store: createLedgerStore(driver),
      connectAgain() {
        return Promise.reject(new Error('an in-memory PGlite database has a single connection'));
      },
      dispose: () => driver.close(),
    };
  },
});

describe('LedgerStore on PGlite with a data directory', () => {
  it('keeps the log across a restart and creates the directory it is given', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'al-pglite-'));
    const dataDir = join(parent, 'nested', 'data');
    try {
      const log = new TestLog('acme');
      const first = createLedgerStore(createPgliteDriver(dataDir));
      await first.migrate();
      await first.createTenant({ id: 'acme', name: 'Acme', logOrigin: 'example.test/t/acme', createdAt: new Date() });
      const batch = log.nextBatch(5);
      await first.withLogWriter('acme', (writer) => writer.append(batch));
      await first.close();

      const second = createLedgerStore(createPgliteDriver(dataDir));
      await second.migrate();
      const head = await second.getHead('acme');
      expect(head.size).toBe(5);
      expect(hex(head.chainHash)).toBe(hex(batch.head.chainHash));
      expect((await second.getEntries('acme', 0, 5)).map((e) => e.leaf)).toEqual(log.events.map((e) => e.leaf));
      await second.close();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
