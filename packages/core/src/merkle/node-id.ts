/** A perfect subtree: the 2^level leaves [index·2^level, (index+1)·2^level). */
export type NodeId = { level: number; index: number };

/** Leaves [start, end), end exclusive. */
export type LeafRange = { start: number; end: number };

export function leafRangeOf(node: NodeId): LeafRange {
  const width = 2 ** node.level;
  return { start: node.index * width, end: (node.index + 1) * width };
}
