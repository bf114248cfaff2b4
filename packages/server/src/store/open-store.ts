import { createLedgerStore } from './create-ledger-store.js';
import type { LedgerStore } from './ledger-store.js';
import { createPgliteDriver } from './pglite-driver.js';
import { createPostgresDriver } from './postgres-driver.js';

/** A postgres:// URL selects a PostgreSQL server; otherwise the embedded store lives in dataDir (in memory if none). */
export async function openStore(target: string | { dataDir?: string }): Promise<LedgerStore> {
  if (typeof target === 'string') return createLedgerStore(await createPostgresDriver(target));
  return createLedgerStore(await createPgliteDriver(target.dataDir));
}
