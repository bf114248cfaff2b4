import type { EventFilter, StoredEvent } from '../ledger-store.js';
import type { SqlExecutor } from '../sql-driver.js';
import { STORED_EVENT_COLUMNS, toStoredEvent, type StoredEventRow } from './rows.js';

/** LIKE treats % and _ as wildcards and \ as its escape; a prefix must match them literally. */
export function likePrefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/**
 * Builds the WHERE clause from constant fragments only; every value, including the tenant, is a numbered parameter.
 */
class Conditions {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(fragment: (placeholder: string) => string, value: unknown): void {
    this.params.push(value);
    this.clauses.push(fragment(`$${this.params.length}`));
  }
}

/** Newest first by seq; every filter is optional and they combine with AND. */
export async function queryEvents(db: SqlExecutor, tenant: string, filter: EventFilter): Promise<StoredEvent[]> {
  const where = new Conditions();
  where.add((p) => `tenant_id = ${p}`, tenant);
  if (filter.actorId !== undefined) where.add((p) => `actor_id = ${p}`, filter.actorId);
  if (filter.action !== undefined) {
    if (filter.actionPrefix === true) {
      where.add((p) => `action LIKE ${p} ESCAPE '\\'`, likePrefixPattern(filter.action));
    } else {
      where.add((p) => `action = ${p}`, filter.action);
    }
  }
  if (filter.resourceType !== undefined) where.add((p) => `resource_type = ${p}`, filter.resourceType);
  if (filter.resourceId !== undefined) where.add((p) => `resource_id = ${p}`, filter.resourceId);
  if (filter.outcome !== undefined) where.add((p) => `outcome = ${p}`, filter.outcome);
  if (filter.from !== undefined) where.add((p) => `occurred_at >= ${p}`, filter.from);
  if (filter.to !== undefined) where.add((p) => `occurred_at < ${p}`, filter.to);
  if (filter.q !== undefined) where.add((p) => `search @@ websearch_to_tsquery('simple', ${p})`, filter.q);
  if (filter.beforeSeq !== undefined) where.add((p) => `seq < ${p}`, filter.beforeSeq);
  where.params.push(filter.limit);

  const { rows } = await db.query<StoredEventRow>(
    `SELECT ${STORED_EVENT_COLUMNS} FROM events
      WHERE ${where.clauses.join(' AND ')}
      ORDER BY seq DESC
      LIMIT $${where.params.length}`,
    where.params,
  );
  return rows.map(toStoredEvent);
}
