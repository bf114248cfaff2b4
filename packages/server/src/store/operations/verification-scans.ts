import type { LogHead, MerkleNode, StoredEventColumns } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import {
  EVENT_COLUMNS,
  LOG_HEAD_COLUMNS,
  toLogHead,
  toMerkleNode,
  toStoredEventColumns,
  type EventColumnsRow,
  type LogHeadRow,
  type MerkleNodeRow,
} from './rows.js';

// Raw reads for verification, which trusts none of what it reads: each returns rows exactly as stored, in a stable
// order, without the consistency checks the write path relies on.

export async function scanEvents(
  db: SqlExecutor,
  tenant: string,
  start: number,
  end: number,
): Promise<StoredEventColumns[]> {
  const { rows } = await db.query<EventColumnsRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq, received_at`,
    [tenant, start, end],
  );
  return rows.map(toStoredEventColumns);
}

/** Level 0 is answered from events.leaf_hash, so a verifier can read every level of the tree the same way. */
export async function scanNodes(
  db: SqlExecutor,
  tenant: string,
  level: number,
  start: number,
  end: number,
): Promise<MerkleNode[]> {
  const { rows } =
    level === 0
      ? await db.query<MerkleNodeRow>(
          `SELECT 0 AS level, seq AS idx, leaf_hash AS hash FROM events
            WHERE tenant_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq, received_at`,
          [tenant, start, end],
        )
      : await db.query<MerkleNodeRow>(
          `SELECT level, idx, hash FROM merkle_nodes
            WHERE tenant_id = $1 AND level = $2 AND idx >= $3 AND idx < $4 ORDER BY idx`,
          [tenant, level, start, end],
        );
  return rows.map(toMerkleNode);
}

export async function countEvents(db: SqlExecutor, tenant: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*) AS count FROM events WHERE tenant_id = $1', [
    tenant,
  ]);
  return rows[0]?.count ?? 0;
}

/** Every head row, oldest (smallest size) first, so the last element is the current head. */
export async function listHeads(db: SqlExecutor, tenant: string): Promise<LogHead[]> {
  const { rows } = await db.query<LogHeadRow>(
    `SELECT ${LOG_HEAD_COLUMNS} FROM log_heads WHERE tenant_id = $1 ORDER BY size`,
    [tenant],
  );
  return rows.map(toLogHead);
}
