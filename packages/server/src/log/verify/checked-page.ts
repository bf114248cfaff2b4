import { chainHash, HASH_SIZE, hashLeaf } from '@audit-ledger/core';
import type { EntryColumns } from '../../store/ledger-store.js';
import type { EntryChecker } from './entry-check.js';
import { sameHash } from './same-hash.js';

/** The stored leaf_hash equals the one recomputed from the leaf. */
export const LEAF_HASH_MATCHES = 1;
/** The stored chain_hash equals SHA-256(stored chain_hash of the row before in the page || recomputed leaf hash). */
export const LINKS_FROM_PREVIOUS_ROW = 2;

/**
 * One page of entries after everything that can be checked row by row, in the page's row order, compact enough to
 * cross threads without copying (its typed arrays are transferable): what the log replay needs, and nothing else.
 */
export interface CheckedPage {
  count: number;
  seqs: Float64Array;
  receivedAtMs: Float64Array;
  /** Leaf hashes recomputed from the leaves, HASH_SIZE bytes per row. */
  leafHashes: Uint8Array;
  /** The stored chain_hash, HASH_SIZE bytes per row; zeros where it has another length (see `unusual`). */
  chainHashes: Uint8Array;
  /** LEAF_HASH_MATCHES and LINKS_FROM_PREVIOUS_ROW per row. */
  flags: Uint8Array;
  /**
   * Rows whose stored leaf_hash is not the recomputed one or whose stored chain_hash is not HASH_SIZE bytes long, by
   * ascending row, with both values as stored.
   */
  unusual: Array<{ row: number; leafHash: Uint8Array; chainHash: Uint8Array }>;
  /** The failures of rows whose leaf or columns are wrong (see EntryChecker), by ascending row. */
  entryFailures: Array<{ row: number; reasons: string[] }>;
}

/** The ArrayBuffers a page may hand over to another thread. */
export function transferablesOf(page: CheckedPage): ArrayBuffer[] {
  return [page.seqs, page.receivedAtMs, page.leafHashes, page.chainHashes, page.flags].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

// Leaves are encoded into one growing buffer rather than a fresh Buffer each.
let encoded = Buffer.allocUnsafe(16 * 1024);

function leafHashOf(leaf: string): Uint8Array {
  if (leaf.length * 3 > encoded.length) encoded = Buffer.allocUnsafe(leaf.length * 3);
  const length = encoded.write(leaf, 0, 'utf8');
  return hashLeaf(encoded.subarray(0, length));
}

/** Checks each entry of a page on its own (see CheckedPage); `entries` are in scan order. */
export function checkPage(entries: readonly EntryColumns[], checker: EntryChecker): CheckedPage {
  const count = entries.length;
  const page: CheckedPage = {
    count,
    seqs: new Float64Array(count),
    receivedAtMs: new Float64Array(count),
    leafHashes: new Uint8Array(count * HASH_SIZE),
    chainHashes: new Uint8Array(count * HASH_SIZE),
    flags: new Uint8Array(count),
    unusual: [],
    entryFailures: [],
  };
  let previousChain: Uint8Array | null = null;
  for (let row = 0; row < count; row++) {
    const entry = entries[row] as EntryColumns;
    page.seqs[row] = entry.seq;
    page.receivedAtMs[row] = entry.receivedAtMs;
    const reasons = checker.check(entry);
    if (reasons !== null) page.entryFailures.push({ row, reasons });

    const leafHash = leafHashOf(entry.leaf);
    page.leafHashes.set(leafHash, row * HASH_SIZE);
    const chainRegular = entry.chainHash.byteLength === HASH_SIZE;
    if (chainRegular) page.chainHashes.set(entry.chainHash, row * HASH_SIZE);
    let flags = 0;
    if (sameHash(leafHash, entry.leafHash)) flags |= LEAF_HASH_MATCHES;
    if (previousChain !== null && chainRegular && sameHash(chainHash(previousChain, leafHash), entry.chainHash)) {
      flags |= LINKS_FROM_PREVIOUS_ROW;
    }
    page.flags[row] = flags;
    if ((flags & LEAF_HASH_MATCHES) === 0 || !chainRegular) {
      // Copied so the page holds only these bytes, not the driver's buffers they may share memory with.
      page.unusual.push({ row, leafHash: new Uint8Array(entry.leafHash), chainHash: new Uint8Array(entry.chainHash) });
    }
    previousChain = chainRegular ? entry.chainHash : null;
  }
  return page;
}
