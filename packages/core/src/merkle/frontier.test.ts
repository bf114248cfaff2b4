import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { testLeafHashes } from '../test-support/leaf-hashes.js';
import {
  appendToFrontier,
  EMPTY_FRONTIER,
  extendFrontier,
  frontierRoot,
  type CompletedNode,
  type Frontier,
} from './frontier.js';
import { EMPTY_TREE_ROOT } from './hash.js';
import { foldPerfect } from './fold.js';
import { leafRangeOf } from './node-id.js';
import { perfectSubtrees } from './perfect-subtrees.js';
import { rootFromLeafHashes } from './root.js';

const MAX_SIZE = 2000;
const ALL_LEAVES = testLeafHashes(MAX_SIZE);

function key(node: { level: number; index: number }): string {
  return `${node.level}/${node.index}`;
}

/** Every perfect subtree at level ≥ 1 inside [0, size), with its hash computed from the leaves. */
function allPerfectNodes(size: number): Map<string, string> {
  const nodes = new Map<string, string>();
  for (let level = 1; 2 ** level <= size; level++) {
    for (let index = 0; (index + 1) * 2 ** level <= size; index++) {
      const { start, end } = leafRangeOf({ level, index });
      nodes.set(key({ level, index }), toHex(foldPerfect(ALL_LEAVES.slice(start, end))));
    }
  }
  return nodes;
}

function appendInChunks(chunks: number[], leaves: Uint8Array[]): { frontier: Frontier; completed: CompletedNode[] } {
  let frontier = EMPTY_FRONTIER;
  const completed: CompletedNode[] = [];
  let at = 0;
  for (const chunk of chunks) {
    const result = appendToFrontier(frontier, leaves.slice(at, at + chunk));
    frontier = result.frontier;
    completed.push(...result.completed);
    at += chunk;
  }
  return { frontier, completed };
}

function chunksOf(size: number, cuts: number[]): number[] {
  const points = [...new Set(cuts.map((cut) => cut % (size + 1)))].sort((a, b) => a - b);
  const chunks: number[] = [];
  let previous = 0;
  for (const point of [...points, size]) {
    chunks.push(point - previous);
    previous = point;
  }
  return chunks;
}

describe('frontier', () => {
  it('starts empty', () => {
    expect(EMPTY_FRONTIER).toEqual({ size: 0, hashes: [] });
    expect(toHex(frontierRoot(EMPTY_FRONTIER))).toBe(toHex(EMPTY_TREE_ROOT));
    expect(() => EMPTY_FRONTIER.hashes.push(EMPTY_TREE_ROOT)).toThrow(TypeError);
  });

  it('holds the perfect subtrees of [0, size), largest first', () => {
    const { frontier } = appendToFrontier(EMPTY_FRONTIER, ALL_LEAVES.slice(0, 13));
    expect(frontier.size).toBe(13);
    const expected = perfectSubtrees(0, 13).map((node) => {
      const { start, end } = leafRangeOf(node);
      return toHex(foldPerfect(ALL_LEAVES.slice(start, end)));
    });
    expect(frontier.hashes.map(toHex)).toEqual(expected);
  });

  it('reports completed nodes in completion order', () => {
    const { completed } = appendToFrontier(EMPTY_FRONTIER, ALL_LEAVES.slice(0, 4));
    expect(completed.map(key)).toEqual(['1/0', '1/1', '2/0']);
  });

  it('does not modify the frontier it appends to', () => {
    const { frontier } = appendToFrontier(EMPTY_FRONTIER, ALL_LEAVES.slice(0, 7));
    const before = frontier.hashes.map(toHex);
    appendToFrontier(frontier, ALL_LEAVES.slice(7, 9));
    expect(frontier.size).toBe(7);
    expect(frontier.hashes.map(toHex)).toEqual(before);
  });

  it('reports only the levels asked for', () => {
    const keepLevel = (level: number): boolean => level % 4 === 0;
    const { completed } = appendToFrontier(EMPTY_FRONTIER, ALL_LEAVES.slice(0, 64), { keepLevel });
    expect(completed.map(key)).toEqual(['4/0', '4/1', '4/2', '4/3']);
  });

  it('rejects frontiers whose hash count does not match their size, and leaf hashes of the wrong size', () => {
    const hash = ALL_LEAVES[0] as Uint8Array;
    expect(() => appendToFrontier({ size: 3, hashes: [hash] }, [])).toThrow(RangeError);
    expect(() => frontierRoot({ size: 2, hashes: [hash, hash] })).toThrow(RangeError);
    expect(() => appendToFrontier(EMPTY_FRONTIER, [new Uint8Array(31)])).toThrow(RangeError);
  });

  it('has the root of the whole tree and completes every perfect subtree, for any size and chunking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_SIZE }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (size, cuts) => {
          const leaves = ALL_LEAVES.slice(0, size);
          const chunks = chunksOf(size, cuts);
          const { frontier, completed } = appendInChunks(chunks, leaves);
          expect(frontier.size).toBe(size);
          expect(toHex(frontierRoot(frontier))).toBe(toHex(rootFromLeafHashes(leaves)));
          expect(toHex(frontierRoot(extendFrontier(EMPTY_FRONTIER, leaves)))).toBe(toHex(frontierRoot(frontier)));
          const reported = new Map(completed.map((node) => [key(node), toHex(node.hash)]));
          expect(reported.size).toBe(completed.length);
          expect(reported).toEqual(allPerfectNodes(size));
        },
      ),
      { numRuns: 60 },
    );
  });
});
