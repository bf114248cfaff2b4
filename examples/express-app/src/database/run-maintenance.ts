import { withAuditTransaction } from '@audit-ledger/pg-outbox';
import type pg from 'pg';

export interface MaintenanceRun {
  /** Who runs it, e.g. `ops:ada`. */
  actor: string;
  /** Why: a ticket, an incident; it is recorded on every change the script makes. */
  reason: string;
}

/**
 * Runs a raw SQL script against the app's database in one transaction. There is no app code in between: the
 * capture triggers still record every row the script changes. Setting the audit context first only adds who did it
 * and why; without it (plain `psql`) the changes are recorded too, as the database role `postgres:<role>`.
 */
export async function runMaintenance(pool: pg.Pool, sql: string, run: MaintenanceRun): Promise<void> {
  await withAuditTransaction(
    pool,
    { actor: { id: run.actor, type: 'user' }, reason: run.reason, businessProcess: 'maintenance', authMethod: 'database' },
    async (client) => {
      await client.query(sql);
    },
  );
}
