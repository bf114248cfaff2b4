import type { SealedPersonalData } from '../event/event-types.js';

/** What a value whose data key was destroyed reads as: distinct from MASKED, so a reader can tell erased from hidden. */
export const ERASED = '[erased]';

/** Key ids are opaque to the core; this keeps them short and free of anything that would need escaping. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The `personal_data` member for an event whose values at `paths` were encrypted under `keyId` into `payload`. */
export function formatPersonalData(keyId: string, paths: readonly string[], payload: Uint8Array): SealedPersonalData {
  if (!KEY_ID.test(keyId)) throw new RangeError('a data key id is 1..64 of [A-Za-z0-9._-]');
  return {
    key: keyId,
    paths: [...paths],
    sealed: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64url'),
  };
}

/**
 * Whether a stored event's `personal_data` has the shape this service writes. The leaf is covered by the log's
 * hashes, so a malformed member means a damaged row; readers then leave it sealed rather than guess.
 */
export function isSealedPersonalData(value: unknown): value is SealedPersonalData {
  if (typeof value !== 'object' || value === null) return false;
  const { key, paths, sealed } = value as Record<string, unknown>;
  return (
    typeof key === 'string' &&
    KEY_ID.test(key) &&
    typeof sealed === 'string' &&
    BASE64URL.test(sealed) &&
    Array.isArray(paths) &&
    paths.length > 0 &&
    paths.every((path) => typeof path === 'string' && path.startsWith('/'))
  );
}

/** iv ‖ ciphertext ‖ tag of a well-formed member, as the cipher wrote them. */
export function sealedPayload(member: SealedPersonalData): Buffer {
  return Buffer.from(member.sealed, 'base64url');
}
