import { addMonths, monthOf, partitionNameOf } from '../partitions.js';
import type { SqlDriver } from '../sql-driver.js';

// Merges the pending lists of the full-text index of the given events partitions into the index proper, and answers
// how many pending pages that removed. Only the owner of the index may do this (as for VACUUM).
const CLEAN_PENDING_LISTS = `
  SELECT coalesce(sum(gin_clean_pending_list(x.indexrelid)), 0)::int8 AS pages
    FROM pg_inherits i
    JOIN pg_index x ON x.indexrelid = i.inhrelid
   WHERE i.inhparent = 'events_search_idx'::regclass
     AND x.indrelid::regclass::text = ANY($1::text[])`;

/**
 * Cleans the full-text index's pending list in the partitions that take new events (the month of `now` and, across a
 * month's end, the one before). New entries of a GIN index are buffered in that list, and whichever insert finds it
 * full merges it; done here, on a connection of its own, the merge no longer lands inside some log's write.
 */
export async function cleanSearchIndex(driver: SqlDriver, now: Date): Promise<number> {
  const current = monthOf(now);
  const partitions = [partitionNameOf(addMonths(current, -1)), partitionNameOf(current)];
  const { rows } = await driver.query<{ pages: number }>(CLEAN_PENDING_LISTS, [partitions]);
  return Number(rows[0]?.pages ?? 0);
}
