import { equalBytes } from '@audit-ledger/core';
import type { AppendBatch, EventRow } from '../ledger-store.js';
import { createMissingPartitions, monthOf, partitionNameOf } from '../partitions.js';
import { preparedSql, sqlStateOf, type SqlExecutor } from '../sql-driver.js';
import type { WriterRole } from '../writer-role.js';
import { HASH_BYTES } from './rows.js';

// One statement for the whole batch: each column travels as one parameter that is turned back into rows, so 1000
// events cost one plan. The events, the Merkle nodes they complete and the new head go in together as
// data-modifying CTEs: one round trip, where three would each wait on a busy server. search is derived here so the
// words never need storing.
//
// The bulky columns are packed so that neither side has to write or parse an array literal, whose every element
// node-postgres quotes and backslash-escapes (a leaf is full of quotes) and whose bytea elements it spells in hex:
// - leaf: all leaves in one text, each separated from the next by U+001E. Canonical JSON (RFC 8785) has no raw
//   control character, inside strings or out, so the separator never occurs in a leaf (appendParams makes sure),
//   and string_to_array splits exactly at the leaf boundaries: in UTF-8 that byte is never part of another character.
// - leaf_hash, chain_hash, request_hash, merkle_nodes.hash: SHA-256 hashes (the request hash is a fingerprint, see
//   SealingTemplate), so each column is its hashes end to end in one bytea, which node-postgres sends as binary; row n
//   takes the slice starting at byte (n - 1) * HASH_BYTES + 1. appendParams refuses a hash of any other size.
// - seq: only the first, since a batch's seqs are contiguous (assertCoherent); row n has seq first + n - 1.
// search_text stays an array: it holds event values verbatim, control characters included, and replacing those by
// spaces would change what is indexed (to_tsvector skips text shaped like a markup tag, <a href="x">, only when the
// gaps in it are spaces); it also has few characters for node-postgres to escape.
// unnest with several arrays pairs their elements by position, and its ordinality n numbers those rows from 1.
// Every write runs it, so it is prepared (see PreparedSql).
const APPEND = preparedSql(
  'audit_ledger_append',
  `
  WITH appended_events AS (
    INSERT INTO events (tenant_id, seq, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
                        outcome, leaf, leaf_hash, chain_hash, request_hash, search, subject_id)
    SELECT $1, $2::int8 + n - 1, id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
           outcome, leaf, substring($12::bytea FROM (n::int4 - 1) * ${HASH_BYTES} + 1 FOR ${HASH_BYTES}),
           substring($13::bytea FROM (n::int4 - 1) * ${HASH_BYTES} + 1 FOR ${HASH_BYTES}),
           substring($14::bytea FROM (n::int4 - 1) * ${HASH_BYTES} + 1 FOR ${HASH_BYTES}),
           to_tsvector('simple', search_text), subject_id
      FROM unnest($3::uuid[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[],
                  $10::text[], string_to_array($11::text, E'\\x1e'), $15::text[], $16::text[])
           WITH ORDINALITY AS batch(id, received_at, occurred_at, action, actor_id, resource_type, resource_id,
                                    outcome, leaf, search_text, subject_id, n)
  ), appended_nodes AS (
    INSERT INTO merkle_nodes (tenant_id, level, idx, hash)
    SELECT $1, level, idx, substring($19::bytea FROM (n::int4 - 1) * ${HASH_BYTES} + 1 FOR ${HASH_BYTES})
      FROM unnest($17::int2[], $18::int8[]) WITH ORDINALITY AS batch(level, idx, n)
  )
  INSERT INTO log_heads (tenant_id, size, chain_hash, frontier, last_received_at) VALUES ($1, $20, $21, $22, $23)`,
);

/** Separates the leaves in the APPEND statement's leaf parameter. */
const LEAF_SEPARATOR = '\u001e';

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

/**
 * The leaves as one text for string_to_array. A leaf that is empty (string_to_array('') has no element at all) or
 * holds the separator is not canonical JSON: refused, rather than split into rows that do not line up.
 */
function joinedLeaves(events: readonly EventRow[]): string {
  for (const event of events) {
    if (event.leaf.length === 0) throw new RangeError(`leaf of event ${event.id} is empty`);
    if (event.leaf.includes(LEAF_SEPARATOR)) {
      throw new RangeError(`leaf of event ${event.id} holds a raw U+001E, which canonical JSON never does`);
    }
  }
  return events.map((event) => event.leaf).join(LEAF_SEPARATOR);
}

/** The hashes end to end, for slicing by position; each must have exactly HASH_BYTES bytes. */
function packedHashes<T>(items: readonly T[], hashOf: (item: T) => Uint8Array, what: string): Buffer {
  const packed = Buffer.allocUnsafe(items.length * HASH_BYTES);
  items.forEach((item, i) => {
    const hash = hashOf(item);
    if (hash.byteLength !== HASH_BYTES) {
      throw new RangeError(`${what} ${i} of the batch has ${hash.byteLength} bytes, not ${HASH_BYTES}`);
    }
    packed.set(hash, i * HASH_BYTES);
  });
  return packed;
}

/** The APPEND statement's parameters; expects a batch assertCoherent accepted. */
function appendParams(tenant: string, batch: AppendBatch): unknown[] {
  const { events, nodes, head } = batch;
  return [
    tenant,
    events[0]?.seq,
    events.map((e) => e.id),
    events.map((e) => e.receivedAt),
    events.map((e) => e.occurredAt),
    events.map((e) => e.action),
    events.map((e) => e.actorId),
    events.map((e) => e.resourceType),
    events.map((e) => e.resourceId),
    events.map((e) => e.outcome),
    joinedLeaves(events),
    packedHashes(events, (e) => e.leafHash, 'leaf hash'),
    packedHashes(events, (e) => e.chainHash, 'chain hash'),
    packedHashes(events, (e) => e.requestHash, 'request hash'),
    events.map((e) => e.searchText),
    events.map((e) => e.subjectId ?? null),
    nodes.map((n) => n.level),
    nodes.map((n) => n.index),
    packedHashes(nodes, (n) => n.hash, 'merkle node hash'),
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
