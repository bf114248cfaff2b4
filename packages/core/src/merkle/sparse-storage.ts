import type { NodeId } from './node-id.js';

/**
 * Stores keep every leaf hash but interior nodes only every NODE_STRIDE levels: that costs about 1/15 of a hash per
 * leaf instead of one, and any node is rebuilt from at most 2^(NODE_STRIDE-1) stored hashes one stride below it.
 */
export const NODE_STRIDE = 4;

export function isStoredLevel(level: number): boolean {
  return Number.isSafeInteger(level) && level >= 0 && level % NODE_STRIDE === 0;
}

/**
 * The stored nodes that fold up (with foldPerfect) to `node`: indices [start, end) at `level`, the nearest stored
 * level at or below it. A node on a stored level is its own single source.
 */
export function storedSourceOf(node: NodeId): { level: number; start: number; end: number } {
  if (!Number.isSafeInteger(node.level) || node.level < 0 || !Number.isSafeInteger(node.index) || node.index < 0) {
    throw new RangeError(`invalid node (level ${node.level}, index ${node.index})`);
  }
  const level = node.level - (node.level % NODE_STRIDE);
  const width = 2 ** (node.level - level);
  return { level, start: node.index * width, end: (node.index + 1) * width };
}
