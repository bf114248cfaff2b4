import type { TenantRecord } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import { TENANT_COLUMNS, toTenant, type TenantRow } from './rows.js';

export async function createTenant(db: SqlExecutor, tenant: TenantRecord): Promise<'created' | 'exists'> {
  const { rowCount } = await db.query(
    `INSERT INTO tenants (id, name, log_origin, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO NOTHING`,
    [tenant.id, tenant.name, tenant.logOrigin, tenant.createdAt],
  );
  return rowCount === 1 ? 'created' : 'exists';
}

export async function getTenant(db: SqlExecutor, id: string): Promise<TenantRecord | null> {
  const { rows } = await db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE id = $1`, [id]);
  const row = rows[0];
  return row === undefined ? null : toTenant(row);
}

export async function listTenants(db: SqlExecutor): Promise<TenantRecord[]> {
  const { rows } = await db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants ORDER BY id`);
  return rows.map(toTenant);
}
