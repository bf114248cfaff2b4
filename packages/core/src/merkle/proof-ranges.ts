import { isTreeSize, powerOfTwoBelow } from './bits.js';
import { foldSubtrees } from './fold.js';
import type { LeafRange, NodeId } from './node-id.js';
import { perfectSubtrees } from './perfect-subtrees.js';

/**
 * The leaf ranges whose hashes form the RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in a tree of `size`
 * leaves, in proof order (nearest the leaf first).
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) {
    throw new RangeError(`no inclusion proof for index ${index} in a tree of size ${size}`);
  }
  // PATH(m, D[lo:hi]) appends the sibling after recursing, so walking down collects the proof in reverse.
  const ranges: LeafRange[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const split = lo + powerOfTwoBelow(hi - lo);
    if (index < split) {
      ranges.push({ start: split, end: hi });
      hi = split;
    } else {
      ranges.push({ start: lo, end: split });
      lo = split;
    }
  }
  return ranges.reverse();
}

/**
 * The leaf ranges whose hashes form the RFC 9162 §2.1.4.1 consistency proof between trees of `first` and `second`
 * leaves, in proof order. Empty when the sizes are equal; a proof from the empty tree proves nothing and is refused.
 */
export function consistencyProofRanges(first: number, second: number): LeafRange[] {
  if (!isTreeSize(first) || !isTreeSize(second) || first < 1 || first > second) {
    throw new RangeError(`no consistency proof from size ${first} to size ${second}`);
  }
  // SUBPROOF(m, D[lo:hi], b), unrolled: `whole` is b, true while the old tree is still a prefix of D[lo:hi]
  // that ends on the left edge; once the walk turns right, the old tree's last subtree must itself be shown.
  const ranges: LeafRange[] = [];
  let lo = 0;
  let hi = second;
  let whole = true;
  while (first !== hi) {
    const split = lo + powerOfTwoBelow(hi - lo);
    if (first <= split) {
      ranges.push({ start: split, end: hi });
      hi = split;
    } else {
      ranges.push({ start: lo, end: split });
      lo = split;
      whole = false;
    }
  }
  if (!whole) ranges.push({ start: lo, end: hi });
  return ranges.reverse();
}

/** The perfect subtrees a store must supply to assemble a proof over `ranges`, in the order `assembleProof` wants. */
export function nodeIdsOf(ranges: readonly LeafRange[]): NodeId[] {
  return ranges.flatMap((range) => perfectSubtrees(range.start, range.end));
}

/** Turns the hashes of `nodeIdsOf(ranges)` into the proof: one hash per range, folded from its perfect subtrees. */
export function assembleProof(ranges: readonly LeafRange[], hashesOfNodeIds: readonly Uint8Array[]): Uint8Array[] {
  const proof: Uint8Array[] = [];
  let next = 0;
  for (const range of ranges) {
    const count = perfectSubtrees(range.start, range.end).length;
    if (next + count > hashesOfNodeIds.length) break;
    proof.push(foldSubtrees(hashesOfNodeIds.slice(next, next + count)));
    next += count;
  }
  if (proof.length !== ranges.length || next !== hashesOfNodeIds.length) {
    throw new RangeError(`the ranges need ${nodeIdsOf(ranges).length} node hashes, got ${hashesOfNodeIds.length}`);
  }
  return proof;
}
