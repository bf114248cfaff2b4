import { isPowerOfTwo } from './bits.js';
import { EMPTY_TREE_ROOT, hashChildren } from './hash.js';

/**
 * RFC 9162 hash of a range given the hashes of its perfect subtrees, largest first: the split rule of §2.1.1 always
 * puts the largest perfect subtree on the left, so the range hash is a right fold.
 */
export function foldSubtrees(hashes: readonly Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1];
  if (acc === undefined) return EMPTY_TREE_ROOT;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i] as Uint8Array, acc);
  return acc;
}

/** Hash of a perfect subtree from the 2^k consecutive, aligned node hashes one or more levels below it. */
export function foldPerfect(hashes: readonly Uint8Array[]): Uint8Array {
  if (!isPowerOfTwo(hashes.length)) {
    throw new RangeError(`a perfect subtree folds a power-of-two run of hashes, got ${hashes.length}`);
  }
  let level = hashes;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(hashChildren(level[i] as Uint8Array, level[i + 1] as Uint8Array));
    }
    level = next;
  }
  return level[0] as Uint8Array;
}
