import type {
  BeginRotationResult,
  CompleteRotationResult,
  NewSigningKey,
  SigningKeyRecord,
  SigningKeyState,
} from '../ledger-store.js';
import type { SqlDriver, SqlExecutor } from '../sql-driver.js';

// Every change to the key ring runs in one transaction that first locks the table against other writers (readers are
// not blocked), so two processes rotating at once, or starting for the first time together, see each other's result.

const COLUMNS = 'id, public_key, private_key, state, created_at, activated_at, retired_at';

interface SigningKeyRow {
  id: string;
  public_key: Uint8Array;
  private_key: string | null;
  state: SigningKeyState;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
}

function toSigningKey(row: SigningKeyRow): SigningKeyRecord {
  return {
    id: row.id,
    publicKey: row.public_key,
    privateKey: row.private_key,
    state: row.state,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
  };
}

async function lockRing(tx: SqlExecutor): Promise<SigningKeyRecord[]> {
  await tx.query('LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE');
  return listSigningKeys(tx);
}

/** Current first, then next, then retired keys, most recently retired first. */
export async function listSigningKeys(db: SqlExecutor): Promise<SigningKeyRecord[]> {
  const { rows } = await db.query<SigningKeyRow>(
    `SELECT ${COLUMNS} FROM signing_keys
      ORDER BY CASE state WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, retired_at DESC NULLS FIRST, id`,
  );
  return rows.map(toSigningKey);
}

async function insertKey(tx: SqlExecutor, key: NewSigningKey, state: 'current' | 'next', at: Date): Promise<void> {
  await tx.query(
    `INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
    [key.id, key.publicKey, key.privateKey, state, at, state === 'current' ? at : null],
  );
}

async function retire(tx: SqlExecutor, state: 'current', at: Date): Promise<void> {
  await tx.query(
    `UPDATE signing_keys SET state = 'retired', private_key = NULL, retired_at = $2 WHERE state = $1`,
    [state, at],
  );
}

/**
 * Makes `key` the current key unless the ring already has one; returns the ring afterwards. `legacySetting` names a
 * service_settings row that held the key before the ring existed: it is deleted in the same transaction, so the
 * private key is kept in one place only.
 */
export async function installSigningKey(
  driver: SqlDriver,
  key: NewSigningKey,
  at: Date,
  legacySetting: string,
): Promise<SigningKeyRecord[]> {
  return driver.transaction(async (tx) => {
    const ring = await lockRing(tx);
    if (ring.some((record) => record.state === 'current')) return ring;
    await insertKey(tx, key, 'current', at);
    await tx.query('DELETE FROM service_settings WHERE name = $1', [legacySetting]);
    return listSigningKeys(tx);
  });
}

/**
 * Makes a key whose private part lives outside the database (AUDIT_LEDGER_SIGNING_KEY) the current one: any other
 * current or next key retires, and a key seen before (the variable was set back) becomes current again.
 */
export async function adoptExternalSigningKey(
  driver: SqlDriver,
  key: Omit<NewSigningKey, 'privateKey'>,
  at: Date,
): Promise<SigningKeyRecord[]> {
  return driver.transaction(async (tx) => {
    const ring = await lockRing(tx);
    const current = ring.find((record) => record.state === 'current');
    if (current?.id === key.id && current.privateKey === null && !ring.some((r) => r.state === 'next')) return ring;
    await tx.query(`UPDATE signing_keys SET state = 'retired', private_key = NULL, retired_at = $2
                     WHERE state IN ('current', 'next') AND id <> $1`, [key.id, at]);
    await tx.query(
      `INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, NULL, 'current', $3, $3, NULL)
       ON CONFLICT (id) DO UPDATE SET state = 'current', private_key = NULL, activated_at = $3, retired_at = NULL`,
      [key.id, key.publicKey, at],
    );
    return listSigningKeys(tx);
  });
}

/**
 * Replaces the stored private part of key `id` (sealing it, or sealing it anew under another master key), only if it
 * is still `expected` and the key has not retired meanwhile; false when it was not replaced.
 */
export async function replaceSigningPrivateKey(
  db: SqlExecutor,
  id: string,
  expected: string,
  replacement: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE signing_keys SET private_key = $3 WHERE id = $1 AND private_key = $2 AND state <> 'retired'`,
    [id, expected, replacement],
  );
  return rowCount === 1;
}

/** Adds `key` as the next key, which signs alongside the current one until the rotation completes. */
export async function beginSigningKeyRotation(
  driver: SqlDriver,
  key: NewSigningKey,
  at: Date,
): Promise<BeginRotationResult> {
  return driver.transaction(async (tx) => {
    const ring = await lockRing(tx);
    const current = ring.find((record) => record.state === 'current');
    if (current === undefined) return { outcome: 'no-current', ring };
    if (current.privateKey === null) return { outcome: 'external', ring };
    if (ring.some((record) => record.state === 'next')) return { outcome: 'in-progress', ring };
    await insertKey(tx, key, 'next', at);
    return { outcome: 'started', ring: await listSigningKeys(tx) };
  });
}

/** The current key retires (its private part is erased) and the next one becomes current. */
export async function completeSigningKeyRotation(driver: SqlDriver, at: Date): Promise<CompleteRotationResult> {
  return driver.transaction(async (tx) => {
    const ring = await lockRing(tx);
    if (!ring.some((record) => record.state === 'next')) return { outcome: 'not-rotating', ring };
    await retire(tx, 'current', at);
    await tx.query(`UPDATE signing_keys SET state = 'current', activated_at = $1 WHERE state = 'next'`, [at]);
    return { outcome: 'completed', ring: await listSigningKeys(tx) };
  });
}
