import { equalBytes } from '@audit-ledger/core';
import type { CheckpointRecord } from '../ledger-store.js';
import type { SqlDriver, SqlExecutor } from '../sql-driver.js';
import type { TenantScope } from '../tenant-scope.js';
import { CHECKPOINT_COLUMNS, toCheckpoint, type CheckpointRow } from './rows.js';

/**
 * Several service processes may sign the same size at once; their notes commit to the same tree, so the first one
 * stored stands and the others are dropped. A different root for a size already checkpointed would be a fork of the
 * log and is refused loudly.
 */
export async function insertCheckpoint(
  driver: SqlDriver,
  scope: TenantScope,
  checkpoint: CheckpointRecord,
): Promise<void> {
  await driver.transaction(async (tx) => {
    await scope.enterWriter(tx, checkpoint.tenant);
    const inserted = await tx.query(
      `INSERT INTO checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, size) DO NOTHING`,
      [checkpoint.tenant, checkpoint.size, checkpoint.rootHash, checkpoint.note, checkpoint.createdAt],
    );
    if (inserted.rowCount === 1) return;
    const existing = await getCheckpoint(tx, checkpoint.tenant, checkpoint.size);
    if (existing !== null && !equalBytes(existing.rootHash, checkpoint.rootHash)) {
      throw new Error(`a checkpoint of ${checkpoint.tenant} at size ${checkpoint.size} with another root exists`);
    }
  });
}

export async function latestCheckpoint(db: SqlExecutor, tenant: string): Promise<CheckpointRecord | null> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE tenant_id = $1 ORDER BY size DESC LIMIT 1`,
    [tenant],
  );
  const row = rows[0];
  return row === undefined ? null : toCheckpoint(row);
}

export async function getCheckpoint(db: SqlExecutor, tenant: string, size: number): Promise<CheckpointRecord | null> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE tenant_id = $1 AND size = $2`,
    [tenant, size],
  );
  const row = rows[0];
  return row === undefined ? null : toCheckpoint(row);
}

export async function listCheckpoints(db: SqlExecutor, tenant: string): Promise<CheckpointRecord[]> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE tenant_id = $1 ORDER BY size`,
    [tenant],
  );
  return rows.map(toCheckpoint);
}

/**
 * Runs as the connecting user, across tenants (it is how the checkpointer finds the logs to sign), which is why it
 * returns tenant ids only. Two backward index probes per tenant (newest head, newest checkpoint), each reading one entry of a primary key.
 * Every log has a tenants row (log_heads references it), so starting from tenants misses none.
 */
export async function tenantsNeedingCheckpoint(db: SqlExecutor): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`
    SELECT t.id
      FROM tenants t
      CROSS JOIN LATERAL (
        SELECT h.size FROM log_heads h WHERE h.tenant_id = t.id ORDER BY h.size DESC LIMIT 1
      ) head
      LEFT JOIN LATERAL (
        SELECT c.size FROM checkpoints c WHERE c.tenant_id = t.id ORDER BY c.size DESC LIMIT 1
      ) checkpoint ON true
     WHERE checkpoint.size IS NULL OR head.size > checkpoint.size
     ORDER BY t.id`);
  return rows.map((row) => row.id);
}
