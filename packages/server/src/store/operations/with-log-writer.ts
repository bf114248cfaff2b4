import type { LogWriter } from '../ledger-store.js';
import type { SqlDriver } from '../sql-driver.js';
import type { TenantScope } from '../tenant-scope.js';
import { appendBatch, type WrittenMonths } from './append-batch.js';
import { readWritePosition } from './read-write-position.js';

/**
 * One transaction that first takes the tenant's advisory lock: any other writer of the same log, in this process or
 * another one sharing the database, waits until this one commits or rolls back, so reading the head and appending
 * after it can never interleave. Different tenants (barring a hashtext collision, which only costs waiting) proceed in
 * parallel. The same first statement scopes the transaction to the tenant as the writer role (see tenant-scope.ts),
 * so row-level security confines every read and insert of the writer to this tenant's log.
 */
export async function withLogWriter<T>(
  driver: SqlDriver,
  scope: TenantScope,
  tenant: string,
  fn: (writer: LogWriter) => Promise<T>,
  writtenMonths: WrittenMonths,
): Promise<T> {
  const monthsOnCommit: string[] = [];
  const result = await driver.transaction(async (tx) => {
    const asWriterRole = await scope.enterWriter(tx, tenant, { lockLog: true });
    let open = true;
    const guard = (): void => {
      // A writer kept past its transaction would write outside the lock.
      if (!open) throw new Error(`the log writer of ${tenant} was used after its transaction ended`);
    };
    const writer: LogWriter = {
      async position(ids) {
        guard();
        return readWritePosition(tx, tenant, ids);
      },
      async append(batch) {
        guard();
        const months = await appendBatch(tx, tenant, batch, {
          role: asWriterRole ? scope.writerRole : null,
          writtenMonths,
        });
        monthsOnCommit.push(...months);
      },
    };
    try {
      return await fn(writer);
    } finally {
      open = false;
    }
  });
  for (const month of monthsOnCommit) writtenMonths.add(month);
  return result;
}
