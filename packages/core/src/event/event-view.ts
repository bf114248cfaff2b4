import { toHex } from '../bytes.js';
import type { SealedEvent, StoredEventView } from './event-types.js';

const HASH_BYTES = 32;

/** The API form of a stored event: the sealed event plus its SHA-256 leaf and chain hashes in hex. */
export function eventToView(sealed: SealedEvent, leafHash: Uint8Array, chainHash: Uint8Array): StoredEventView {
  if (leafHash.byteLength !== HASH_BYTES || chainHash.byteLength !== HASH_BYTES) {
    throw new RangeError('leaf and chain hashes must be 32-byte SHA-256 digests');
  }
  return { ...sealed, leaf_hash: toHex(leafHash), chain_hash: toHex(chainHash) };
}
