import { bitLength, isTreeSize, powerOfTwoAtMost } from './bits.js';
import type { NodeId } from './node-id.js';

/**
 * The perfect subtrees that make up the leaves [start, end), left to right and largest first, so that the RFC 9162
 * hash of the range is the right fold of their hashes. Every range an RFC 9162 proof refers to has this shape; a range
 * whose pieces would straddle node boundaries (such as [1, 3)) is rejected because no stored node covers it.
 */
export function perfectSubtrees(start: number, end: number): NodeId[] {
  if (!isTreeSize(start) || !isTreeSize(end) || start > end) {
    throw new RangeError(`invalid leaf range [${start}, ${end})`);
  }
  const nodes: NodeId[] = [];
  let position = start;
  while (position < end) {
    const width = powerOfTwoAtMost(end - position);
    if (position % width !== 0) {
      throw new RangeError(`leaf range [${start}, ${end}) is not aligned to perfect subtrees`);
    }
    nodes.push({ level: bitLength(width) - 1, index: position / width });
    position += width;
  }
  return nodes;
}
