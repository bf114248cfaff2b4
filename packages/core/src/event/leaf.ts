import { sha256, utf8 } from '../bytes.js';
import { canonicalBytes, canonicalJson } from '../canonical-json.js';
import type { EventInput, SealedEvent } from './event-types.js';

/**
 * The log's hashes are not part of what they hash. Dropping them here means a stored view (which TypeScript
 * accepts as a SealedEvent) yields the same leaf as the event it was made from.
 */
function withoutHashes(event: SealedEvent): SealedEvent {
  const { leaf_hash: _leaf, chain_hash: _chain, ...sealed } = event as SealedEvent & {
    leaf_hash?: unknown;
    chain_hash?: unknown;
  };
  return sealed;
}

/** Leaf text of a log entry: RFC 8785 canonical JSON of the sealed event. */
export function leafOf(sealed: SealedEvent): string {
  return canonicalJson(withoutHashes(sealed));
}

/** Leaf bytes of a log entry: the UTF-8 of `leafOf`, which is what `leaf_hash` covers. */
export function leafBytesOf(sealed: SealedEvent): Uint8Array {
  return utf8.encode(leafOf(sealed));
}

/**
 * Fingerprint of a submitted event for idempotency: a retry of the same body (same id, same content, fields in any
 * order) gives the same hash, a different body under the same id does not. Taken over the validated input rather
 * than the sealed event because sealing adds facts (seq, received_at, a defaulted occurred_at) that differ between
 * attempts.
 */
export function requestHashOf(input: EventInput): Uint8Array {
  return sha256(canonicalBytes(input));
}
