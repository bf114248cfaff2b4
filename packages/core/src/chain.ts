import { sha256 } from './bytes.js';

/** The chain value before the first entry: 32 zero bytes. */
export const GENESIS_CHAIN_HASH: Uint8Array = new Uint8Array(32);

/**
 * chain_hash[seq] = SHA-256(chain_hash[seq-1] || leaf_hash[seq]). Each entry commits to every entry before it, so an
 * auditor holding one chain value can spot a rewrite anywhere earlier without the Merkle tree.
 */
export function chainHash(prev: Uint8Array, leafHash: Uint8Array): Uint8Array {
  if (prev.byteLength !== 32 || leafHash.byteLength !== 32) {
    throw new RangeError(`chain hash inputs must be 32 bytes, got ${prev.byteLength} and ${leafHash.byteLength}`);
  }
  return sha256(prev, leafHash);
}
