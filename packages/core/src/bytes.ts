import * as nodeCrypto from 'node:crypto';
import { createHash, timingSafeEqual } from 'node:crypto';

// A streaming Hash object costs more than hashing the few dozen bytes of a chain link or key id; the one-shot
// crypto.hash over the parts copied into one reused buffer costs about two thirds (Node 20 before 20.12 lacks it).
const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;
const JOINED_LIMIT = 1024;
const joined = Buffer.allocUnsafe(JOINED_LIMIT);

export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (oneShotHash !== undefined) {
    if (parts.length === 1) return oneShotHash('sha256', parts[0] as Uint8Array, 'buffer');
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (length <= JOINED_LIMIT) {
      let at = 0;
      for (const part of parts) {
        joined.set(part, at);
        at += part.byteLength;
      }
      return oneShotHash('sha256', joined.subarray(0, length), 'buffer');
    }
  }
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new TypeError('not a hex string');
  return Buffer.from(hex, 'hex');
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Strict standard base64 (with padding); rejects anything Buffer would silently skip. */
export function fromBase64(text: string): Uint8Array {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new TypeError('not a base64 string');
  }
  return Buffer.from(text, 'base64');
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

export const utf8 = {
  encode: (text: string): Uint8Array => Buffer.from(text, 'utf8'),
  decode: (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
};
