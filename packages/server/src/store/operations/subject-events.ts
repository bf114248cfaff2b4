import type { StoredEvent } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import type { ExportRange } from './privacy-records.js';
import { STORED_EVENT_COLUMNS, toStoredEvent, type StoredEventRow } from './rows.js';

/**
 * Events by or about a subject, newest first. Two index ranges (actor, subject) merged rather than one OR, so each
 * side reads only its newest `limit` rows; UNION drops an event found by both.
 */
export async function subjectEvents(
  db: SqlExecutor,
  tenant: string,
  subject: string,
  beforeSeq: number | undefined,
  limit: number,
): Promise<StoredEvent[]> {
  const below = beforeSeq ?? Number.MAX_SAFE_INTEGER;
  const { rows } = await db.query<StoredEventRow>(
    `SELECT ${STORED_EVENT_COLUMNS} FROM (
       (SELECT ${STORED_EVENT_COLUMNS} FROM events
         WHERE tenant_id = $1 AND actor_id = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4)
       UNION
       (SELECT ${STORED_EVENT_COLUMNS} FROM events
         WHERE tenant_id = $1 AND subject_id = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4)
     ) AS found
     ORDER BY seq DESC LIMIT $4`,
    [tenant, subject, below, limit],
  );
  return rows.map(toStoredEvent);
}

/** WHERE conditions of an export range after the tenant ($1), seq start ($2) and seq end ($3). */
function timeConditions(range: ExportRange, params: unknown[]): string {
  let time = '';
  if (range.from !== undefined) {
    params.push(range.from);
    time += ` AND occurred_at >= $${params.length}`;
  }
  if (range.to !== undefined) {
    params.push(range.to);
    time += ` AND occurred_at < $${params.length}`;
  }
  return time;
}

/** One page of an export: oldest first, after `afterSeq`, within the seq and occurred_at range. */
export async function exportEvents(
  db: SqlExecutor,
  tenant: string,
  range: ExportRange,
  afterSeq: number | undefined,
  limit: number,
): Promise<StoredEvent[]> {
  const start = Math.max(range.fromSeq ?? 0, afterSeq === undefined ? 0 : afterSeq + 1);
  const params: unknown[] = [tenant, start, range.toSeq ?? Number.MAX_SAFE_INTEGER];
  const time = timeConditions(range, params);
  params.push(limit);
  const { rows } = await db.query<StoredEventRow>(
    `SELECT ${STORED_EVENT_COLUMNS} FROM events
      WHERE tenant_id = $1 AND seq >= $2 AND seq < $3${time}
      ORDER BY seq LIMIT $${params.length}`,
    params,
  );
  return rows.map(toStoredEvent);
}

/** How many events an export of the range holds. */
export async function countExportEvents(db: SqlExecutor, tenant: string, range: ExportRange): Promise<number> {
  const params: unknown[] = [tenant, range.fromSeq ?? 0, range.toSeq ?? Number.MAX_SAFE_INTEGER];
  const time = timeConditions(range, params);
  const { rows } = await db.query<{ count: number | string }>(
    `SELECT count(*) AS count FROM events WHERE tenant_id = $1 AND seq >= $2 AND seq < $3${time}`,
    params,
  );
  return Number(rows[0]?.count ?? 0);
}
