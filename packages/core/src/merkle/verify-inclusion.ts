import { equalBytes } from '../bytes.js';
import { isTreeSize } from './bits.js';
import { HASH_SIZE, hashChildren } from './hash.js';
import { ProofError } from './proof-error.js';

export function assertProofHashes(proof: readonly Uint8Array[]): void {
  proof.forEach((hash, i) => {
    if (hash.byteLength !== HASH_SIZE) {
      throw new ProofError(`proof hash ${i} has ${hash.byteLength} bytes, expected ${HASH_SIZE}`);
    }
  });
}

/**
 * Checks that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`, by the algorithm of RFC 9162
 * §2.2.1. Throws ProofError when it does not hold.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  if (!isTreeSize(index) || !isTreeSize(size)) throw new ProofError(`invalid index ${index} or size ${size}`);
  if (index >= size) throw new ProofError(`index ${index} is not below tree size ${size}`);
  if (leafHash.byteLength !== HASH_SIZE) {
    throw new ProofError(`leaf hash has ${leafHash.byteLength} bytes, expected ${HASH_SIZE}`);
  }
  assertProofHashes(proof);
  // fn walks up from the leaf, sn from the last leaf; where they meet the path runs along the right edge and
  // there are no right siblings, which is how the proof length is checked without computing it.
  let fn = index;
  let sn = size - 1;
  let hash = leafHash;
  for (const sibling of proof) {
    if (sn === 0) throw new ProofError(`inclusion proof is longer than a tree of size ${size} needs`);
    if (fn % 2 === 1 || fn === sn) {
      hash = hashChildren(sibling, hash);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      hash = hashChildren(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ProofError(`inclusion proof is shorter than a tree of size ${size} needs`);
  if (!equalBytes(hash, root)) throw new ProofError(`leaf ${index} is not in the tree of size ${size} with this root`);
}
