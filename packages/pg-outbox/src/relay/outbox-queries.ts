import type { ClientBase } from 'pg';
import type { Queryable } from '../queryable.js';
import type { OutboxRow } from './outbox-event.js';

/**
 * The oldest rows in commit order that no other relay holds, locked until this transaction ends. Rows of a
 * transaction that another relay is shipping are skipped, not waited for, so several relays share one outbox.
 */
const CLAIM = `
  WITH claimed AS (
    -- Narrow rows to sort and lock; the wide ones (before/after) are read for the claimed ids only.
    SELECT o.id, t.commit_seq
    FROM audit_outbox.transactions t
    JOIN audit_outbox.outbox o ON o.txid = t.txid
    ORDER BY t.commit_seq, o.id
    LIMIT $1
    FOR UPDATE OF o SKIP LOCKED
  )
  SELECT o.id::text, o.event_id::text, o.txid::text,
         to_char(o.captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
         (extract(epoch FROM clock_timestamp() - o.captured_at) * 1000)::float8 AS age_ms,
         o.db_user, o.table_schema, o.table_name, o.operation, o.action, o.resource_type, o.resource_id, o.tenant,
         o.before, o.after, o.context
  FROM claimed c
  JOIN audit_outbox.outbox o ON o.id = c.id
  ORDER BY c.commit_seq, c.id`;

export async function claimRows(client: ClientBase, limit: number): Promise<OutboxRow[]> {
  const result = await client.query<OutboxRow>(CLAIM, [limit]);
  return result.rows;
}

export async function deleteRows(client: ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query('DELETE FROM audit_outbox.outbox WHERE id = ANY ($1::bigint[])', [ids]);
}

export interface ParkedRow {
  id: string;
  status: number;
  problem: unknown;
}

/** Moves refused rows to the dead-letter table with the service's answer. */
export async function parkRows(client: ClientBase, parked: readonly ParkedRow[]): Promise<void> {
  if (parked.length === 0) return;
  await client.query(
    `WITH refused AS (
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::jsonb[]) AS r(id, status, problem)
     ), taken AS (
       DELETE FROM audit_outbox.outbox o USING refused r WHERE o.id = r.id RETURNING o.*, r.status, r.problem
     )
     INSERT INTO audit_outbox.dead_letter (id, event_id, txid, captured_at, db_user, table_schema, table_name,
       operation, action, resource_type, resource_id, tenant, before, after, context, status, problem)
     SELECT id, event_id, txid, captured_at, db_user, table_schema, table_name, operation, action, resource_type,
            resource_id, tenant, before, after, context, status, problem FROM taken`,
    [parked.map((p) => p.id), parked.map((p) => p.status), parked.map((p) => JSON.stringify(p.problem))],
  );
}

/**
 * Forgets transactions with nothing left to ship. Two relays finishing parts of one transaction at once can each
 * still see the other's rows, so this runs from time to time rather than relying on the shipping transaction.
 */
export async function sweepTransactions(db: Queryable): Promise<number> {
  const result = await db.query(
    `DELETE FROM audit_outbox.transactions t
     WHERE t.commit_seq IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM audit_outbox.outbox o WHERE o.txid = t.txid)`,
  );
  return result.rowCount ?? 0;
}

export interface OutboxBacklog {
  /** Rows waiting to be shipped. */
  pending: number;
  /** Age of the oldest waiting row, ms (0 when none): how far the audit trail lags behind the data. */
  oldestAgeMs: number;
  /** Rows refused by the service, in audit_outbox.dead_letter. */
  parked: number;
}

export async function outboxBacklog(db: Queryable): Promise<OutboxBacklog> {
  const result = await db.query<{ pending: string; oldest_age_ms: number | null; parked: string }>(
    `SELECT (SELECT count(*) FROM audit_outbox.outbox) AS pending,
            (SELECT (extract(epoch FROM clock_timestamp() - min(captured_at)) * 1000)::float8
               FROM audit_outbox.outbox) AS oldest_age_ms,
            (SELECT count(*) FROM audit_outbox.dead_letter) AS parked`,
  );
  const row = result.rows[0];
  return {
    pending: Number(row?.pending ?? 0),
    oldestAgeMs: Math.max(0, row?.oldest_age_ms ?? 0),
    parked: Number(row?.parked ?? 0),
  };
}
