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
    // One index probe per id: with `id = ANY(...)` and no statistics yet on a fresh month's partition, the planner
    // reads every row of the tenant instead, and that cost grows with the log.
    `SELECT found.id, found.seq, found.leaf_hash, found.request_hash
       FROM unnest($2::uuid[]) AS wanted(id)
       CROSS JOIN LATERAL (
         SELECT e.id, e.seq, e.leaf_hash, e.request_hash FROM events e
          WHERE e.tenant_id = $1 AND e.id = wanted.id
          ORDER BY e.seq LIMIT 1
       ) found
      ORDER BY found.seq`,
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
