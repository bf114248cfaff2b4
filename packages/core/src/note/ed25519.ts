import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { concatBytes, fromHex } from '../bytes.js';

// node:crypto only takes Ed25519 keys wrapped in ASN.1; raw RFC 8032 keys become DER with these fixed prefixes.
const PKCS8_SEED_PREFIX = fromHex('302e020100300506032b657004220420');
const SPKI_PUBLIC_PREFIX = fromHex('302a300506032b6570032100');

export const ED25519_SEED_SIZE = 32;
export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

// A service signs with one key for as long as it runs; importing it into OpenSSL on every signature costs more
// than the signature itself.
const privateKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 16;

function privateKeyOf(seed: Uint8Array): KeyObject {
  if (seed.byteLength !== ED25519_SEED_SIZE) throw new RangeError(`Ed25519 seed must be ${ED25519_SEED_SIZE} bytes`);
  const id = Buffer.from(seed.buffer, seed.byteOffset, seed.byteLength).toString('hex');
  let key = privateKeys.get(id);
  if (key === undefined) {
    key = createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_SEED_PREFIX, seed)), format: 'der', type: 'pkcs8' });
    if (privateKeys.size >= MAX_CACHED_KEYS) privateKeys.delete(privateKeys.keys().next().value as string);
    privateKeys.set(id, key);
  }
  return key;
}

export function ed25519PublicKeyOf(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyOf(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.byteLength - ED25519_PUBLIC_KEY_SIZE));
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyOf(seed)));
}

/** False for a wrong signature and for a public key that is not a valid curve point. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.byteLength !== ED25519_PUBLIC_KEY_SIZE || signature.byteLength !== ED25519_SIGNATURE_SIZE) return false;
  try {
    const key = createPublicKey({
      key: Buffer.from(concatBytes(SPKI_PUBLIC_PREFIX, publicKey)),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
