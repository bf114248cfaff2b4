import { isTreeSize, popCount } from './bits.js';
import { foldSubtrees } from './fold.js';
import { HASH_SIZE, hashChildren } from './hash.js';
import type { NodeId } from './node-id.js';

/**
 * The right edge of a tree of `size` leaves: the hashes of the perfect subtrees of [0, size), largest first (one per
 * set bit of `size`). It is all that is needed to append leaves and compute the root, in O(log size) space.
 */
export type Frontier = { size: number; hashes: Uint8Array[] };

export type CompletedNode = NodeId & { hash: Uint8Array };

// Frozen all the way down: it is shared by every caller, so an accidental push must fail loudly.
export const EMPTY_FRONTIER: Frontier = Object.freeze({
  size: 0,
  hashes: Object.freeze([]) as unknown as Uint8Array[],
});

export type AppendOptions = {
  /** Which levels (≥ 1) to report in `completed`; all of them when absent. */
  keepLevel?: (level: number) => boolean;
};

function assertFrontier(frontier: Frontier): void {
  if (!isTreeSize(frontier.size) || frontier.hashes.length !== popCount(frontier.size)) {
    throw new RangeError(`a frontier of size ${frontier.size} cannot hold ${frontier.hashes.length} hashes`);
  }
}

/**
 * Appends leaf hashes and reports every perfect subtree at level ≥ 1 that the appended leaves complete, in the order
 * they complete, so a store can persist the levels it keeps. The input frontier is not modified.
 */
export function appendToFrontier(
  frontier: Frontier,
  leafHashes: readonly Uint8Array[],
  options: AppendOptions = {},
): { frontier: Frontier; completed: CompletedNode[] } {
  assertFrontier(frontier);
  if (!Number.isSafeInteger(frontier.size + leafHashes.length)) throw new RangeError('tree size overflows');
  const keepLevel = options.keepLevel;
  const stack = frontier.hashes.slice();
  const completed: CompletedNode[] = [];
  let size = frontier.size;
  for (const leafHash of leafHashes) {
    if (leafHash.byteLength !== HASH_SIZE) {
      throw new RangeError(`leaf hash ${size} has ${leafHash.byteLength} bytes, expected ${HASH_SIZE}`);
    }
    size += 1;
    // The new leaf completes one subtree per trailing zero bit of the new size; `count` is the number of
    // subtrees of the current level that now fit, so the completed node at that level is the last of them.
    let hash = leafHash;
    let level = 0;
    let count = size;
    while (count % 2 === 0) {
      const left = stack.pop();
      if (left === undefined) throw new RangeError('frontier is inconsistent with its size');
      hash = hashChildren(left, hash);
      level += 1;
      count /= 2;
      if (keepLevel === undefined || keepLevel(level)) completed.push({ level, index: count - 1, hash });
    }
    stack.push(hash);
  }
  return { frontier: { size, hashes: stack }, completed };
}

/** Appends leaf hashes without reporting completed nodes: for verifiers that replay a whole log. */
export function extendFrontier(frontier: Frontier, leafHashes: readonly Uint8Array[]): Frontier {
  return appendToFrontier(frontier, leafHashes, { keepLevel: () => false }).frontier;
}

export function frontierRoot(frontier: Frontier): Uint8Array {
  assertFrontier(frontier);
  return foldSubtrees(frontier.hashes);
}
