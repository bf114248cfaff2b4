/**
 * The stored form of one encrypted personal value: `enc:v1:<key id>:<base64url(iv ‖ ciphertext ‖ tag)>`. The plaintext
 * is the canonical JSON of the value, so any JSON value (string, number, object, array, null) round-trips, and the
 * envelope is a plain JSON string that takes the value's place in the sealed event.
 */
export const ENVELOPE_PREFIX = 'enc:v1:';

/** What a value whose data key was destroyed reads as: distinct from MASKED, so a reader can tell erased from hidden. */
export const ERASED = '[erased]';

/** Key ids are opaque to the core; they only must not contain the separator. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PAYLOAD = /^[A-Za-z0-9_-]+$/;

export interface Envelope {
  keyId: string;
  /** iv ‖ ciphertext ‖ tag, as the cipher wrote them. */
  payload: Uint8Array;
}

export function isEnvelopeText(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENVELOPE_PREFIX);
}

export function formatEnvelope(keyId: string, payload: Uint8Array): string {
  if (!KEY_ID.test(keyId)) throw new RangeError('an envelope key id is 1..64 of [A-Za-z0-9._-]');
  return `${ENVELOPE_PREFIX}${keyId}:${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64url')}`;
}

/** The envelope's parts, or null when `text` is not a well-formed envelope (then it is an ordinary string). */
export function parseEnvelope(text: string): Envelope | null {
  if (!text.startsWith(ENVELOPE_PREFIX)) return null;
  const rest = text.slice(ENVELOPE_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return null;
  const keyId = rest.slice(0, colon);
  const encoded = rest.slice(colon + 1);
  if (!KEY_ID.test(keyId) || !PAYLOAD.test(encoded)) return null;
  return { keyId, payload: Buffer.from(encoded, 'base64url') };
}

/** The key id of an envelope, without decoding its payload; null for anything else. */
export function envelopeKeyId(text: string): string | null {
  if (!text.startsWith(ENVELOPE_PREFIX)) return null;
  const colon = text.indexOf(':', ENVELOPE_PREFIX.length);
  if (colon < 0) return null;
  const keyId = text.slice(ENVELOPE_PREFIX.length, colon);
  return KEY_ID.test(keyId) ? keyId : null;
}
