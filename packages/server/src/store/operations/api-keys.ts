import type { ApiKeyRecord, ApiKeyRotation } from '../ledger-store.js';
import type { SqlDriver, SqlExecutor } from '../sql-driver.js';
import { API_KEY_COLUMNS, toApiKey, type ApiKeyRow } from './rows.js';

// tenant_id is null for platform keys; `IS NOT DISTINCT FROM` lets one parameter select either kind.

export async function insertApiKey(db: SqlExecutor, key: ApiKeyRecord): Promise<void> {
  await db.query(
    `INSERT INTO api_keys (${API_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      key.id,
      key.tenantId,
      key.name,
      key.scopes,
      key.secretHash,
      key.createdAt,
      key.expiresAt,
      key.revokedAt,
      key.lastUsedAt,
      key.rateLimit ?? null,
      key.replacedBy ?? null,
    ],
  );
}

export async function getApiKey(db: SqlExecutor, id: string): Promise<ApiKeyRecord | null> {
  const { rows } = await db.query<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  const row = rows[0];
  return row === undefined ? null : toApiKey(row);
}

export async function listApiKeys(db: SqlExecutor, tenantId: string | null): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE tenant_id IS NOT DISTINCT FROM $1::text ORDER BY created_at, id`,
    [tenantId],
  );
  return rows.map(toApiKey);
}

export async function revokeApiKey(db: SqlExecutor, tenantId: string | null, id: string, at: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE api_keys SET revoked_at = $3
      WHERE id = $2 AND tenant_id IS NOT DISTINCT FROM $1::text AND revoked_at IS NULL`,
    [tenantId, id, at],
  );
  return rowCount > 0;
}

/** Never moves last_used_at backwards when several requests with the same key finish out of order. */
export async function touchApiKey(db: SqlExecutor, id: string, at: Date): Promise<void> {
  await db.query(
    'UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)',
    [id, at],
  );
}

/**
 * The old key's row is locked (FOR UPDATE) before it is judged, so of two rotations of one key at the same moment
 * exactly one issues a replacement; the other finds it already rotated.
 */
export async function rotateApiKey(
  driver: SqlDriver,
  tenantId: string | null,
  id: string,
  replacement: ApiKeyRecord,
  oldKeyUntil: Date,
  at: Date,
): Promise<ApiKeyRotation> {
  return driver.transaction(async (tx) => {
    const { rows } = await tx.query<ApiKeyRow>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = $2 AND tenant_id IS NOT DISTINCT FROM $1::text FOR UPDATE`,
      [tenantId, id],
    );
    const row = rows[0];
    if (row === undefined) return { outcome: 'not-found' };
    const old = toApiKey(row);
    if (old.revokedAt !== null) return { outcome: 'revoked', old };
    if (old.replacedBy !== undefined) return { outcome: 'already-rotated', old };
    if (old.expiresAt !== null && old.expiresAt.getTime() <= at.getTime()) return { outcome: 'expired', old };
    await insertApiKey(tx, replacement);
    const until = old.expiresAt !== null && old.expiresAt.getTime() < oldKeyUntil.getTime() ? old.expiresAt : oldKeyUntil;
    await tx.query('UPDATE api_keys SET replaced_by = $2, expires_at = $3 WHERE id = $1', [id, replacement.id, until]);
    return { outcome: 'rotated', old: { ...old, expiresAt: until, replacedBy: replacement.id } };
  });
}
