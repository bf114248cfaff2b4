import { equalBytes } from '../bytes.js';
import { isPowerOfTwo, isTreeSize } from './bits.js';
import { hashChildren } from './hash.js';
import { ProofError } from './proof-error.js';
import { assertProofHashes } from './verify-inclusion.js';

/**
 * Checks that the tree of `second` leaves with root `secondRoot` extends the tree of `first` leaves with root
 * `firstRoot`, by the algorithm of RFC 9162 §2.2.2. Throws ProofError when it does not hold.
 */
export function verifyConsistency(
  first: number,
  second: number,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): void {
  if (!isTreeSize(first) || !isTreeSize(second)) throw new ProofError(`invalid sizes ${first} and ${second}`);
  // Every tree extends the empty one, so accepting it would prove nothing while looking like a check passed.
  if (first === 0) throw new ProofError('a consistency proof from the empty tree proves nothing');
  if (first > second) throw new ProofError(`first size ${first} is larger than second size ${second}`);
  if (first === second) {
    if (proof.length !== 0) throw new ProofError('trees of equal size need an empty consistency proof');
    if (!equalBytes(firstRoot, secondRoot)) throw new ProofError(`two different roots for tree size ${first}`);
    return;
  }
  if (proof.length === 0) throw new ProofError('consistency proof is empty');
  assertProofHashes(proof);
  // When the old tree is a perfect subtree its root is the proof's implicit first node.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const node of path.slice(1)) {
    if (sn === 0) throw new ProofError(`consistency proof is longer than sizes ${first} and ${second} need`);
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(node, fr);
      sr = hashChildren(node, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = hashChildren(sr, node);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ProofError(`consistency proof is shorter than sizes ${first} and ${second} need`);
  if (!equalBytes(fr, firstRoot)) throw new ProofError(`proof does not lead to the root of tree size ${first}`);
  if (!equalBytes(sr, secondRoot)) throw new ProofError(`proof does not lead to the root of tree size ${second}`);
}
