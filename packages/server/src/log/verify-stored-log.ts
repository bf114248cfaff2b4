import {
  appendToFrontier,
  canonicalJson,
  chainHash,
  EMPTY_FRONTIER,
  equalBytes,
  extendFrontier,
  frontierRoot,
  GENESIS_CHAIN_HASH,
  HASH_SIZE,
  hashLeaf,
  isStoredLevel,
  openNote,
  parseCheckpoint,
  parseTimestamp,
  type CompletedNode,
  type Frontier,
  type VerifierKey,
} from '@audit-ledger/core';
import type { VerifyFailure, VerifyReport } from '../app-context.js';
import type { LedgerStore, LogHead, StoredEventColumns } from '../store/ledger-store.js';

export interface VerifyStoredLogOptions {
  /** Keys the log's checkpoints may be signed with; only those named after `origin` count. */
  verifierKeys: readonly VerifierKey[];
  /** The log's C2SP origin, which every checkpoint must carry. */
  origin: string;
  /** Called after each page with the number of entries checked so far. */
  onProgress?: (checked: number) => void;
  /** Entries read per store call. */
  pageSize?: number;
  /** Most failures listed in the report (the lowest seqs are kept); all of them are counted. */
  maxFailures?: number;
}

export interface StoredLogReport extends VerifyReport {
  /** Every failure found, including those beyond the listed ones. */
  failureCount: number;
}

export const DEFAULT_VERIFY_PAGE_SIZE = 8192;
export const DEFAULT_MAX_LISTED_FAILURES = 100;

/** Largest level a stored Merkle node of a safe-integer-sized tree can have. */
const MAX_TREE_LEVEL = 53;

/** Failures kept in seq order with a bounded list, so a log rewritten from its first entry does not exhaust memory. */
export class FailureList {
  private items: Array<VerifyFailure & { order: number }> = [];
  private added = 0;

  constructor(private readonly limit: number) {}

  add(seq: number, reason: string): void {
    this.items.push({ seq, reason, order: this.added });
    this.added += 1;
    if (this.items.length >= this.limit * 2) this.trim();
  }

  get count(): number {
    return this.added;
  }

  list(): VerifyFailure[] {
    this.trim();
    return this.items.map(({ seq, reason }) => ({ seq, reason }));
  }

  private trim(): void {
    this.items.sort((a, b) => a.seq - b.seq || a.order - b.order);
    this.items.length = Math.min(this.items.length, this.limit);
  }
}

/** Keys of every object, in property order, ascend strictly by UTF-16 code units (the RFC 8785 order). */
function keysAscend(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!keysAscend(item)) return false;
    return true;
  }
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!keysAscend((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * Whether `text` is exactly the RFC 8785 form of `value` (its parse). JSON.stringify writes strings and numbers the
 * way RFC 8785 does, so when it reproduces the text and every object's keys already ascend, the text is canonical;
 * that costs about a third of serialising canonically, which dominates verification. Anything else (escaped lone
 * surrogates, integer-like keys that property order moves to the front) is decided by canonicalJson itself.
 */
function isCanonicalText(text: string, value: unknown): boolean {
  if (!text.includes('\\ud') && JSON.stringify(value) === text && keysAscend(value)) return true;
  try {
    return canonicalJson(value) === text;
  } catch {
    return false;
  }
}

export type LeafParse = { ok: true; event: Record<string, unknown> } | { ok: false; reason: string };

/** Parses leaf text and checks that it is the canonical JSON of a JSON object, as every sealed event is. */
export function parseCanonicalLeaf(text: string): LeafParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'leaf is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'leaf is not a JSON object' };
  }
  if (!isCanonicalText(text, value)) return { ok: false, reason: 'leaf is not canonical JSON (RFC 8785)' };
  return { ok: true, event: value as Record<string, unknown> };
}

function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined;
}

function sameInstant(text: unknown, date: Date): boolean {
  if (typeof text !== 'string') return false;
  // The service writes UTC with milliseconds, so the string comparison settles almost every entry without parsing.
  if (text.length === 24 && text === date.toISOString()) return true;
  const parsed = parseTimestamp(text);
  return parsed.ok && parsed.epochMs === date.getTime();
}

