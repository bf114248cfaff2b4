import { randomBytes } from 'node:crypto';
import { ED25519_SEED_SIZE, ed25519PublicKeyOf } from './ed25519.js';
import { assertKeyId, formatEncodedKey, parseEncodedKey, SIGNATURE_TYPE } from './key-encoding.js';
import { NoteError } from './note-error.js';
import { assertKeyName } from './note-text.js';
import { keyIdOf, type VerifierKey } from './verifier-key.js';

export type SigningKey = { name: string; keyId: Uint8Array; seed: Uint8Array; publicKey: Uint8Array };

const PRIVATE_PREFIX = 'PRIVATE+KEY+';

export function signingKeyFromSeed(name: string, seed: Uint8Array): SigningKey {
  assertKeyName(name);
  if (seed.byteLength !== ED25519_SEED_SIZE) {
    throw new NoteError('malformed', `Ed25519 seed must be ${ED25519_SEED_SIZE} bytes`);
  }
  const publicKey = ed25519PublicKeyOf(seed);
  return { name, keyId: keyIdOf(name, publicKey), seed: new Uint8Array(seed), publicKey };
}

export function generateSigningKey(name: string): SigningKey {
  return signingKeyFromSeed(name, randomBytes(ED25519_SEED_SIZE));
}

/** The same Ed25519 key under another name, hence another key ID: one key can sign many logs, each as its origin. */
export function signingKeyWithName(key: SigningKey, name: string): SigningKey {
  return signingKeyFromSeed(name, key.seed);
}

export function verifierKeyOf(key: SigningKey): VerifierKey {
  return { name: key.name, keyId: key.keyId, publicKey: key.publicKey };
}

/** `PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>`, the signer key format of the Go note package. */
export function formatSigningKey(key: SigningKey): string {
  const type = SIGNATURE_TYPE.ED25519;
  return PRIVATE_PREFIX + formatEncodedKey({ name: key.name, keyId: key.keyId, type, material: key.seed });
}

export function parseSigningKey(text: string): SigningKey {
  if (!text.startsWith(PRIVATE_PREFIX)) {
    throw new NoteError('malformed', `signing key must start with ${PRIVATE_PREFIX}`);
  }
  const { name, keyId, type, material } = parseEncodedKey(text.slice(PRIVATE_PREFIX.length), 'signing key');
  if (type !== SIGNATURE_TYPE.ED25519) throw new NoteError('malformed', 'signing key is not an Ed25519 key');
  if (material.byteLength !== ED25519_SEED_SIZE) {
    throw new NoteError('malformed', `Ed25519 signing key must hold a ${ED25519_SEED_SIZE}-byte seed`);
  }
  const key = signingKeyFromSeed(name, material);
  assertKeyId({ name, keyId }, SIGNATURE_TYPE.ED25519, key.publicKey);
  return key;
}
