import type { EventFields, EventFilter, StoredEvent } from '../ledger-store.js';
import type { SqlDriver, SqlExecutor } from '../sql-driver.js';
import type { TenantScope } from '../tenant-scope.js';
import { STORED_EVENT_COLUMNS, toStoredEvent, type StoredEventRow } from './rows.js';

/**
 * The strings that start with `prefix` are exactly those in [prefix, upper), where upper is the prefix with its last
 * code point incremented (a last U+10FFFF is dropped and the one before incremented; surrogates are skipped). UTF-8
 * orders bytes like code points, so the bounds hold for the byte-wise `text_pattern_ops` operators. null: no upper
 * bound (a prefix of nothing but U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | null {
  const points = Array.from(prefix, (char) => char.codePointAt(0) as number);
  while (points.length > 0) {
    const last = points.pop() as number;
    if (last < 0x10ffff) {
      points.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return null;
}

/**
 * Builds the WHERE clause from constant fragments only; every value, including the tenant, is a numbered parameter.
 */
export class Conditions {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(fragment: (placeholder: string) => string, value: unknown): void {
    this.params.push(value);
    this.clauses.push(fragment(`$${this.params.length}`));
  }
}

/** Adds the conditions on an event's fields (every one optional). */
export function addFieldConditions(where: Conditions, filter: EventFields): void {
  if (filter.actorId !== undefined) where.add((p) => `actor_id = ${p}`, filter.actorId);
  if (filter.action !== undefined) {
    if (filter.actionPrefix === true) {
      // A range of the byte-wise operators rather than LIKE: under row-level security the planner may only use
      // leakproof operators as index conditions, and text_pattern_ge/lt are leakproof while LIKE is not.
      if (filter.action !== '') where.add((p) => `action ~>=~ ${p}`, filter.action);
      const upper = prefixUpperBound(filter.action);
      if (upper !== null) where.add((p) => `action ~<~ ${p}`, upper);
    } else {
      where.add((p) => `action = ${p}`, filter.action);
    }
  }
  if (filter.resourceType !== undefined) where.add((p) => `resource_type = ${p}`, filter.resourceType);
  if (filter.resourceId !== undefined) where.add((p) => `resource_id = ${p}`, filter.resourceId);
  if (filter.outcome !== undefined) where.add((p) => `outcome = ${p}`, filter.outcome);
  if (filter.from !== undefined) where.add((p) => `occurred_at >= ${p}`, filter.from);
  if (filter.to !== undefined) where.add((p) => `occurred_at < ${p}`, filter.to);
}

/** The WHERE clause of a filter, tenant first; the limit is the last parameter. */
function conditionsOf(tenant: string, filter: EventFilter): Conditions {
  const where = new Conditions();
  where.add((p) => `tenant_id = ${p}`, tenant);
  addFieldConditions(where, filter);
  if (filter.q !== undefined) where.add((p) => `search @@ websearch_to_tsquery('simple', ${p})`, filter.q);
  if (filter.beforeSeq !== undefined) where.add((p) => `seq < ${p}`, filter.beforeSeq);
  where.params.push(filter.limit);
  return where;
}

function selectSql(columns: string, where: Conditions): string {
  const limit = `$${where.params.length}`;
  return `SELECT ${columns} FROM events WHERE ${where.clauses.join(' AND ')} ORDER BY seq DESC LIMIT ${limit}`;
}

/** Newest first by seq; every filter is optional and they combine with AND. */
export async function queryEvents(db: SqlExecutor, tenant: string, filter: EventFilter): Promise<StoredEvent[]> {
  const where = conditionsOf(tenant, filter);
  const { rows } = await db.query<StoredEventRow>(selectSql(STORED_EVENT_COLUMNS, where), where.params);
  return rows.map(toStoredEvent);
}

/**
 * queryEvents inside the tenant's scope (row-level security). Full text is the one filter that needs more: `@@` is not
 * leakproof, so under row-level security the planner may not use the GIN index for it and scans the tenant's rows
 * instead. A search therefore finds the matching seqs as the connecting user (an index lookup that returns numbers
 * only) and reads the events themselves in scope, so what it returns is still confined to the tenant.
 */
export async function queryEventsInScope(
  driver: SqlDriver,
  scope: TenantScope,
  tenant: string,
  filter: EventFilter,
): Promise<StoredEvent[]> {
  if (filter.q === undefined) return scope.read(tenant, (db) => queryEvents(db, tenant, filter));
  const where = conditionsOf(tenant, filter);
  const matches = await driver.query<{ seq: number }>(selectSql('seq', where), where.params);
  if (matches.rows.length === 0) return [];
  const seqs = matches.rows.map((row) => row.seq);
  const { rows } = await scope.read(tenant, (db) =>
    db.query<StoredEventRow>(
      `SELECT ${STORED_EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND seq = ANY($2::int8[]) ORDER BY seq DESC`,
      [tenant, seqs],
    ),
  );
  return rows.map(toStoredEvent);
}
