import { readFile } from 'node:fs/promises';
import { captureTable, installOutbox } from '@audit-ledger/pg-outbox';
import type { Pool } from 'pg';

const SCHEMA = new URL('../../sql/schema.sql', import.meta.url);

/**
 * Creates the app's tables, then turns on audit capture for them. Safe to run at every start: the schema uses
 * IF NOT EXISTS, installOutbox is idempotent and captureTable replaces the table's triggers with the same ones.
 *
 * `tenantColumn` names the column holding the customer account, so every captured row lands in its own account's
 * log even when the change comes from a script that sets no audit context.
 */
export async function migrate(pool: Pool): Promise<void> {
  await pool.query(await readFile(SCHEMA, 'utf8'));
  await installOutbox(pool);
  await captureTable(pool, 'customers', { resourceType: 'customer', tenantColumn: 'account_id' });
  await captureTable(pool, 'invoices', { resourceType: 'invoice', tenantColumn: 'account_id' });
}
