import { ADVISORY_LOCK } from '../advisory-locks.js';
import type { SqlDriver, SqlExecutor } from '../sql-driver.js';
import type { LegalHoldRecord } from './privacy-records.js';
import { isUuidText } from './uuid.js';

interface LegalHoldRow {
  id: string;
  tenant_id: string;
  subject_id: string | null;
  reason: string;
  placed_by: string;
  placed_at: Date;
  lifted_by: string | null;
  lifted_at: Date | null;
}

const HOLD_COLUMNS = 'id, tenant_id, subject_id, reason, placed_by, placed_at, lifted_by, lifted_at';

function toLegalHold(row: LegalHoldRow): LegalHoldRecord {
  return {
    id: row.id,
    tenant: row.tenant_id,
    subject: row.subject_id,
    reason: row.reason,
    placedBy: row.placed_by,
    placedAt: row.placed_at,
    liftedBy: row.lifted_by,
    liftedAt: row.lifted_at,
  };
}

/** The oldest active hold on the subject or on the whole tenant, or null. */
export async function activeHoldCovering(
  db: SqlExecutor,
  tenant: string,
  subject: string,
): Promise<LegalHoldRecord | null> {
  const { rows } = await db.query<LegalHoldRow>(
    `SELECT ${HOLD_COLUMNS} FROM legal_holds
      WHERE tenant_id = $1 AND lifted_at IS NULL AND (subject_id IS NULL OR subject_id = $2)
      ORDER BY placed_at, id LIMIT 1`,
    [tenant, subject],
  );
  return rows[0] === undefined ? null : toLegalHold(rows[0]);
}

export async function placeLegalHold(driver: SqlDriver, hold: LegalHoldRecord): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADVISORY_LOCK.TENANT_PRIVACY, hold.tenant]);
    await tx.query(
      `INSERT INTO legal_holds (id, tenant_id, subject_id, reason, placed_by, placed_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [hold.id, hold.tenant, hold.subject, hold.reason, hold.placedBy, hold.placedAt],
    );
  });
}

/** Every hold of the tenant, active and lifted, oldest first. */
export async function listLegalHolds(db: SqlExecutor, tenant: string): Promise<LegalHoldRecord[]> {
  const { rows } = await db.query<LegalHoldRow>(
    `SELECT ${HOLD_COLUMNS} FROM legal_holds WHERE tenant_id = $1 ORDER BY placed_at, id`,
    [tenant],
  );
  return rows.map(toLegalHold);
}

export async function liftLegalHold(
  db: SqlExecutor,
  tenant: string,
  id: string,
  by: string,
  at: Date,
): Promise<LegalHoldRecord | null> {
  if (!isUuidText(id)) return null;
  const { rows } = await db.query<LegalHoldRow>(
    `UPDATE legal_holds SET lifted_by = $3, lifted_at = $4
      WHERE tenant_id = $1 AND id = $2::uuid AND lifted_at IS NULL
      RETURNING ${HOLD_COLUMNS}`,
    [tenant, id, by, at],
  );
  return rows[0] === undefined ? null : toLegalHold(rows[0]);
}
