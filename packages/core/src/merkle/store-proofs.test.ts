import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { testLeafHashes } from '../test-support/leaf-hashes.js';
import { foldPerfect } from './fold.js';
import { appendToFrontier, EMPTY_FRONTIER } from './frontier.js';
import type { NodeId } from './node-id.js';
import { ProofError } from './proof-error.js';
import { assembleProof, consistencyProofRanges, inclusionProofRanges, nodeIdsOf } from './proof-ranges.js';
import { consistencyProofFromLeaves, inclusionProofFromLeaves } from './proofs-from-leaves.js';
import { rootFromLeafHashes } from './root.js';
import { isStoredLevel, NODE_STRIDE, storedSourceOf } from './sparse-storage.js';
import { verifyConsistency } from './verify-consistency.js';
import { verifyInclusion } from './verify-inclusion.js';

const MAX_SIZE = 2000;
const LEAVES = testLeafHashes(MAX_SIZE);

/** What a store keeps: every leaf hash and the completed nodes on stored levels, fed by appends in batches. */
function buildStore(leaves: Uint8Array[], batch: number): Map<string, Uint8Array> {
  const stored = new Map<string, Uint8Array>();
  leaves.forEach((hash, index) => stored.set(`0/${index}`, hash));
  let frontier = EMPTY_FRONTIER;
  for (let at = 0; at < leaves.length; at += batch) {
    const result = appendToFrontier(frontier, leaves.slice(at, at + batch), { keepLevel: isStoredLevel });
    frontier = result.frontier;
    for (const node of result.completed) stored.set(`${node.level}/${node.index}`, node.hash);
  }
  return stored;
}

const STORE = buildStore(LEAVES, 500);

function storedHashOf(node: NodeId): Uint8Array {
  const source = storedSourceOf(node);
  const run: Uint8Array[] = [];
  for (let index = source.start; index < source.end; index++) {
    const hash = STORE.get(`${source.level}/${index}`);
    if (hash === undefined) throw new Error(`node ${source.level}/${index} is not stored`);
    run.push(hash);
  }
  return foldPerfect(run);
}

function flipBit(proof: Uint8Array[], which: number, bit: number): Uint8Array[] {
  return proof.map((hash, i) => {
    if (i !== which) return hash;
    const copy = new Uint8Array(hash);
    const at = Math.floor(bit / 8) % copy.length;
    copy[at] = (copy[at] ?? 0) ^ (1 << (bit % 8));
    return copy;
  });
}

const sizeAndIndex = fc
  .integer({ min: 1, max: MAX_SIZE })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));

const twoSizes = fc
  .integer({ min: 1, max: MAX_SIZE })
  .chain((second) => fc.tuple(fc.integer({ min: 1, max: second }), fc.constant(second)));

describe('proofs assembled from a sparse store', () => {
  it('keeps only leaves and levels that are multiples of the stride', () => {
    const levels = new Set([...STORE.keys()].map((key) => Number(key.split('/')[0])));
    expect([...levels].sort((a, b) => a - b)).toEqual([0, NODE_STRIDE, 2 * NODE_STRIDE]);
  });

  it('match the reference inclusion proofs, verify, and fail when tampered with', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), fc.nat(255), ([size, index], pick, bit) => {
        const leaves = LEAVES.slice(0, size);
        const root = rootFromLeafHashes(leaves);
        const ranges = inclusionProofRanges(index, size);
        const proof = assembleProof(ranges, nodeIdsOf(ranges).map(storedHashOf));
        expect(proof.map(toHex)).toEqual(inclusionProofFromLeaves(index, leaves).map(toHex));
        const leaf = LEAVES[index] as Uint8Array;
        verifyInclusion(index, size, leaf, proof, root);

        expect(() => verifyInclusion(index, size, LEAVES[size] ?? root, proof, root)).toThrow(ProofError);
        expect(() => verifyInclusion(index, size, leaf, [...proof, root], root)).toThrow(ProofError);
        if (proof.length > 0) {
          expect(() => verifyInclusion(index, size, leaf, flipBit(proof, pick % proof.length, bit), root)).toThrow(
            ProofError,
          );
          expect(() => verifyInclusion(index, size, leaf, proof.slice(0, -1), root)).toThrow(ProofError);
          const other = (index + 1 + (pick % (size - 1))) % size;
          expect(() => verifyInclusion(other, size, leaf, proof, root)).toThrow(ProofError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('match the reference consistency proofs, verify, and fail when tampered with', () => {
    fc.assert(
      fc.property(twoSizes, fc.nat(), fc.nat(255), ([first, second], pick, bit) => {
        const firstRoot = rootFromLeafHashes(LEAVES.slice(0, first));
        const secondRoot = rootFromLeafHashes(LEAVES.slice(0, second));
        const ranges = consistencyProofRanges(first, second);
        const proof = assembleProof(ranges, nodeIdsOf(ranges).map(storedHashOf));
        expect(proof.map(toHex)).toEqual(consistencyProofFromLeaves(first, second, LEAVES).map(toHex));
        verifyConsistency(first, second, proof, firstRoot, secondRoot);
        if (first === second) return;

        const otherRoot = rootFromLeafHashes(LEAVES.slice(1, second));
        expect(() => verifyConsistency(first, second, proof, firstRoot, otherRoot)).toThrow(ProofError);
        expect(() => verifyConsistency(first, second, proof, otherRoot, secondRoot)).toThrow(ProofError);
        expect(() => verifyConsistency(first, second, flipBit(proof, pick % proof.length, bit), firstRoot, secondRoot))
          .toThrow(ProofError);
        expect(() => verifyConsistency(first, second, proof.slice(0, -1), firstRoot, secondRoot)).toThrow(ProofError);
        expect(() => verifyConsistency(first, second, [...proof, firstRoot], firstRoot, secondRoot)).toThrow(
          ProofError,
        );
        expect(() => verifyConsistency(first, second, proof, secondRoot, firstRoot)).toThrow(ProofError);
      }),
      { numRuns: 300 },
    );
  });

  it('fetch O(log n) stored hashes per proof', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const nodes = nodeIdsOf(inclusionProofRanges(index, size));
        const fetched = nodes.reduce((sum, node) => {
          const source = storedSourceOf(node);
          return sum + source.end - source.start;
        }, 0);
        // At most one range per level, each needing at most 2^(stride-1) hashes per perfect subtree.
        expect(nodes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size + 1)));
        expect(fetched).toBeLessThanOrEqual(nodes.length * 2 ** (NODE_STRIDE - 1));
      }),
      { numRuns: 200 },
    );
  });
});
