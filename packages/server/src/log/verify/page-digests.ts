import * as nodeCrypto from 'node:crypto';
import { HASH_SIZE } from '@audit-ledger/core';

// The leaf and chain hashes of a page, as core's hashLeaf and chainHash define them, computed without a Buffer per
// digest: on Node 20 the one-shot hash costs less than half as much with a latin1 string as its output as with a
// Buffer, and the string's 32 characters are the digest's bytes, written or compared where they are needed ('binary'
// is Node's name for latin1).

const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

function sha256Binary(input: Uint8Array): string {
  if (oneShotHash !== undefined) return oneShotHash('sha256', input, 'binary');
  return nodeCrypto.createHash('sha256').update(input).digest('binary');
}

/** 0x00 followed by the leaf (RFC 9162 §2.1.1), reused from leaf to leaf. */
let leafInput = Buffer.alloc(16 * 1024);
/** The previous chain value followed by the leaf hash. */
const chainInput = Buffer.alloc(2 * HASH_SIZE);

/** Writes SHA-256(0x00 || leaf) to target[offset, offset + HASH_SIZE). */
export function writeLeafHash(leaf: Uint8Array, target: Uint8Array, offset: number): void {
  if (leaf.byteLength + 1 > leafInput.length) {
    leafInput = Buffer.alloc(Math.max(leaf.byteLength + 1, leafInput.length * 2));
  }
  leafInput.set(leaf, 1);
  const digest = sha256Binary(leafInput.subarray(0, leaf.byteLength + 1));
  for (let i = 0; i < HASH_SIZE; i++) target[offset + i] = digest.charCodeAt(i);
}

/**
 * Whether `stored` (HASH_SIZE bytes) is SHA-256(previous || the leaf hash at leafHashes[offset, offset + HASH_SIZE)),
 * the chain link of core's chainHash; `previous` is HASH_SIZE bytes.
 */
export function linksFrom(previous: Uint8Array, leafHashes: Uint8Array, offset: number, stored: Uint8Array): boolean {
  chainInput.set(previous, 0);
  chainInput.set(leafHashes.subarray(offset, offset + HASH_SIZE), HASH_SIZE);
  const digest = sha256Binary(chainInput);
  for (let i = 0; i < HASH_SIZE; i++) if (digest.charCodeAt(i) !== stored[i]) return false;
  return true;
}
