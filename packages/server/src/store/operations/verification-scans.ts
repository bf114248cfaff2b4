import { EntryRows } from '../entry-rows.js';
import type { EntryColumns, LogHead, MerkleNode, StoredEventColumns } from '../ledger-store.js';
import { copyParam, type SqlExecutor } from '../sql-driver.js';
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

// Aliased to the record's names so each row comes back from the driver already in its final shape: no second object
// per row. extract(epoch ...) is numeric, so the floor to milliseconds is exact before the (exact) cast to float8.
const ENTRY_COLUMNS =
  'seq, id, ' +
  'floor(extract(epoch FROM received_at) * 1000)::float8 AS "receivedAtMs", ' +
  'floor(extract(epoch FROM occurred_at) * 1000)::float8 AS "occurredAtMs", ' +
  'action, actor_id AS "actorId", resource_type AS "resourceType", resource_id AS "resourceId", outcome, ' +
  'subject_id AS "subjectId", ' +
  'leaf, leaf_hash AS "leafHash", chain_hash AS "chainHash"';

export async function scanEntryColumns(
  db: SqlExecutor,
  tenant: string,
  start: number,
  end: number,
): Promise<EntryColumns[]> {
  const { rows } = await db.query<EntryColumns>(
    `SELECT ${ENTRY_COLUMNS} FROM events WHERE tenant_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq, received_at`,
    [tenant, start, end],
  );
  return rows;
}

// The same columns in EntryField order, typed as EntryRows reads them from binary COPY: id as its text, which is what
// the sealed event holds, rather than uuid's 16 bytes.
const ENTRY_ROW_COLUMNS =
  'seq::int8, id::text, ' +
  'floor(extract(epoch FROM received_at) * 1000)::float8, floor(extract(epoch FROM occurred_at) * 1000)::float8, ' +
  'action::text, actor_id::text, resource_type::text, resource_id::text, outcome::text, subject_id::text, ' +
  'leaf::text, leaf_hash::bytea, chain_hash::bytea';

/**
 * What scanEntryColumns reads, as the bytes the server sends: over binary COPY where the driver offers it, which spares
 * a string per field and hex-decoding the hashes. COPY takes no bind parameters; tenant and bounds go in as settings.
 */
export async function scanEntryRows(db: SqlExecutor, tenant: string, start: number, end: number): Promise<EntryRows> {
  if (db.copyOutBinary === undefined) return EntryRows.fromColumns(await scanEntryColumns(db, tenant, start, end));
  const output = await db.copyOutBinary(
    `SELECT ${ENTRY_ROW_COLUMNS} FROM events WHERE tenant_id = ${copyParam(1)} ` +
      `AND seq >= ${copyParam(2)}::int8 AND seq < ${copyParam(3)}::int8 ORDER BY seq, received_at`,
    [tenant, String(start), String(end)],
  );
  return EntryRows.fromBinaryCopy(output);
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

/** Rows of the tenant with seq outside [start, end): an index range scan that reads only those rows. */
export async function countEventsOutside(db: SqlExecutor, tenant: string, start: number, end: number): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    'SELECT count(*) AS count FROM events WHERE tenant_id = $1 AND (seq < $2 OR seq >= $3)',
    [tenant, start, end],
  );
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
