import { concatBytes, equalBytes, fromBase64, fromHex, sha256, toBase64, toHex, utf8 } from '../bytes.js';
import { NoteError } from './note-error.js';
import { assertKeyName } from './note-text.js';

/** Signature type identifiers of C2SP signed-note. */
export const SIGNATURE_TYPE = { ED25519: 0x01, COSIGNATURE_V1: 0x04 } as const;

export type EncodedKey = { name: string; keyId: Uint8Array; type: number; material: Uint8Array };

const NEWLINE = new Uint8Array([0x0a]);

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4] */
export function keyIdFor(name: string, type: number, publicKey: Uint8Array): Uint8Array {
  return sha256(utf8.encode(name), NEWLINE, new Uint8Array([type]), publicKey).subarray(0, 4);
}

/** `<name>+<hex key ID>+<base64(type || material)>`, the shape shared by verifier and signer keys. */
export function formatEncodedKey(key: EncodedKey): string {
  assertKeyName(key.name);
  if (key.keyId.byteLength !== 4) throw new NoteError('malformed', 'key ID must be 4 bytes');
  return `${key.name}+${toHex(key.keyId)}+${toBase64(concatBytes(new Uint8Array([key.type]), key.material))}`;
}

export function parseEncodedKey(text: string, what: string): EncodedKey {
  // Names cannot hold "+", so the first two are separators; the base64 part may contain more.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new NoteError('malformed', `${what} must look like name+hex8+base64`);
  const name = text.slice(0, first);
  const hex = text.slice(first + 1, second);
  assertKeyName(name);
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new NoteError('malformed', `${what} ID must be 8 hex digits`);
  let encoded: Uint8Array;
  try {
    encoded = fromBase64(text.slice(second + 1));
  } catch {
    throw new NoteError('malformed', `${what} material is not base64`);
  }
  const type = encoded[0];
  if (type === undefined) throw new NoteError('malformed', `${what} material is empty`);
  return { name, keyId: fromHex(hex), type, material: encoded.subarray(1) };
}

/** The key ID in a key's text must be the one its name and public key produce, as key IDs select keys. */
export function assertKeyId(key: { name: string; keyId: Uint8Array }, type: number, publicKey: Uint8Array): void {
  if (!equalBytes(key.keyId, keyIdFor(key.name, type, publicKey))) {
    throw new NoteError('malformed', `key ID ${toHex(key.keyId)} does not match key ${JSON.stringify(key.name)}`);
  }
}
