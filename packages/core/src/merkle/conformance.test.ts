import { describe, expect, it } from 'vitest';
import { fromBase64, fromHex, toHex } from '../bytes.js';
import { listConformanceJson, readConformanceJson } from '../test-support/conformance.js';
import {
  assembleProof,
  consistencyProofFromLeaves,
  consistencyProofRanges,
  hashLeaf,
  inclusionProofFromLeaves,
  inclusionProofRanges,
  nodeIdsOf,
  ProofError,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './index.js';
import { foldPerfect } from './fold.js';
import { leafRangeOf } from './node-id.js';

type InclusionProbe = {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
};

type ConsistencyProbe = {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
};

type ReferenceTree = {
  leaf_inputs_hex: string[];
  leaf_hashes_hex: string[];
  node_hashes_by_level_hex: string[][];
  root_hashes_by_tree_size_hex: Record<string, string>;
};

type DerivedProofs = {
  leaves_hex: string[];
  leaf_hashes_hex: string[];
  roots_by_size_hex: Record<string, string>;
  inclusion_proofs: Array<{ leaf_index: number; tree_size: number; path_hex: string[] }>;
  consistency_proofs: Array<{ first: number; second: number; path_hex: string[] }>;
};

const MERKLE = 'transparency-dev-merkle';
const reference = readConformanceJson(MERKLE, 'rfc6962_reference_tree.json') as ReferenceTree;
const derived = readConformanceJson('derived', 'rfc6962_all_proofs_sizes_1_to_8.json') as DerivedProofs;
const leafHashes = reference.leaf_inputs_hex.map((hex) => hashLeaf(fromHex(hex)));

function outcome(check: () => void): 'ok' | 'error' {
  try {
    check();
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(ProofError);
    return 'error';
  }
}

function rootOfStandardTree(size: number): Uint8Array {
  return rootFromLeafHashes(leafHashes.slice(0, size));
}

function proofFromStoredNodes(ranges: ReturnType<typeof inclusionProofRanges>, leaves: Uint8Array[]): Uint8Array[] {
  return assembleProof(
    ranges,
    nodeIdsOf(ranges).map((node) => {
      const { start, end } = leafRangeOf(node);
      return foldPerfect(leaves.slice(start, end));
    }),
  );
}

describe('transparency-dev/merkle inclusion probes', () => {
  const files = listConformanceJson(MERKLE, 'testdata', 'inclusion');

  it('finds all 98 probes', () => {
    expect(files).toHaveLength(98);
  });

  it.each(files)('%s', (file) => {
    const probe = readConformanceJson(MERKLE, 'testdata', 'inclusion', file) as InclusionProbe;
    const proof = (probe.proof ?? []).map(fromBase64);
    const root = fromBase64(probe.root);
    const leafHash = fromBase64(probe.leafHash);
    const result = outcome(() => verifyInclusion(probe.leafIdx, probe.treeSize, leafHash, proof, root));
    expect(result).toBe(probe.wantErr ? 'error' : 'ok');
    if (!probe.wantErr && toHex(root) === toHex(rootOfStandardTree(probe.treeSize))) {
      // Accepted probes over the standard leaves must also be exactly the proofs this package builds.
      const built = inclusionProofFromLeaves(probe.leafIdx, leafHashes.slice(0, probe.treeSize));
      expect(built.map(toHex)).toEqual(proof.map(toHex));
    }
  });
});

describe('transparency-dev/merkle consistency probes', () => {
  const files = listConformanceJson(MERKLE, 'testdata', 'consistency');

  it('finds all 98 probes', () => {
    expect(files).toHaveLength(98);
  });

  it.each(files)('%s', (file) => {
    const probe = readConformanceJson(MERKLE, 'testdata', 'consistency', file) as ConsistencyProbe;
    const proof = (probe.proof ?? []).map(fromBase64);
    const root1 = fromBase64(probe.root1);
    const root2 = fromBase64(probe.root2);
    const result = outcome(() => verifyConsistency(probe.size1, probe.size2, proof, root1, root2));
    expect(result).toBe(probe.wantErr ? 'error' : 'ok');
    if (!probe.wantErr && probe.size1 < probe.size2) {
      const built = consistencyProofFromLeaves(probe.size1, probe.size2, leafHashes);
      expect(built.map(toHex)).toEqual(proof.map(toHex));
    }
  });
});

describe('RFC 6962 reference tree', () => {
  it('hashes the 8 standard leaves', () => {
    expect(leafHashes.map(toHex)).toEqual(reference.leaf_hashes_hex);
  });

  it('has the published root for every size 0..8', () => {
    const sizes = Object.keys(reference.root_hashes_by_tree_size_hex);
    expect(sizes).toHaveLength(9);
    for (const size of sizes) {
      expect(toHex(rootOfStandardTree(Number(size)))).toBe(reference.root_hashes_by_tree_size_hex[size]);
    }
  });

  it('has the published hash for every perfect node', () => {
    reference.node_hashes_by_level_hex.forEach((hashes, level) => {
      hashes.forEach((hex, index) => {
        const { start, end } = leafRangeOf({ level, index });
        expect(toHex(foldPerfect(leafHashes.slice(start, end)))).toBe(hex);
      });
    });
  });
});

describe('derived proofs over the standard leaves, sizes 1..8', () => {
  it('agrees on leaves and roots', () => {
    expect(derived.leaves_hex).toEqual(reference.leaf_inputs_hex);
    expect(derived.leaf_hashes_hex).toEqual(reference.leaf_hashes_hex);
    for (const [size, hex] of Object.entries(derived.roots_by_size_hex)) {
      expect(toHex(rootOfStandardTree(Number(size)))).toBe(hex);
    }
  });

  it.each(derived.inclusion_proofs)('inclusion of $leaf_index in $tree_size', ({ leaf_index, tree_size, path_hex }) => {
    const leaves = leafHashes.slice(0, tree_size);
    const root = rootOfStandardTree(tree_size);
    expect(inclusionProofFromLeaves(leaf_index, leaves).map(toHex)).toEqual(path_hex);
    expect(proofFromStoredNodes(inclusionProofRanges(leaf_index, tree_size), leaves).map(toHex)).toEqual(path_hex);
    const proof = path_hex.map(fromHex);
    const leafHash = leafHashes[leaf_index] as Uint8Array;
    verifyInclusion(leaf_index, tree_size, leafHash, proof, root);
    if (proof.length > 0) {
      expect(() => verifyInclusion(leaf_index, tree_size, leafHash, proof.slice(1), root)).toThrow(ProofError);
    }
    expect(() => verifyInclusion(leaf_index, tree_size, leafHash, [...proof, root], root)).toThrow(ProofError);
  });

  it.each(derived.consistency_proofs)('consistency from $first to $second', ({ first, second, path_hex }) => {
    const proof = path_hex.map(fromHex);
    expect(consistencyProofFromLeaves(first, second, leafHashes).map(toHex)).toEqual(path_hex);
    expect(proofFromStoredNodes(consistencyProofRanges(first, second), leafHashes).map(toHex)).toEqual(path_hex);
    verifyConsistency(first, second, proof, rootOfStandardTree(first), rootOfStandardTree(second));
    if (first < second) {
      expect(() =>
        verifyConsistency(first, second, proof, rootOfStandardTree(second), rootOfStandardTree(first)),
      ).toThrow(ProofError);
    }
  });
});
