import { describe, expect, it } from 'vitest';
import { testLeafHashes } from '../test-support/leaf-hashes.js';
import { ProofError } from './proof-error.js';
import { consistencyProofFromLeaves, inclusionProofFromLeaves } from './proofs-from-leaves.js';
import { rootFromLeafHashes } from './root.js';
import { verifyConsistency } from './verify-consistency.js';
import { verifyInclusion } from './verify-inclusion.js';

const LEAVES = testLeafHashes(11);
const ROOT = rootFromLeafHashes(LEAVES);
const ROOT_6 = rootFromLeafHashes(LEAVES.slice(0, 6));

function errorOf(check: () => void): ProofError {
  try {
    check();
  } catch (error) {
    if (error instanceof ProofError) return error;
    throw error;
  }
  throw new Error('expected a ProofError');
}

describe('verifyInclusion', () => {
  const proof = inclusionProofFromLeaves(4, LEAVES);
  const leaf = LEAVES[4] as Uint8Array;

  it('accepts a valid proof', () => {
    verifyInclusion(4, 11, leaf, proof, ROOT);
  });

  it('explains why a proof fails', () => {
    expect(errorOf(() => verifyInclusion(11, 11, leaf, proof, ROOT)).message).toMatch(
      /index 11 is not below tree size 11/,
    );
    expect(errorOf(() => verifyInclusion(-1, 11, leaf, proof, ROOT)).message).toMatch(/invalid index/);
    expect(errorOf(() => verifyInclusion(4, 11, leaf.subarray(1), proof, ROOT)).message).toMatch(
      /leaf hash has 31 bytes/,
    );
    expect(errorOf(() => verifyInclusion(4, 11, leaf, [...proof, new Uint8Array(3)], ROOT)).message).toMatch(
      /proof hash 4 has 3 bytes/,
    );
    expect(errorOf(() => verifyInclusion(4, 11, leaf, [...proof, ROOT], ROOT)).message).toMatch(/longer/);
    expect(errorOf(() => verifyInclusion(4, 11, leaf, proof.slice(1), ROOT)).message).toMatch(/shorter/);
    const otherLeaf = LEAVES[5] as Uint8Array;
    expect(errorOf(() => verifyInclusion(4, 11, otherLeaf, proof, ROOT)).message).toMatch(/not in the tree/);
  });
});

describe('verifyConsistency', () => {
  const proof = consistencyProofFromLeaves(6, 11, LEAVES);

  it('accepts a valid proof and equal trees without a proof', () => {
    verifyConsistency(6, 11, proof, ROOT_6, ROOT);
    verifyConsistency(11, 11, [], ROOT, ROOT);
  });

  it('explains why a proof fails', () => {
    expect(errorOf(() => verifyConsistency(0, 11, proof, ROOT_6, ROOT)).message).toMatch(/empty tree/);
    expect(errorOf(() => verifyConsistency(0, 0, [], ROOT, ROOT)).message).toMatch(/empty tree/);
    expect(errorOf(() => verifyConsistency(12, 11, proof, ROOT_6, ROOT)).message).toMatch(/larger than/);
    expect(errorOf(() => verifyConsistency(11, 11, proof, ROOT, ROOT)).message).toMatch(/empty consistency proof/);
    expect(errorOf(() => verifyConsistency(11, 11, [], ROOT_6, ROOT)).message).toMatch(/two different roots/);
    expect(errorOf(() => verifyConsistency(6, 11, [], ROOT_6, ROOT)).message).toMatch(/is empty/);
    expect(errorOf(() => verifyConsistency(6, 11, [...proof, ROOT], ROOT_6, ROOT)).message).toMatch(/longer/);
    expect(errorOf(() => verifyConsistency(6, 11, proof.slice(0, -1), ROOT_6, ROOT)).message).toMatch(/shorter/);
    expect(errorOf(() => verifyConsistency(6, 11, proof, ROOT, ROOT)).message).toMatch(/root of tree size 6/);
    expect(errorOf(() => verifyConsistency(6, 11, proof, ROOT_6, ROOT_6)).message).toMatch(/root of tree size 11/);
    expect(errorOf(() => verifyConsistency(6, 11, [new Uint8Array(5), ...proof.slice(1)], ROOT_6, ROOT)).message)
      .toMatch(/proof hash 0 has 5 bytes/);
  });
});