/** Names of the columns of `row` that do not hold what the sealed event says. */
function differingColumns(row: StoredEventColumns, event: Record<string, unknown>): string[] {
  const differing: string[] = [];
  if (event.seq !== row.seq) differing.push('seq');
  if (event.id !== row.id) differing.push('id');
  if (event.tenant !== row.tenant) differing.push('tenant_id');
  if (!sameInstant(event.received_at, row.receivedAt)) differing.push('received_at');
  if (!sameInstant(event.occurred_at, row.occurredAt)) differing.push('occurred_at');
  if (event.action !== row.action) differing.push('action');
  if (field(event.actor, 'id') !== row.actorId) differing.push('actor_id');
  if (field(event.resource, 'type') !== row.resourceType) differing.push('resource_type');
  if (field(event.resource, 'id') !== row.resourceId) differing.push('resource_id');
  if (event.outcome !== row.outcome) differing.push('outcome');
  return differing;
}

function sameHashes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!equalBytes(a[i] as Uint8Array, b[i] as Uint8Array)) return false;
  return true;
}

/** The head's stored frontier, if it has the shape a frontier of its size must have (one hash per set bit). */
function frontierOf(head: LogHead): Frontier | null {
  if (head.frontier.some((hash) => hash.byteLength !== HASH_SIZE)) return null;
  try {
    return extendFrontier({ size: head.size, hashes: head.frontier }, []);
  } catch {
    return null;
  }
}

function bySize<T extends { size: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.size - b.size);
}

interface SignedRoot {
  size: number;
  rootHash: Uint8Array;
}

/**
 * Recomputes a tenant's log from the stored entries and checks everything else stored against it, trusting none of
 * it: each entry's leaf (canonical, matching every column copy), leaf hash and chain link, seq contiguity and
 * received_at order; every stored Merkle node; every log head; every checkpoint's signature, body and root.
 *
 * A problem is reported once, at the first seq it affects; where a stored value disagrees with what is recomputed,
 * checking continues from whichever of the two the following entries agree with, so one altered value is not
 * reported again at every later entry. Memory stays at one page plus O(log n), besides the head and checkpoint lists
 * the store returns whole.
 */
