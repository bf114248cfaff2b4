import type { SqlExecutor } from '../sql-driver.js';
import type { PrivacySettingsRecord } from './privacy-records.js';

export async function getPrivacySettings(db: SqlExecutor, tenant: string): Promise<PrivacySettingsRecord | null> {
  const { rows } = await db.query<{ personal_data_paths: string[]; updated_at: Date }>(
    'SELECT personal_data_paths, updated_at FROM privacy_settings WHERE tenant_id = $1',
    [tenant],
  );
  const row = rows[0];
  return row === undefined ? null : { tenant, personalDataPaths: row.personal_data_paths, updatedAt: row.updated_at };
}

export async function putPrivacySettings(db: SqlExecutor, settings: PrivacySettingsRecord): Promise<void> {
  await db.query(
    `INSERT INTO privacy_settings (tenant_id, personal_data_paths, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET personal_data_paths = EXCLUDED.personal_data_paths,
                                           updated_at = EXCLUDED.updated_at`,
    [settings.tenant, settings.personalDataPaths, settings.updatedAt],
  );
}
