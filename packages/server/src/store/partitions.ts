import { ADVISORY_LOCK } from './advisory-locks.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

/** A calendar month in UTC; events are partitioned by the UTC month of received_at. */
export interface Month {
  year: number;
  /** 1..12 */
  month: number;
}

const MAX_MONTHS_AHEAD = 120;

export function monthOf(date: Date): Month {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1 };
}

export function addMonths(month: Month, count: number): Month {
  const zeroBased = month.year * 12 + (month.month - 1) + count;
  return { year: Math.floor(zeroBased / 12), month: (zeroBased % 12) + 1 };
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

function assertPartitionable(month: Month): void {
  // Four-digit years keep both the table name and the bound literals well-formed; they are built from these numbers
  // only, never from caller text.
  if (!Number.isInteger(month.year) || month.year < 1000 || month.year > 9999) {
    throw new RangeError(`no events partition for year ${month.year}`);
  }
  if (!Number.isInteger(month.month) || month.month < 1 || month.month > 12) {
    throw new RangeError(`invalid month ${month.month}`);
  }
}

/** `events_2026_11` */
export function partitionNameOf(month: Month): string {
  assertPartitionable(month);
  return `events_${month.year}_${twoDigits(month.month)}`;
}

function monthStartLiteral(month: Month): string {
  return `${month.year}-${twoDigits(month.month)}-01 00:00:00+00`;
}

function createPartitionSql(month: Month): string {
  const name = partitionNameOf(month);
  const from = monthStartLiteral(month);
  const to = monthStartLiteral(addMonths(month, 1));
  // TRUNCATE triggers are not inherited and statement triggers of the parent do not fire for statements aimed at the
  // partition itself, so each partition carries its own guard.
  return `
    CREATE TABLE ${name} PARTITION OF events FOR VALUES FROM ('${from}') TO ('${to}');
    CREATE TRIGGER ${name}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${name}
      FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_reject_change();
  `;
}

async function existingPartitionNames(db: SqlExecutor): Promise<Set<string>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass`,
  );
  return new Set(rows.map((row) => row.name));
}

function missingMonths(months: readonly Month[], existing: ReadonlySet<string>): Month[] {
  const seen = new Set<string>();
  return months.filter((month) => {
    const name = partitionNameOf(month);
    if (existing.has(name) || seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

/**
 * Creates the partitions of the given months that do not exist yet, inside the caller's transaction. Holding the
 * partitions lock until that transaction ends makes concurrent callers (other processes, the daily upkeep, an append
 * that hit a missing month) create each partition exactly once. Returns how many it created.
 */
export async function createMissingPartitions(tx: SqlExecutor, months: readonly Month[]): Promise<number> {
  await tx.query('SELECT pg_advisory_xact_lock($1, 0)', [ADVISORY_LOCK.PARTITIONS]);
  const missing = missingMonths(months, await existingPartitionNames(tx));
  for (const month of missing) await tx.exec(createPartitionSql(month));
  return missing.length;
}

export function monthsFrom(now: Date, monthsAhead: number): Month[] {
  if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > MAX_MONTHS_AHEAD) {
    throw new RangeError(`monthsAhead must be an integer in 0..${MAX_MONTHS_AHEAD}`);
  }
  const first = monthOf(now);
  return Array.from({ length: monthsAhead + 1 }, (_, i) => addMonths(first, i));
}

/**
 * Makes sure partitions exist from `now`'s month through `monthsAhead` months later. The common case (all there) costs
 * one catalog query and takes no lock, so the service can call it as often as it likes.
 */
export async function ensurePartitions(driver: SqlDriver, now: Date, monthsAhead: number): Promise<void> {
  const months = monthsFrom(now, monthsAhead);
  if (missingMonths(months, await existingPartitionNames(driver)).length === 0) return;
  await driver.transaction((tx) => createMissingPartitions(tx, months));
}
