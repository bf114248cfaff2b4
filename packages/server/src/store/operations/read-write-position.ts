import type { ExistingEvent, LogHead } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import { EXISTING_EVENTS_SQL, existingBySpelling, spellingsOf, type ExistingRow } from './find-existing.js';
import { emptyLogHead, LOG_HEAD_COLUMNS, toLogHead, type LogHeadRow } from './rows.js';

type PositionRow = Partial<LogHeadRow> & { [K in keyof ExistingRow as `existing_${K}`]: ExistingRow[K] | null };

// The head and the stored events among the batch's ids as one statement, so one snapshot and one round trip: the
// writer holds its log's lock, and everything it waits for, everyone queued behind it waits for too. One row per
// event found, each repeating the head; one row with null existing_* columns when none is.
const POSITION_SQL = `
  SELECT head.*, found.id AS existing_id, found.seq AS existing_seq, found.leaf_hash AS existing_leaf_hash,
         found.request_hash AS existing_request_hash
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
      SELECT ${LOG_HEAD_COLUMNS} FROM log_heads WHERE tenant_id = $1 ORDER BY size DESC LIMIT 1
    ) head ON true
    LEFT JOIN LATERAL (${EXISTING_EVENTS_SQL}) found ON true
   ORDER BY found.seq`;

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
