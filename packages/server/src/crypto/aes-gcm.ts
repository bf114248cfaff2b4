import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM with a random 96-bit IV and a 128-bit tag, laid out as iv ‖ ciphertext ‖ tag. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const AES_KEY_BYTES = 32;

// Every encryption gets its own IV; asking the system for 12 random bytes each time costs more than the
// encryption itself, so they are taken from a buffer refilled a few hundred IVs at a time (still fresh random bytes,
// each used once).
const IV_POOL_BYTES = IV_BYTES * 512;
let ivPool = randomBytes(IV_POOL_BYTES);
let ivAt = 0;

function nextIv(): Buffer {
  if (ivAt + IV_BYTES > IV_POOL_BYTES) {
    ivPool = randomBytes(IV_POOL_BYTES);
    ivAt = 0;
  }
  const iv = ivPool.subarray(ivAt, ivAt + IV_BYTES);
  ivAt += IV_BYTES;
  return iv;
}

/** A string plaintext is encrypted as its UTF-8 bytes. */
export function aesGcmEncrypt(key: Uint8Array, plaintext: Uint8Array | string, aad: Uint8Array): Buffer {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext);
  // GCM is a stream mode: final() only computes the tag and adds no bytes, so one buffer takes all three parts.
  const rest = cipher.final();
  const sealed = Buffer.allocUnsafe(IV_BYTES + body.length + rest.length + TAG_BYTES);
  iv.copy(sealed, 0);
  body.copy(sealed, IV_BYTES);
  rest.copy(sealed, IV_BYTES + body.length);
  cipher.getAuthTag().copy(sealed, IV_BYTES + body.length + rest.length);
  return sealed;
}

/** The plaintext, or null when the sealed bytes are malformed or fail authentication (wrong key, AAD or data). */
export function aesGcmDecrypt(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer | null {
  if (sealed.byteLength < IV_BYTES + TAG_BYTES) return null;
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}
