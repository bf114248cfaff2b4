import { isTreeSize, powerOfTwoBelow } from './bits.js';
import { rootFromLeafHashes } from './root.js';

// Straight transcriptions of the recursive definitions in RFC 9162 §2.1.3.1 and §2.1.4.1, kept independent of the
// range arithmetic in proof-ranges.ts so that each can check the other. They hash O(n) nodes per proof.

function subtreeHash(leafHashes: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  return rootFromLeafHashes(leafHashes.slice(lo, hi));
}

function path(leafHashes: readonly Uint8Array[], m: number, lo: number, hi: number): Uint8Array[] {
  if (hi - lo === 1) return [];
  const k = powerOfTwoBelow(hi - lo);
  if (m < k) return [...path(leafHashes, m, lo, lo + k), subtreeHash(leafHashes, lo + k, hi)];
  return [...path(leafHashes, m - k, lo + k, hi), subtreeHash(leafHashes, lo, lo + k)];
}

function subproof(leafHashes: readonly Uint8Array[], m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
  if (m === hi - lo) return b ? [] : [subtreeHash(leafHashes, lo, hi)];
  const k = powerOfTwoBelow(hi - lo);
  if (m <= k) return [...subproof(leafHashes, m, lo, lo + k, b), subtreeHash(leafHashes, lo + k, hi)];
  return [...subproof(leafHashes, m - k, lo + k, hi, false), subtreeHash(leafHashes, lo, lo + k)];
}

/** Inclusion proof of leaf `index` in the tree made of all of `leafHashes`. */
export function inclusionProofFromLeaves(index: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  if (!isTreeSize(index) || index >= leafHashes.length) {
    throw new RangeError(`no inclusion proof for index ${index} in a tree of size ${leafHashes.length}`);
  }
  return path(leafHashes, index, 0, leafHashes.length);
}

/** Consistency proof between the trees of the first `first` and `second` of `leafHashes`. */
export function consistencyProofFromLeaves(
  first: number,
  second: number,
  leafHashes: readonly Uint8Array[],
): Uint8Array[] {
  if (!isTreeSize(first) || !isTreeSize(second) || first < 1 || first > second || second > leafHashes.length) {
    throw new RangeError(`no consistency proof from size ${first} to size ${second} over ${leafHashes.length} leaves`);
  }
  return subproof(leafHashes, first, 0, second, true);
}
