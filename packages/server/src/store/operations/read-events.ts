import type { StoredEvent } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import { STORED_EVENT_COLUMNS, toStoredEvent, type StoredEventRow } from './rows.js';
import { isUuidText } from './uuid.js';

export async function getEventById(db: SqlExecutor, tenant: string, id: string): Promise<StoredEvent | null> {
  if (!isUuidText(id)) return null;
  const { rows } = await db.query<StoredEventRow>(
    `SELECT ${STORED_EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND id = $2::uuid ORDER BY seq LIMIT 1`,
    [tenant, id],
  );
  const row = rows[0];
  return row === undefined ? null : toStoredEvent(row);
}

/** Entries [start, end) in seq order; fewer when the log is shorter. */
export async function getEntries(db: SqlExecutor, tenant: string, start: number, end: number): Promise<StoredEvent[]> {
  const { rows } = await db.query<StoredEventRow>(
    `SELECT ${STORED_EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq`,
    [tenant, start, end],
  );
  return rows.map(toStoredEvent);
}
