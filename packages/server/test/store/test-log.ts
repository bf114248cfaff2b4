import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AppendBatch, EventRow, LogHead, MerkleNode } from '../../src/store/ledger-store.js';

// Test data for the store, computed straight from RFC 9162 with node:crypto so the store is checked against
// hashes it had no part in.

export const STORED_LEVELS = [4, 8, 12, 16];

export function leafHashOf(leaf: string): Uint8Array {
  return createHash('sha256').update(Buffer.from([0x00])).update(leaf, 'utf8').digest();
}

export function nodeHashOf(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(Buffer.from([0x01])).update(left).update(right).digest();
}

export function chainHashOf(previous: Uint8Array, leafHash: Uint8Array): Uint8Array {
  return createHash('sha256').update(previous).update(leafHash).digest();
}

/** Hash of the perfect subtree over leafHashes[start, start + width), by plain recursion. */
export function subtreeHash(leafHashes: readonly Uint8Array[], start: number, width: number): Uint8Array {
  if (width === 1) {
    const leaf = leafHashes[start];
    if (leaf === undefined) throw new RangeError(`no leaf ${start}`);
    return leaf;
  }
  const half = width / 2;
  return nodeHashOf(subtreeHash(leafHashes, start, half), subtreeHash(leafHashes, start + half, half));
}

/** The perfect subtrees of [0, size), largest first. */
export function frontierOf(leafHashes: readonly Uint8Array[], size: number): Uint8Array[] {
  const hashes: Uint8Array[] = [];
  let start = 0;
  for (let width = 2 ** Math.floor(Math.log2(Math.max(size, 1))); width >= 1; width /= 2) {
    if (start + width <= size) {
      hashes.push(subtreeHash(leafHashes, start, width));
      start += width;
    }
  }
  return hashes;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export interface EventShape {
  receivedAt?: Date;
  occurredAt?: Date;
  action?: string;
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: string;
  searchText?: string;
  id?: string;
  /** The data subject the event names; none by default. */
  subjectId?: string | null;
}

/** An event whose leaf is random text: enough for the store, which never parses leaves. */
export function eventRow(tenant: string, seq: number, previousChain: Uint8Array, shape: EventShape = {}): EventRow {
  const leaf = JSON.stringify({ seq, tenant, nonce: randomBytes(12).toString('hex') });
  const leafHash = leafHashOf(leaf);
  const receivedAt = shape.receivedAt ?? new Date();
  return {
    tenant,
    seq,
    id: shape.id ?? randomUUID(),
    receivedAt,
    occurredAt: shape.occurredAt ?? receivedAt,
    action: shape.action ?? 'user.login',
    actorId: shape.actorId ?? 'user-1',
    resourceType: shape.resourceType ?? 'session',
    resourceId: shape.resourceId ?? `session-${seq}`,
    outcome: shape.outcome ?? 'success',
    leaf,
    leafHash,
    chainHash: chainHashOf(previousChain, leafHash),
    requestHash: randomBytes(32),
    searchText: shape.searchText ?? '',
    subjectId: shape.subjectId ?? null,
  };
}

/** Builds consecutive batches of one tenant's log, with the Merkle nodes each batch completes and the new head. */
export class TestLog {
  readonly leafHashes: Uint8Array[] = [];
  readonly events: EventRow[] = [];
  private chain: Uint8Array = new Uint8Array(32);

  constructor(readonly tenant: string) {}

  get size(): number {
    return this.leafHashes.length;
  }

  nextBatch(shapes: readonly EventShape[] | number): AppendBatch {
    const list: readonly EventShape[] = typeof shapes === 'number' ? Array.from({ length: shapes }, () => ({})) : shapes;
    const before = this.size;
    const events: EventRow[] = [];
    for (const shape of list) {
      const row = eventRow(this.tenant, this.size, this.chain, shape);
      this.chain = row.chainHash;
      this.leafHashes.push(row.leafHash);
      this.events.push(row);
      events.push(row);
    }
    const nodes: MerkleNode[] = [];
    for (const level of STORED_LEVELS) {
      const width = 2 ** level;
      for (let index = Math.floor(before / width); (index + 1) * width <= this.size; index++) {
        if ((index + 1) * width <= before) continue;
        nodes.push({ level, index, hash: subtreeHash(this.leafHashes, index * width, width) });
      }
    }
    const last = events[events.length - 1];
    const head: LogHead = {
      size: this.size,
      chainHash: this.chain,
      frontier: frontierOf(this.leafHashes, this.size),
      lastReceivedAt: last?.receivedAt ?? null,
    };
    return { events, nodes, head };
  }
}

/** The one-event batch that follows `head`: what a writer that only knows the head can append. */
export function batchAfter(tenant: string, head: LogHead): AppendBatch {
  const row = eventRow(tenant, head.size, head.chainHash);
  // Appending a leaf merges it with equally sized subtrees at the right edge, one per trailing 1 bit of the old size.
  const frontier = [...head.frontier];
  const nodes: MerkleNode[] = [];
  const size = head.size + 1;
  let hash = row.leafHash;
  let level = 0;
  for (let rest = head.size; rest % 2 === 1; rest = Math.floor(rest / 2)) {
    const left = frontier.pop();
    if (left === undefined) throw new RangeError('frontier does not match size');
    hash = nodeHashOf(left, hash);
    level += 1;
    if (STORED_LEVELS.includes(level)) nodes.push({ level, index: size / 2 ** level - 1, hash });
  }
  frontier.push(hash);
  return {
    events: [row],
    nodes,
    head: { size, chainHash: row.chainHash, frontier, lastReceivedAt: row.receivedAt },
  };
}
