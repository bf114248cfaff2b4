import type { ExistingEvent } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import { isUuidText } from './uuid.js';

interface ExistingRow {
  id: string;
  seq: number;
  leaf_hash: Uint8Array;
  request_hash: Uint8Array;
}

/**
 * The stored events among `ids`, in one query. The map is keyed by the ids exactly as the caller spelled them:
 * PostgreSQL returns UUIDs in lower case, and a caller looking up an upper-case id must still find it.
 */
export async function findExisting(
  db: SqlExecutor,
  tenant: string,
  ids: readonly string[],
): Promise<Map<string, ExistingEvent>> {
  const spellings = new Map<string, string[]>();
  for (const id of ids) {
    if (!isUuidText(id)) continue;
    const canonical = id.toLowerCase();
    const known = spellings.get(canonical);
    if (known === undefined) spellings.set(canonical, [id]);
    else if (!known.includes(id)) known.push(id);
  }
  const found = new Map<string, ExistingEvent>();
  if (spellings.size === 0) return found;

  const { rows } = await db.query<ExistingRow>(
    `SELECT id, seq, leaf_hash, request_hash FROM events
      WHERE tenant_id = $1 AND id = ANY($2::uuid[])
      ORDER BY seq`,
    [tenant, [...spellings.keys()]],
  );
  for (const row of rows) {
    for (const spelling of spellings.get(row.id) ?? []) {
      // The earliest entry wins should an id ever be stored twice; the sequencer never lets that happen.
      if (found.has(spelling)) continue;
      found.set(spelling, { id: row.id, seq: row.seq, leafHash: row.leaf_hash, requestHash: row.request_hash });
    }
  }
  return found;
}
