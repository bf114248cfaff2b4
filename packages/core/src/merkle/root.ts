import { EMPTY_TREE_ROOT, hashChildren } from './hash.js';

/**
 * MTH(D[n]) of RFC 9162 §2.1.1, computed level by level: pairing neighbours and carrying an odd last node up
 * unchanged builds exactly the tree the recursive definition describes, without recursion or slicing.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_TREE_ROOT;
  let level = leafHashes;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      next.push(hashChildren(level[i] as Uint8Array, level[i + 1] as Uint8Array));
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
    level = next;
  }
  return level[0] as Uint8Array;
}
