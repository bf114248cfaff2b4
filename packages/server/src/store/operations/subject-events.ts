import type { StoredEvent } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import type { ExportRange } from './privacy-records.js';
import { addFieldConditions, Conditions } from './query-events.js';
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

/** The conditions of an export range: the tenant, the seqs from `start` below the range's end, and the fields. */
function rangeConditions(tenant: string, range: ExportRange, start: number): Conditions {
  const where = new Conditions();
  where.add((p) => `tenant_id = ${p}`, tenant);
  where.add((p) => `seq >= ${p}`, start);
  where.add((p) => `seq < ${p}`, range.toSeq ?? Number.MAX_SAFE_INTEGER);
  addFieldConditions(where, range);
  return where;
}

/** One page of an export: oldest first, after `afterSeq`, within the range. */
export async function exportEvents(
  db: SqlExecutor,
  tenant: string,
  range: ExportRange,
  afterSeq: number | undefined,
  limit: number,
): Promise<StoredEvent[]> {
  const where = rangeConditions(tenant, range, Math.max(range.fromSeq ?? 0, afterSeq === undefined ? 0 : afterSeq + 1));
  where.params.push(limit);
  const { rows } = await db.query<StoredEventRow>(
    `SELECT ${STORED_EVENT_COLUMNS} FROM events WHERE ${where.clauses.join(' AND ')} ORDER BY seq LIMIT $${where.params.length}`,
    where.params,
  );
  return rows.map(toStoredEvent);
}

/** How many events an export of the range holds. */
export async function countExportEvents(db: SqlExecutor, tenant: string, range: ExportRange): Promise<number> {
  const where = rangeConditions(tenant, range, range.fromSeq ?? 0);
  const { rows } = await db.query<{ count: number | string }>(
    `SELECT count(*) AS count FROM events WHERE ${where.clauses.join(' AND ')}`,
    where.params,
  );
  return Number(rows[0]?.count ?? 0);
}
