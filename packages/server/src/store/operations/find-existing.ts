import type { ExistingEvent } from '../ledger-store.js';
import { isUuidText } from './uuid.js';

export interface ExistingRow {
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
export const EXISTING_EVENTS_SQL = `
  SELECT found.id, found.seq, found.leaf_hash, found.request_hash
    FROM unnest($2::uuid[]) AS wanted(id)
    CROSS JOIN LATERAL (
      SELECT e.id, e.seq, e.leaf_hash, e.request_hash FROM events e
       WHERE e.tenant_id = $1 AND e.id = wanted.id
       ORDER BY e.seq LIMIT 1
    ) found`;

/** The found rows keyed by the ids exactly as the caller spelled them (PostgreSQL answers UUIDs in lower case). */
export function existingBySpelling(
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
