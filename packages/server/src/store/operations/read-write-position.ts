import type { ExistingEvent, LogHead } from '../ledger-store.js';
import { preparedSql, type SqlExecutor } from '../sql-driver.js';
import { isUuidText } from './uuid.js';
import { emptyLogHead, LOG_HEAD_COLUMNS, toLogHead, type LogHeadRow } from './rows.js';

interface ExistingRow {
  id: string;
  seq: number;
  leaf_hash: Uint8Array;
  request_hash: Uint8Array;
}

/** The lower-case UUIDs among `ids`, each with every spelling the caller used for it; other ids can never exist. */
export function spellingsOf(ids: readonly string[]): Map<string, string[]> {
  const spellings = new Map<string, string[]>();
  for (const id of ids) {
    if (!isUuidText(id)) continue;
    const canonical = id.toLowerCase();
    const known = spellings.get(canonical);
    if (known === undefined) spellings.set(canonical, [id]);
    else if (!known.includes(id)) known.push(id);
  }
  return spellings;
}

/**
 * The stored events with the ids of parameter $2 (uuid[]) in tenant $1, by seq. One index probe per id: with
 * `id = ANY(...)` and no statistics yet on a fresh month's partition, the planner reads every row of the tenant
 * instead, and that cost grows with the log.
 */
const EXISTING_EVENTS_SQL = `
  SELECT found.id, found.seq, found.leaf_hash, found.request_hash
    FROM unnest($2::uuid[]) AS wanted(id)
    CROSS JOIN LATERAL (
      SELECT e.id, e.seq, e.leaf_hash, e.request_hash FROM events e
       WHERE e.tenant_id = $1 AND e.id = wanted.id
       ORDER BY e.seq LIMIT 1
    ) found`;

/** The found rows keyed by the ids exactly as the caller spelled them (PostgreSQL answers UUIDs in lower case). */
function existingBySpelling(
  rows: readonly ExistingRow[],
  spellings: ReadonlyMap<string, readonly string[]>,
): Map<string, ExistingEvent> {
  const found = new Map<string, ExistingEvent>();
  for (const row of rows) {
    for (const spelling of spellings.get(row.id) ?? []) {
      // The earliest entry wins should an id ever be stored twice; the sequencer never lets that happen.
      if (found.has(spelling)) continue;
      found.set(spelling, { id: row.id, seq: row.seq, leafHash: row.leaf_hash, requestHash: row.request_hash });
    }
  }
  return found;
}

type PositionRow = Partial<LogHeadRow> & { [K in keyof ExistingRow as `existing_${K}`]: ExistingRow[K] | null };

// The head and the stored events among the batch's ids as one statement, so one snapshot and one round trip: the
// writer holds its log's lock, and everything it waits for, everyone queued behind it waits for too. One row per
// event found, each repeating the head; one row with null existing_* columns when none is.
const POSITION_SQL = preparedSql(
  'audit_ledger_write_position',
  `
  SELECT head.*, found.id AS existing_id, found.seq AS existing_seq, found.leaf_hash AS existing_leaf_hash,
         found.request_hash AS existing_request_hash
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
      SELECT ${LOG_HEAD_COLUMNS} FROM log_heads WHERE tenant_id = $1 ORDER BY size DESC LIMIT 1
    ) head ON true
    LEFT JOIN LATERAL (${EXISTING_EVENTS_SQL}) found ON true
   ORDER BY found.seq`,
);

/** Where a writer appends: the log's head, and which of `ids` are already stored (keyed as the caller spelled them). */
export async function readWritePosition(
  db: SqlExecutor,
  tenant: string,
  ids: readonly string[],
): Promise<{ head: LogHead; existing: Map<string, ExistingEvent> }> {
  const spellings = spellingsOf(ids);
  const { rows } = await db.query<PositionRow>(POSITION_SQL, [tenant, [...spellings.keys()]]);
  const first = rows[0];
  const head = first?.size == null ? emptyLogHead() : toLogHead(first as LogHeadRow);
  const found: ExistingRow[] = rows
    .filter((row) => row.existing_id !== null)
    .map((row) => ({
      id: row.existing_id as string,
      seq: row.existing_seq as number,
      leaf_hash: row.existing_leaf_hash as Uint8Array,
      request_hash: row.existing_request_hash as Uint8Array,
    }));
  return { head, existing: existingBySpelling(found, spellings) };
}
