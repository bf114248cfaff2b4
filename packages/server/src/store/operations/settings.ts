import type { SqlExecutor } from '../sql-driver.js';

export async function getSetting(db: SqlExecutor, name: string): Promise<string | null> {
  const { rows } = await db.query<{ value: string }>('SELECT value FROM service_settings WHERE name = $1', [name]);
  return rows[0]?.value ?? null;
}

/**
 * First writer wins, across processes: ON CONFLICT waits for a concurrent insert of the same name to commit, and the
 * separate SELECT that follows then sees whichever value won.
 */
export async function putSettingIfAbsent(db: SqlExecutor, name: string, value: string): Promise<string> {
  await db.query('INSERT INTO service_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    value,
  ]);
  const stored = await getSetting(db, name);
  if (stored === null) throw new Error(`setting ${name} vanished right after it was stored`);
  return stored;
}
