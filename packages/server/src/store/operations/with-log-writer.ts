import { ADVISORY_LOCK } from '../advisory-locks.js';
import type { LogWriter } from '../ledger-store.js';
import type { SqlDriver } from '../sql-driver.js';
import type { WriterRole } from '../writer-role.js';
import { appendBatch } from './append-batch.js';
import { findExisting } from './find-existing.js';
import { readHead } from './read-head.js';

/**
 * One transaction that first takes the tenant's advisory lock: any other writer of the same log, in this process or
 * another one sharing the database, waits until this one commits or rolls back, so reading the head and appending
 * after it can never interleave. Different tenants (barring a hashtext collision, which only costs waiting) proceed in
 * parallel.
 */
export async function withLogWriter<T>(
  driver: SqlDriver,
  role: WriterRole,
  tenant: string,
  fn: (writer: LogWriter) => Promise<T>,
): Promise<T> {
  return driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADVISORY_LOCK.TENANT_LOG, tenant]);
    const asWriterRole = await role.assume(tx);
    let open = true;
    const guard = (): void => {
      // A writer kept past its transaction would write outside the lock.
      if (!open) throw new Error(`the log writer of ${tenant} was used after its transaction ended`);
    };
    const writer: LogWriter = {
      async head() {
        guard();
        return readHead(tx, tenant);
      },
      async findExisting(ids) {
        guard();
        return findExisting(tx, tenant, ids);
      },
      async append(batch) {
        guard();
        await appendBatch(tx, tenant, batch, asWriterRole ? role : null);
      },
    };
    try {
      return await fn(writer);
    } finally {
      open = false;
    }
  });
}
