import { ADVISORY_LOCK } from '../advisory-locks.js';
import type { SqlDriver, SqlExecutor } from '../sql-driver.js';
import { activeHoldCovering } from './legal-holds.js';
import type { DataKeyRecord, ErasureOutcome, NewDataKey } from './privacy-records.js';

interface DataKeyRow {
  key_id: string;
  tenant_id: string;
  subject_id: string;
  wrapped_key: Uint8Array | null;
  wrapping_key_id: string | null;
  created_at: Date;
  destroyed_at: Date | null;
}

const DATA_KEY_COLUMNS = 'key_id, tenant_id, subject_id, wrapped_key, wrapping_key_id, created_at, destroyed_at';

function toDataKey(row: DataKeyRow): DataKeyRecord {
  return {
    keyId: row.key_id,
    tenant: row.tenant_id,
    subject: row.subject_id,
    wrappedKey: row.wrapped_key,
    wrappingKeyId: row.wrapping_key_id,
    createdAt: row.created_at,
    destroyedAt: row.destroyed_at,
  };
}

export async function activeDataKeys(
  db: SqlExecutor,
  tenant: string,
  subjects: readonly string[],
): Promise<DataKeyRecord[]> {
  if (subjects.length === 0) return [];
  const { rows } = await db.query<DataKeyRow>(
    `SELECT ${DATA_KEY_COLUMNS} FROM data_keys
      WHERE tenant_id = $1 AND subject_id = ANY($2::text[]) AND destroyed_at IS NULL`,
    [tenant, subjects],
  );
  return rows.map(toDataKey);
}

/**
 * First writer wins, across processes: the partial unique index on active keys makes a concurrent insert for the same
 * subject wait and then do nothing, and the read that follows sees whichever key won.
 */
export async function createDataKeys(
  db: SqlExecutor,
  tenant: string,
  keys: readonly NewDataKey[],
): Promise<DataKeyRecord[]> {
  if (keys.some((key) => key.tenant !== tenant)) throw new RangeError('data keys of one call belong to one tenant');
  // Inserted in subject order: two writers inserting overlapping subjects then wait for each other in the same order
  // instead of deadlocking on the unique index.
  const ordered = [...keys].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
  // Committed without waiting for the WAL to reach disk (synchronous_commit off for this statement's own
  // transaction), which spares the first event of every new subject a second disk flush before its answer. Nothing is
  // put at risk: a key is only ever used by an event committed after it, and that commit, which does wait, flushes the
  // WAL up to its own record and so the key's insert before it. A crash before that loses only a key no event uses.
  await db.query(
    `WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true))
     INSERT INTO data_keys (key_id, tenant_id, subject_id, wrapped_key, wrapping_key_id, created_at)
     SELECT key_id, $1, subject_id, wrapped_key, wrapping_key_id, created_at
       FROM unflushed,
            unnest($2::text[], $3::text[], $4::bytea[], $5::text[], $6::timestamptz[])
              AS batch(key_id, subject_id, wrapped_key, wrapping_key_id, created_at)
     ON CONFLICT (tenant_id, subject_id) WHERE destroyed_at IS NULL DO NOTHING`,
    [
      tenant,
      ordered.map((key) => key.keyId),
      ordered.map((key) => key.subject),
      ordered.map((key) => key.wrappedKey),
      ordered.map((key) => key.wrappingKeyId),
      ordered.map((key) => key.createdAt),
    ],
  );
  return activeDataKeys(db, tenant, keys.map((key) => key.subject));
}

export async function dataKeysById(
  db: SqlExecutor,
  tenant: string,
  keyIds: readonly string[],
): Promise<DataKeyRecord[]> {
  if (keyIds.length === 0) return [];
  const { rows } = await db.query<DataKeyRow>(
    `SELECT ${DATA_KEY_COLUMNS} FROM data_keys WHERE tenant_id = $1 AND key_id = ANY($2::text[])`,
    [tenant, keyIds],
  );
  return rows.map(toDataKey);
}

/** Checks the holds and destroys the keys in one transaction under the tenant's privacy lock. */
export async function eraseSubject(driver: SqlDriver, tenant: string, subject: string, at: Date): Promise<ErasureOutcome> {
  return driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADVISORY_LOCK.TENANT_PRIVACY, tenant]);
    const hold = await activeHoldCovering(tx, tenant, subject);
    if (hold !== null) return { ok: false, hold };
    const { rows } = await tx.query<{ key_id: string }>(
      `UPDATE data_keys SET wrapped_key = NULL, wrapping_key_id = NULL, destroyed_at = $3
        WHERE tenant_id = $1 AND subject_id = $2 AND destroyed_at IS NULL
        RETURNING key_id`,
      [tenant, subject, at],
    );
    return { ok: true, destroyedKeyIds: rows.map((row) => row.key_id).sort() };
  });
}

export async function keysToRewrap(db: SqlExecutor, currentId: string, limit: number): Promise<DataKeyRecord[]> {
  const { rows } = await db.query<DataKeyRow>(
    `SELECT ${DATA_KEY_COLUMNS} FROM data_keys
      WHERE destroyed_at IS NULL AND wrapping_key_id <> $1 ORDER BY key_id LIMIT $2`,
    [currentId, limit],
  );
  return rows.map(toDataKey);
}

export async function rewrapDataKey(
  db: SqlExecutor,
  keyId: string,
  fromId: string,
  wrappedKey: Uint8Array,
  toId: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE data_keys SET wrapped_key = $3, wrapping_key_id = $4
      WHERE key_id = $1 AND wrapping_key_id = $2 AND destroyed_at IS NULL`,
    [keyId, fromId, wrappedKey, toId],
  );
  return rowCount === 1;
}

export async function registerMasterKey(db: SqlExecutor, id: string): Promise<string[]> {
  await db.query('INSERT INTO master_key_ids (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [id]);
  const { rows } = await db.query<{ id: string }>('SELECT id FROM master_key_ids ORDER BY registered_at, id');
  return rows.map((row) => row.id);
}

export async function unregisterMasterKey(db: SqlExecutor, id: string): Promise<void> {
  await db.query(
    `DELETE FROM master_key_ids m
      WHERE m.id = $1
        AND NOT EXISTS (SELECT 1 FROM data_keys d WHERE d.wrapping_key_id = m.id AND d.destroyed_at IS NULL)`,
    [id],
  );
}

export async function forgetUnusedMasterKeys(db: SqlExecutor, currentId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `DELETE FROM master_key_ids m
      WHERE m.id <> $1
        AND NOT EXISTS (SELECT 1 FROM data_keys d WHERE d.wrapping_key_id = m.id AND d.destroyed_at IS NULL)
      RETURNING m.id`,
    [currentId],
  );
  return rows.map((row) => row.id).sort();
}
