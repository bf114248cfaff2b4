import { isAscii } from 'node:buffer';
import { HASH_SIZE, hashLeaf } from '@audit-ledger/core';
import { EntryField, type EntryRows } from '../../store/entry-rows.js';
import type { EntryColumns } from '../../store/ledger-store.js';
import type { EntryChecker } from './entry-check.js';
import { linksFrom, writeLeafHash } from './page-digests.js';
import { sameHashAt } from './same-hash.js';

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

/** Fills a CheckedPage row by row, in scan order. */
class CheckedPageBuilder {
  readonly page: CheckedPage;
  private previousChain: Uint8Array | null = null;

  constructor(count: number) {
    this.page = {
      count,
      seqs: new Float64Array(count),
      receivedAtMs: new Float64Array(count),
      leafHashes: new Uint8Array(count * HASH_SIZE),
      chainHashes: new Uint8Array(count * HASH_SIZE),
      flags: new Uint8Array(count),
      unusual: [],
      entryFailures: [],
    };
  }

  /**
   * The row's leaf hash, recomputed from its leaf, is already at leafHashes[row * HASH_SIZE]; `storedLeafHash` and
   * `storedChainHash` are the row's columns.
   */
  add(
    row: number,
    seq: number,
    receivedAtMs: number,
    reasons: string[] | null,
    storedLeafHash: Uint8Array,
    storedChainHash: Uint8Array,
  ): void {
    const page = this.page;
    const at = row * HASH_SIZE;
    page.seqs[row] = seq;
    page.receivedAtMs[row] = receivedAtMs;
    if (reasons !== null) page.entryFailures.push({ row, reasons });
    const chainRegular = storedChainHash.byteLength === HASH_SIZE;
    if (chainRegular) page.chainHashes.set(storedChainHash, at);
    let flags = 0;
    if (sameHashAt(storedLeafHash, page.leafHashes, at)) flags |= LEAF_HASH_MATCHES;
    const previousChain = this.previousChain;
    if (previousChain !== null && chainRegular && linksFrom(previousChain, page.leafHashes, at, storedChainHash)) {
      flags |= LINKS_FROM_PREVIOUS_ROW;
    }
    page.flags[row] = flags;
    if ((flags & LEAF_HASH_MATCHES) === 0 || !chainRegular) {
      // Copied so the page holds only these bytes, not the driver's buffers they may share memory with.
      page.unusual.push({ row, leafHash: new Uint8Array(storedLeafHash), chainHash: new Uint8Array(storedChainHash) });
    }
    this.previousChain = chainRegular ? storedChainHash : null;
  }
}

/** Checks each entry of a page on its own (see CheckedPage); `entries` are in scan order. */
export function checkPage(entries: readonly EntryColumns[], checker: EntryChecker): CheckedPage {
  const builder = new CheckedPageBuilder(entries.length);
  entries.forEach((entry, row) => {
    const reasons = checker.check(entry);
    builder.page.leafHashes.set(leafHashOf(entry.leaf), row * HASH_SIZE);
    builder.add(row, entry.seq, entry.receivedAtMs, reasons, entry.leafHash, entry.chainHash);
  });
  return builder.page;
}

const NO_BYTES = new Uint8Array(0);

/**
 * checkPage for rows as they arrived (see EntryRows), with the same result. An ASCII leaf (nearly every one) is hashed
 * as stored and read as text without decoding; any other leaf is decoded and re-encoded exactly as checkPage does.
 */
export function checkEntryRows(rows: EntryRows, checker: EntryChecker): CheckedPage {
  const builder = new CheckedPageBuilder(rows.count);
  const bytes = rows.bytes;
  for (let row = 0; row < rows.count; row++) {
    const leafStart = rows.start(row, EntryField.leaf);
    const leaf = rows.view(row, EntryField.leaf) ?? NO_BYTES;
    let reasons: string[] | null;
    if (isAscii(leaf)) {
      reasons = checker.checkRow(rows, row, bytes.toString('latin1', leafStart, leafStart + leaf.byteLength));
      writeLeafHash(leaf, builder.page.leafHashes, row * HASH_SIZE);
    } else {
      const entry = rows.entry(row);
      reasons = checker.check(entry);
      builder.page.leafHashes.set(leafHashOf(entry.leaf), row * HASH_SIZE);
    }
    builder.add(
      row,
      rows.seq(row),
      rows.float(row, EntryField.receivedAtMs),
      reasons,
      rows.view(row, EntryField.leafHash) ?? NO_BYTES,
      rows.view(row, EntryField.chainHash) ?? NO_BYTES,
    );
  }
  return builder.page;
}
