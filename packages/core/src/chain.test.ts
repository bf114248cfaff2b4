import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from './bytes.js';
import { chainHash, GENESIS_CHAIN_HASH } from './chain.js';
import { testLeafHashes } from './test-support/leaf-hashes.js';

const LEAVES = testLeafHashes(4);

function chainOf(leaves: Uint8Array[]): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let previous = GENESIS_CHAIN_HASH;
  for (const leaf of leaves) {
    previous = chainHash(previous, leaf);
    chain.push(previous);
  }
  return chain;
}

describe('hash chain', () => {
  it('starts from 32 zero bytes', () => {
    expect(toHex(GENESIS_CHAIN_HASH)).toBe('00'.repeat(32));
  });

  it('is SHA-256(previous || leaf hash)', () => {
    const [leaf] = LEAVES as [Uint8Array];
    const expected = createHash('sha256').update(new Uint8Array(32)).update(leaf).digest('hex');
    expect(toHex(chainHash(GENESIS_CHAIN_HASH, leaf))).toBe(expected);
  });

  it('commits to order and to every earlier entry', () => {
    const [a, b, c, d] = LEAVES as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const original = chainOf([a, b, c, d]).map(toHex);
    expect(chainOf([b, a, c, d]).map(toHex)[3]).not.toBe(original[3]);
    expect(chainOf([a, c, c, d]).map(toHex)[3]).not.toBe(original[3]);
    expect(new Set(original).size).toBe(4);
  });

  it('refuses inputs that are not 32-byte hashes', () => {
    const [leaf] = LEAVES as [Uint8Array];
    expect(() => chainHash(new Uint8Array(31), leaf)).toThrow(RangeError);
    expect(() => chainHash(GENESIS_CHAIN_HASH, new Uint8Array(33))).toThrow(RangeError);
  });
});
