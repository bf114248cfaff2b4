import { ED25519_PUBLIC_KEY_SIZE } from './ed25519.js';
import { assertKeyId, formatEncodedKey, keyIdFor, parseEncodedKey, SIGNATURE_TYPE } from './key-encoding.js';
import { NoteError } from './note-error.js';

/** An Ed25519 note verifier: signatures are matched to it by name and key ID. */
export type VerifierKey = { name: string; keyId: Uint8Array; publicKey: Uint8Array };

/** SHA-256(name || 0x0A || 0x01 || publicKey)[:4], the Ed25519 key ID of C2SP signed-note. */
export function keyIdOf(name: string, publicKey: Uint8Array): Uint8Array {
  return keyIdFor(name, SIGNATURE_TYPE.ED25519, publicKey);
}

/** `<name>+<hex8>+<base64(0x01 || publicKey)>` */
export function formatVerifierKey(key: VerifierKey): string {
  return formatEncodedKey({ name: key.name, keyId: key.keyId, type: SIGNATURE_TYPE.ED25519, material: key.publicKey });
}

export function parseVerifierKey(text: string): VerifierKey {
  const { name, keyId, type, material } = parseEncodedKey(text, 'verifier key');
  if (type !== SIGNATURE_TYPE.ED25519) {
    const hex = type.toString(16).padStart(2, '0');
    throw new NoteError('malformed', `verifier key has signature type 0x${hex}, not Ed25519`);
  }
  if (material.byteLength !== ED25519_PUBLIC_KEY_SIZE) {
    throw new NoteError('malformed', `Ed25519 verifier key must hold ${ED25519_PUBLIC_KEY_SIZE} bytes`);
  }
  const key = { name, keyId, publicKey: new Uint8Array(material) };
  assertKeyId(key, SIGNATURE_TYPE.ED25519, key.publicKey);
  return key;
}
