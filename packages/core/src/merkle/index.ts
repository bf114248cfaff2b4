export { EMPTY_TREE_ROOT, HASH_SIZE, hashChildren, hashLeaf } from './hash.js';
export { leafRangeOf, type LeafRange, type NodeId } from './node-id.js';
export { perfectSubtrees } from './perfect-subtrees.js';
export { foldPerfect, foldSubtrees } from './fold.js';
export { rootFromLeafHashes } from './root.js';
export {
  appendToFrontier,
  EMPTY_FRONTIER,
  extendFrontier,
  frontierRoot,
  type AppendOptions,
  type CompletedNode,
  type Frontier,
} from './frontier.js';
export { assembleProof, consistencyProofRanges, inclusionProofRanges, nodeIdsOf } from './proof-ranges.js';
export { consistencyProofFromLeaves, inclusionProofFromLeaves } from './proofs-from-leaves.js';
export { ProofError } from './proof-error.js';
export { verifyInclusion } from './verify-inclusion.js';
export { verifyConsistency } from './verify-consistency.js';
export { isStoredLevel, NODE_STRIDE, storedSourceOf } from './sparse-storage.js';
