import { concatBytes, utf8 } from '../bytes.js';
import {
  ED25519_PUBLIC_KEY_SIZE,
  ED25519_SEED_SIZE,
  ED25519_SIGNATURE_SIZE,
  ed25519PublicKeyOf,
  ed25519Sign,
  ed25519Verify,
} from './ed25519.js';
import { assertKeyId, formatEncodedKey, keyIdFor, parseEncodedKey, SIGNATURE_TYPE } from './key-encoding.js';
import { NoteError } from './note-error.js';
import { assertKeyName, assertNoteText } from './note-text.js';
import { parseUnverifiedNote } from './parse-note.js';
import { signatureLine } from './sign-note.js';

// C2SP tlog-cosignature v1 (signature type 0x04): a witness's timestamped Ed25519 signature over a checkpoint.

export type CosignerKey = { name: string; keyId: Uint8Array; publicKey: Uint8Array };
export type CosignerSigningKey = CosignerKey & { seed: Uint8Array };

const TIMESTAMP_SIZE = 8;

export function cosignerKeyIdOf(name: string, publicKey: Uint8Array): Uint8Array {
  return keyIdFor(name, SIGNATURE_TYPE.COSIGNATURE_V1, publicKey);
}

export function cosignerKeyFromSeed(name: string, seed: Uint8Array): CosignerSigningKey {
  assertKeyName(name);
  if (seed.byteLength !== ED25519_SEED_SIZE) {
    throw new NoteError('malformed', `Ed25519 seed must be ${ED25519_SEED_SIZE} bytes`);
  }
  const publicKey = ed25519PublicKeyOf(seed);
  return { name, keyId: cosignerKeyIdOf(name, publicKey), publicKey, seed: new Uint8Array(seed) };
}

/** `<name>+<hex8>+<base64(0x04 || publicKey)>` */
export function formatCosignerKey(key: CosignerKey): string {
  const type = SIGNATURE_TYPE.COSIGNATURE_V1;
  return formatEncodedKey({ name: key.name, keyId: key.keyId, type, material: key.publicKey });
}

export function parseCosignerKey(text: string): CosignerKey {
  const { name, keyId, type, material } = parseEncodedKey(text, 'cosigner key');
  if (type !== SIGNATURE_TYPE.COSIGNATURE_V1 || material.byteLength !== ED25519_PUBLIC_KEY_SIZE) {
    throw new NoteError('malformed', 'cosigner key must be a cosignature/v1 Ed25519 key');
  }
  const key = { name, keyId, publicKey: new Uint8Array(material) };
  assertKeyId(key, SIGNATURE_TYPE.COSIGNATURE_V1, key.publicKey);
  return key;
}

/** What a cosigner signs: a header and time line, then the whole checkpoint text. */
export function cosignatureMessage(text: string, timestamp: number): string {
  assertNoteText(text);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`invalid cosignature timestamp ${timestamp}`);
  }
  return `cosignature/v1\ntime ${timestamp}\n${text}`;
}

/** Adds a cosignature line for `key` at `timestamp` (POSIX seconds) to a signed checkpoint note. */
export function cosignNote(note: string, key: CosignerSigningKey, timestamp: number): string {
  const { text } = parseUnverifiedNote(note);
  const stamp = new Uint8Array(TIMESTAMP_SIZE);
  new DataView(stamp.buffer).setBigUint64(0, BigInt(timestamp));
  const signature = ed25519Sign(key.seed, utf8.encode(cosignatureMessage(text, timestamp)));
  return note + signatureLine(key.name, key.keyId, concatBytes(stamp, signature));
}

/**
 * Verifies a cosignature (the bytes after the key ID of a signature line matched to `key`) over checkpoint `text`
 * and returns its timestamp.
 */
export function verifyCosignature(text: string, signature: Uint8Array, key: CosignerKey): number {
  if (signature.byteLength !== TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE) {
    throw new NoteError('malformed', `a cosignature has ${TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE} bytes`);
  }
  const view = new DataView(signature.buffer, signature.byteOffset, signature.byteLength);
  const timestamp = view.getBigUint64(0);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new NoteError('malformed', 'cosignature timestamp is out of range');
  }
  const seconds = Number(timestamp);
  const message = utf8.encode(cosignatureMessage(text, seconds));
  if (!ed25519Verify(key.publicKey, message, signature.subarray(TIMESTAMP_SIZE))) {
    throw new NoteError('invalid-signature', `the cosignature of ${key.name} does not verify`);
  }
  return seconds;
}
