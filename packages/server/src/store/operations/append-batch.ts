import { equalBytes } from '@audit-ledger/core';
import { ADVISORY_LOCK } from '../advisory-locks.js';
import type { AppendBatch, EventRow, LogHead } from '../ledger-store.js';
import { createMissingPartitions, monthOf, partitionNameOf } from '../partitions.js';
import { preparedSql, sqlStateOf, type SqlExecutor } from '../sql-driver.js';
import type { WriterRole } from '../writer-role.js';
import { HASH_BYTES } from './rows.js';
import { spellingsOf } from './read-write-position.js';

// The append is one call of the audit_ledger_append function (migration 008), which takes the log's lock, checks the
// head the batch follows and writes events, Merkle nodes and the new head; its comment says how the bulky columns are
// packed. Every write runs it, so the call is prepared (see PreparedSql).
const APPEND = preparedSql(
  'audit_ledger_append',
  `SELECT audit_ledger_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                              $21, $22, $23, $24, $25, $26, $27, $28) AS appended`,
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

/** Where the batch must land: after the head of this size (and, when known, this chain hash). */
interface AppendCondition {
  asWriter: boolean;
  expectedSize: number;
  expectedChain: Uint8Array | null;
  /** Lower-case UUIDs that must not be stored yet. */
  unseen: readonly string[];
}

/** The APPEND call's parameters; expects a batch assertCoherent accepted. */
function appendParams(tenant: string, batch: AppendBatch, condition: AppendCondition): unknown[] {
  const { events, nodes, head } = batch;
  return [
    ADVISORY_LOCK.TENANT_LOG,
    tenant,
    condition.asWriter,
    condition.expectedSize,
    condition.expectedChain,
    condition.unseen,
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

/** Runs the APPEND call: false when its condition did not hold, and nothing was written. */
async function callAppend(db: SqlExecutor, params: readonly unknown[]): Promise<boolean> {
  const { rows } = await db.query<{ appended: boolean }>(APPEND, params);
  return rows[0]?.appended === true;
}

function monthsOf(batch: AppendBatch): string[] {
  return [...new Set(batch.events.map((e) => partitionNameOf(monthOf(e.receivedAt))))];
}

/**
 * Writes one batch inside a transaction that holds the log's lock and has just read the head: its events, the Merkle
 * nodes it completes and the new head, in one statement. A received_at outside every partition should never happen
 * (partitions are created months ahead), but if it does the batch is not lost: for a month this process has not
 * appended to yet, the statement runs under a savepoint, so on "no partition" it is undone, the missing month is
 * created as the connecting user (the writer role may not run DDL), and the statement is tried once more. Later
 * batches of a month already written skip the two savepoint round trips. Returns the months written under a
 * savepoint, to be remembered once the transaction commits: a partition created in a transaction that then rolls back
 * does not exist.
 */
export async function appendBatch(
  tx: SqlExecutor,
  tenant: string,
  batch: AppendBatch,
  options: { role: WriterRole | null; writtenMonths: WrittenMonths },
): Promise<string[]> {
  assertCoherent(tenant, batch);
  // The caller read the head under the lock it still holds, so the size check can only fail if the batch does not
  // follow that head: a bug, never a reason to write.
  const params = appendParams(tenant, batch, {
    asWriter: options.role !== null,
    expectedSize: batch.events[0]?.seq ?? 0,
    expectedChain: null,
    unseen: [],
  });
  const append = async (): Promise<void> => {
    if (!(await callAppend(tx, params))) {
      const size = batch.events[0]?.seq;
      throw new RangeError(`the batch for ${tenant} does not follow the head its writer read (size ${size})`);
    }
  };
  const months = monthsOf(batch);
  if (months.every((month) => options.writtenMonths.has(month))) {
    await append();
    return [];
  }
  const { role } = options;
  await tx.query('SAVEPOINT append_batch');
  try {
    await append();
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
    await append();
  }
  await tx.query('RELEASE SAVEPOINT append_batch');
  return months;
}

/**
 * Appends the batch in one statement committed on its own (db outside any transaction): it takes the log's lock,
 * and writes only if the head is still `expected` and none of `unseen` is stored (ids that are not UUIDs never are).
 * Answers false, having written nothing, when the log has moved on, an id is taken, or the batch would be the first
 * this process writes into its month (a missing partition is handled by appendBatch's savepoint instead).
 */
export async function appendIfHead(
  db: SqlExecutor,
  tenant: string,
  expected: LogHead,
  unseen: readonly string[],
  batch: AppendBatch,
  options: { asWriter: boolean; writtenMonths: WrittenMonths },
): Promise<boolean> {
  assertCoherent(tenant, batch);
  if (batch.events[0]?.seq !== expected.size) {
    const first = batch.events[0]?.seq;
    throw new RangeError(`the batch for ${tenant} starts at seq ${first}, not after a head of size ${expected.size}`);
  }
  if (!monthsOf(batch).every((month) => options.writtenMonths.has(month))) return false;
  return callAppend(
    db,
    appendParams(tenant, batch, {
      asWriter: options.asWriter,
      expectedSize: expected.size,
      expectedChain: expected.chainHash,
      unseen: [...spellingsOf(unseen).keys()],
    }),
  );
}