export async function verifyStoredLog(
  store: LedgerStore,
  tenant: string,
  options: VerifyStoredLogOptions,
): Promise<StoredLogReport> {
  const pageSize = options.pageSize ?? DEFAULT_VERIFY_PAGE_SIZE;
  const failures = new FailureList(options.maxFailures ?? DEFAULT_MAX_LISTED_FAILURES);
  const fail = (seq: number, reason: string): void => failures.add(seq, reason);
  const keys = options.verifierKeys.filter((key) => key.name === options.origin);
  if (keys.length === 0) throw new RangeError(`no verifier key is named after the log's origin ${options.origin}`);

  // Checkpoints are read before heads and heads before entries: each is written after what it covers, so a log that
  // grows meanwhile only adds entries beyond what was listed, never a checkpoint or head without its entries.
  const roots = checkSignatures(await store.listCheckpoints(tenant));
  const heads = bySize(await store.listHeads(tenant));
  let target = heads.at(-1)?.size ?? 0;

  let position = 0; // the seq the next entry must have
  let rowsSeen = 0;
  let cursor = 0; // the seq the next page starts at
  let chain = GENESIS_CHAIN_HASH;
  // After an entry's stored chain_hash disagreed with the recomputed one: that stored value, in case the entries
  // after it continue from it (the change was earlier in the log) rather than from the recomputed one.
  let storedChain: Uint8Array | null = null;
  let chainKnown = true;
  let frontier: Frontier = EMPTY_FRONTIER;
  let treeKnown = true;
  let pending: Uint8Array[] = [];
  let completed: CompletedNode[] = [];
  let lastReceivedAt: Date | null = null;
  let headIndex = 0;
  let rootIndex = 0;

  function checkSignatures(records: Awaited<ReturnType<LedgerStore['listCheckpoints']>>): SignedRoot[] {
    const signed: SignedRoot[] = [];
    for (const record of bySize(records)) {
      const label = `checkpoint at size ${record.size}`;
      const seq = Math.max(record.size - 1, 0);
      let text: string;
      try {
        text = openNote(record.note, keys).text;
      } catch (error) {
        fail(seq, `${label}: signature invalid (${error instanceof Error ? error.message : String(error)})`);
        continue;
      }
      let checkpoint;
      try {
        checkpoint = parseCheckpoint(text);
      } catch (error) {
        fail(seq, `${label}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (checkpoint.origin !== options.origin) {
        fail(seq, `${label}: origin ${checkpoint.origin} is not the log's origin ${options.origin}`);
        continue;
      }
      if (checkpoint.size !== record.size) fail(seq, `${label}: the signed note says size ${checkpoint.size}`);
      if (!equalBytes(checkpoint.rootHash, record.rootHash)) fail(seq, `${label}: root_hash column differs from the signed note`);
      signed.push({ size: checkpoint.size, rootHash: checkpoint.rootHash });
    }
    return bySize(signed);
  }

  function flush(): void {
    if (pending.length === 0) return;
    const appended = appendToFrontier(frontier, pending, { keepLevel: isStoredLevel });
    frontier = appended.frontier;
    for (const node of appended.completed) completed.push(node);
    pending = [];
  }

  /** Checks the heads and signed roots recorded at the current size; those inside a gap cannot be checked. */
  function checkBoundary(): void {
    for (; headIndex < heads.length && (heads[headIndex] as LogHead).size <= position; headIndex++) {
      const head = heads[headIndex] as LogHead;
      if (head.size < position) continue;
      const label = `log head at size ${head.size}`;
      const seq = head.size - 1;
      const chainMatches =
        equalBytes(head.chainHash, chain) || (storedChain !== null && equalBytes(head.chainHash, storedChain));
      if (chainKnown && !chainMatches) fail(seq, `${label}: chain hash does not match the log`);
      const receivedMatches =
        head.lastReceivedAt === null || lastReceivedAt === null
          ? head.lastReceivedAt === lastReceivedAt
          : head.lastReceivedAt.getTime() === lastReceivedAt.getTime();
      if (!receivedMatches) fail(seq, `${label}: last_received_at differs from entry ${seq}`);
      if (treeKnown) {
        flush();
        if (!sameHashes(head.frontier, frontier.hashes)) fail(seq, `${label}: frontier does not match the log`);
      } else {
        // After missing entries the tree cannot be recomputed; the head's frontier is the best place to resume.
        const resumed = frontierOf(head);
        if (resumed !== null) {
          frontier = resumed;
          treeKnown = true;
        }
      }
    }
    for (; rootIndex < roots.length && (roots[rootIndex] as SignedRoot).size <= position; rootIndex++) {
      const signed = roots[rootIndex] as SignedRoot;
      if (signed.size < position || !treeKnown) continue;
      flush();
      if (!equalBytes(frontierRoot(frontier), signed.rootHash)) {
        fail(Math.max(signed.size - 1, 0), `checkpoint at size ${signed.size}: root does not match the log`);
      }
    }
  }

  function skipGap(seq: number): void {
    const missing = seq - position;
    fail(position, missing === 1 ? `entry missing (gap before seq ${seq})` : `${missing} entries missing (gap before seq ${seq})`);
    position = seq;
    chainKnown = false;
    storedChain = null;
    treeKnown = false;
    pending = [];
  }

  /**
   * The chain value the entry's stored chain_hash follows from, given its leaf hash: the recomputed chain, or the
   * stored value an earlier entry disagreed on. Null when it follows from neither (or the predecessor is missing).
   */
  function linkFrom(row: StoredEventColumns, leafHash: Uint8Array): Uint8Array | null {
    if (!chainKnown) return null;
    const expected = chainHash(chain, leafHash);
    if (equalBytes(expected, row.chainHash)) return expected;
    if (storedChain === null) return null;
    const fromStored = chainHash(storedChain, leafHash);
    return equalBytes(fromStored, row.chainHash) ? fromStored : null;
  }

  function checkEntry(row: StoredEventColumns): void {
    const seq = row.seq;
    const leaf = parseCanonicalLeaf(row.leaf);
    if (!leaf.ok) fail(seq, leaf.reason);
    else {
      const differing = differingColumns(row, leaf.event);
      if (differing.length > 0) {
        const sealedSeq = leaf.event.seq;
        if (differing.includes('seq') && typeof sealedSeq === 'number') {
          fail(seq, `entry out of place: the sealed event has seq ${sealedSeq}`);
        }
        const others = differing.filter((name) => name !== 'seq');
        if (others.length === 1) fail(seq, `column ${others[0]} differs from the sealed event`);
        if (others.length > 1) fail(seq, `columns ${others.join(', ')} differ from the sealed event`);
      }
    }

    if (lastReceivedAt !== null && row.receivedAt.getTime() < lastReceivedAt.getTime()) {
      fail(seq, 'received_at is earlier than the entry before');
    }
    lastReceivedAt = row.receivedAt;

    const computed = hashLeaf(Buffer.from(row.leaf, 'utf8'));
    let leafHash = computed;
    let link: Uint8Array | null;
    if (equalBytes(computed, row.leafHash)) {
      link = linkFrom(row, computed);
    } else {
      // If the stored leaf hash still chains, the leaf text changed after it was sealed and the rest of the log was
      // built on the stored hash; otherwise the leaf_hash column itself was altered.
      const viaStored = row.leafHash.byteLength === HASH_SIZE ? linkFrom(row, row.leafHash) : null;
      if (viaStored !== null) {
        fail(seq, 'leaf hash does not match leaf (the leaf was changed after it was sealed)');
        leafHash = row.leafHash;
        link = viaStored;
      } else {
        fail(seq, 'leaf hash does not match leaf');
        link = linkFrom(row, computed);
      }
    }

    if (!chainKnown) {
      // The predecessor is missing: the link cannot be checked, only followed.
      if (row.chainHash.byteLength === HASH_SIZE) {
        chain = row.chainHash;
        chainKnown = true;
      }
    } else if (link !== null) {
      chain = link;
      storedChain = null;
    } else {
      fail(seq, 'chain hash does not follow from the previous entry');
      chain = chainHash(chain, leafHash);
      storedChain = row.chainHash.byteLength === HASH_SIZE ? row.chainHash : null;
    }

    if (treeKnown) pending.push(leafHash);
    position = seq + 1;
  }

  async function checkNodes(): Promise<void> {
    flush();
    if (completed.length === 0) return;
    const byLevel = new Map<number, CompletedNode[]>();
    for (const node of completed) {
      const level = byLevel.get(node.level);
      if (level === undefined) byLevel.set(node.level, [node]);
      else level.push(node);
    }
    completed = [];
    for (const [level, nodes] of byLevel) {
      const first = (nodes[0] as CompletedNode).index;
      const last = (nodes[nodes.length - 1] as CompletedNode).index;
      const stored = new Map<number, Uint8Array>();
      for (const node of await store.scanNodes(tenant, level, first, last + 1)) stored.set(node.index, node.hash);
      for (const node of nodes) {
        const seq = (node.index + 1) * 2 ** level - 1;
        const hash = stored.get(node.index);
        if (hash === undefined) fail(seq, `merkle node level ${level} index ${node.index} missing`);
        else if (!equalBytes(hash, node.hash)) fail(seq, `merkle node level ${level} index ${node.index} does not match the log`);
      }
    }
  }

  /** Checks every entry with seq in [cursor, end), page by page, reading the next page while checking one. */
  async function scanTo(end: number): Promise<void> {
    const read = (): Promise<StoredEventColumns[]> | null => {
      if (cursor >= end) return null;
      const page = store.scanEvents(tenant, cursor, Math.min(end, cursor + pageSize));
      cursor = Math.min(end, cursor + pageSize);
      // Handled when awaited; this only keeps a failure during the previous page from counting as unhandled.
      page.catch(() => undefined);
      return page;
    };
    for (let next = read(); next !== null; ) {
      const rows = await next;
      next = read();
      for (const row of rows) {
        rowsSeen += 1;
        if (row.seq < position) {
          fail(row.seq, `duplicate entry: another row also has seq ${row.seq}`);
          continue;
        }
        if (row.seq > position) skipGap(row.seq);
        checkEntry(row);
        checkBoundary();
      }
      await checkNodes();
      options.onProgress?.(rowsSeen);
    }
  }

  checkBoundary();
  await scanTo(target);
  let beyondHead = false;
  for (;;) {
    const more = await store.scanEvents(tenant, cursor, cursor + pageSize);
    if (more.length === 0) break;
    const newest = await store.getHead(tenant);
    if (!beyondHead && newest.size > target) {
      // Written since the heads were read: verify the growth too.
      for (const head of bySize(await store.listHeads(tenant))) if (head.size > target) heads.push(head);
      target = newest.size;
      await scanTo(target);
      continue;
    }
    if (!beyondHead) fail(target, `entries beyond the newest log head (size ${target})`);
    beyondHead = true;
    await scanTo(cursor + pageSize);
  }
  if (position < target) {
    fail(position, `entries ${position}..${target - 1} missing: the newest log head has size ${target}`);
  }

  const grewMeanwhile = (await store.getHead(tenant)).size > target;
  if (!grewMeanwhile) {
    for (const signed of roots) {
      if (signed.size > position) {
        fail(position, `checkpoint at size ${signed.size}: covers entries the log does not have (it has ${position})`);
      }
    }
    const stored = await store.countEvents(tenant);
    if (stored > rowsSeen) fail(position, `${stored - rowsSeen} stored entries lie outside seq 0..${position - 1}`);
    for (let level = 1; level <= MAX_TREE_LEVEL; level++) {
      if (!isStoredLevel(level)) continue;
      const beyond = await store.scanNodes(tenant, level, Math.floor(position / 2 ** level), Number.MAX_SAFE_INTEGER);
      const first = beyond[0];
      if (first !== undefined) fail(position, `merkle node level ${level} index ${first.index} lies beyond the log`);
    }
  }

  return {
    ok: failures.count === 0,
    size: target,
    checked: rowsSeen,
    failures: failures.list(),
    failureCount: failures.count,
  };
}
