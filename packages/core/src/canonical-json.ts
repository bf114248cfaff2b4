import canonicalize from 'canonicalize';
import { utf8 } from './bytes.js';

/**
 * RFC 8785 (JCS) canonical JSON. Input must already be I-JSON: finite numbers, no lone surrogates; the event
 * validator guarantees that for everything the service seals.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

export function canonicalBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalJson(value));
}
