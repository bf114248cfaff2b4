import { equalBytes } from '@audit-ledger/core';
import type { AppendBatch } from '../ledger-store.js';
import { createMissingPartitions, monthOf, partitionNameOf } from '../partitions.js';
import { sqlStateOf, type SqlExecutor } from '../sql-driver.js';
import type { WriterRole } from '../writer-role.js';
import { HASH_BYTES } from './rows.js';

// One statement for the whole batch: each column travels as one array parameter and unnest turns the arrays back into
// rows, so 1000 events cost one plan. The events, the Merkle nodes they complete and the new head go in together as
// data-modifying CTEs: one round trip, where three would each wait on a busy server. search is derived here so the
// words never need storing.
const APPEND = `
  WITH appended_events AS (
    INSERT INTO events (tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
                        outcome, leaf, leaf_hash, chain_hash, request_hash, search, subject_id)
    SELECT $1, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
           outcome, leaf, leaf_hash, chain_hash, request_hash, to_tsvector('simple', search_text), subject_id
      FROM unnest($2::int8[], $3::uuid[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[],
                  $9::text[], $10::text[], $11::text[], $12::bytea[], $13::bytea[], $14::bytea[], $15::text[],
                  $16::text[])
        AS batch(seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
                 outcome, leaf, leaf_hash, chain_hash, request_hash, search_text, subject_id)
  ), appended_nodes AS (
    INSERT INTO merkle_nodes (tenant_id, level, idx, hash)
    SELECT $1, level, idx, hash FROM unnest($17::int2[], $18::int8[], $19::bytea[]) AS batch(level, idx, hash)
  )
  INSERT INTO log_heads (tenant_id, size, chain_hash, frontier, last_received_at) VALUES ($1, $20, $21, $22, $23)`;

/** PostgreSQL's check_violation, which is also what "no partition of relation found for row" raises. */
const CHECK_VIOLATION = '23514';

/**
 * Cheap consistency checks on what the sequencer hands over. They cannot prove the hashes right (verification does
 * that), but they stop a batch that contradicts itself from becoming a permanent part of the log.
 */
function assertCoherent(tenant: string, batch: AppendBatch): void {
  const { events, head } = batch;
  const first = events[0];
  const last = events[events.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('an append needs at least one event');
  events.forEach((event, i) => {
    if (event.tenant !== tenant) throw new RangeError(`event ${event.id} belongs to ${event.tenant}, not ${tenant}`);
    if (event.seq !== first.seq + i) throw new RangeError(`event seqs are not contiguous at ${event.seq}`);
  });
  if (head.size !== last.seq + 1) throw new RangeError(`head size ${head.size} does not follow seq ${last.seq}`);
  if (!equalBytes(head.chainHash, last.chainHash)) throw new RangeError('head chain hash is not the last entry\'s');
  if (head.lastReceivedAt === null) throw new RangeError('head of a non-empty log needs lastReceivedAt');
  if (head.frontier.some((hash) => hash.byteLength !== HASH_BYTES)) {
    throw new RangeError(`frontier hashes must have ${HASH_BYTES} bytes`);
  }
}

function appendParams(tenant: string, batch: AppendBatch): unknown[] {
  const { events, nodes, head } = batch;
  return [
    tenant,
    events.map((e) => e.seq),
    events.map((e) => e.id),
    events.map((e) => e.receivedAt),
    events.map((e) => e.occurredAt),
    events.map((e) => e.action),
    events.map((e) => e.actorId),
    events.map((e) => e.resourceType),
    events.map((e) => e.resourceId),
    events.map((e) => e.outcome),
    events.map((e) => e.leaf),
    events.map((e) => e.leafHash),
    events.map((e) => e.chainHash),
    events.map((e) => e.requestHash),
    events.map((e) => e.searchText),
    events.map((e) => e.subjectId ?? null),
    nodes.map((n) => n.level),
    nodes.map((n) => n.index),
    nodes.map((n) => n.hash),
    head.size,
    head.chainHash,
    Buffer.concat(head.frontier),
    head.lastReceivedAt,
  ];
}

/** Partitions (by name, see partitionNameOf) this process has appended to: they are known to exist. */
export type WrittenMonths = Set<string>;

/**
 * Writes one batch: its events, the Merkle nodes it completes and the new head, in one statement. A received_at
 * outside every partition should never happen (partitions are created months ahead), but if it does the batch is not
 * lost: for a month this process has not appended to yet, the statement runs under a savepoint, so on "no partition"
 * it is undone, the missing month is created as the connecting user (the writer role may not run DDL), and the
 * statement is tried once more. Later batches of a month already written skip the two savepoint round trips.
 * Returns the months written under a savepoint, to be remembered once the transaction commits: a partition created
 * in a transaction that then rolls back does not exist.
 */
export async function appendBatch(
  tx: SqlExecutor,
  tenant: string,
  batch: AppendBatch,
  options: { role: WriterRole | null; writtenMonths: WrittenMonths },
): Promise<string[]> {
  assertCoherent(tenant, batch);
  const params = appendParams(tenant, batch);
  const months = [...new Set(batch.events.map((e) => partitionNameOf(monthOf(e.receivedAt))))];
  if (months.every((month) => options.writtenMonths.has(month))) {
    await tx.query(APPEND, params);
    return [];
  }
  const { role } = options;
  await tx.query('SAVEPOINT append_batch');
  try {
    await tx.query(APPEND, params);
  } catch (error) {
    if (sqlStateOf(error) !== CHECK_VIOLATION) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT append_batch');
    if (role !== null) await role.release(tx);
    const created = await createMissingPartitions(
      tx,
      batch.events.map((e) => monthOf(e.receivedAt)),
    );
    if (created === 0) throw error;
    if (role !== null) await role.assume(tx);
    await tx.query(APPEND, params);
  }
  await tx.query('RELEASE SAVEPOINT append_batch');
  return months;
}
