import { fromBase64, parseSigningKey, toBase64, type SigningKey } from '@audit-ledger/core';
import type { KeyRing, WrapContext } from '../crypto/key-wrapper.js';

// A signing key's private part as the store keeps it: sealed by a master key, as `sealed:v1:<master key id>:<base64>`.
// Someone who can write to the database could otherwise rewrite entries and sign checkpoints over the result with the
// very key that verifiers trust; sealed, the key is as safe as the master key, which never enters the database. A
// C2SP key string (`PRIVATE+KEY+...`) in the column is a key stored in clear by an earlier version, which
// sealStoredKeys seals on the next start.

const SEALED_PREFIX = 'sealed:v1:';

/**
 * The wrapping context of a signing key: bound to its id, so a sealed key copied onto another key's row does not
 * open. The empty tenant marks a service-wide key; data keys always belong to a tenant, so the two never share a
 * context.
 */
function contextOf(keyId: string): WrapContext {
  return { tenant: '', keyId: `signing-key:${keyId}` };
}

/** Whether a stored private key is sealed (rather than an old one in clear). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/** The id of the master key that sealed `stored`; null for a key in clear. */
export function sealingKeyIdOf(stored: string): string | null {
  if (!isSealed(stored)) return null;
  const end = stored.lastIndexOf(':');
  return end > SEALED_PREFIX.length ? stored.slice(SEALED_PREFIX.length, end) : null;
}

/** Seals the C2SP key string of signing key `keyId` with the ring's current master key. */
export async function sealSigningKey(ring: KeyRing, keyId: string, keyText: string): Promise<string> {
  const wrapped = await ring.current.wrap(Buffer.from(keyText, 'utf8'), contextOf(keyId));
  return `${SEALED_PREFIX}${ring.current.id}:${toBase64(wrapped)}`;
}

/**
 * The C2SP key string behind a stored private key: opened with the master key that sealed it, or as stored when it is
 * in clear. Throws, naming what is missing, when that master key is not in the ring (or there is no ring) or the
 * sealed bytes do not open for this key id.
 */
async function keyTextOf(ring: KeyRing | undefined, keyId: string, stored: string): Promise<string> {
  if (!isSealed(stored)) return stored;
  const masterKeyId = sealingKeyIdOf(stored);
  if (masterKeyId === null) throw new Error(`the stored private part of signing key ${keyId} is malformed`);
  const wrapper = ring?.find(masterKeyId);
  if (wrapper === undefined) {
    throw new Error(
      `signing key ${keyId} is sealed by master key ${masterKeyId}, which this process was not given: start it with ` +
        'the same AUDIT_LEDGER_MASTER_KEY (or AUDIT_LEDGER_MASTER_KEY_FILE) as the service, or list the older key in ' +
        'AUDIT_LEDGER_PREVIOUS_MASTER_KEYS',
    );
  }
  const opened = await wrapper.unwrap(fromBase64(stored.slice(stored.lastIndexOf(':') + 1)), contextOf(keyId));
  return Buffer.from(opened).toString('utf8');
}

/** The signing key behind a stored private key (see keyTextOf for when it throws). */
export async function openSigningKey(ring: KeyRing | undefined, keyId: string, stored: string): Promise<SigningKey> {
  return parseSigningKey(await keyTextOf(ring, keyId, stored));
}

/**
 * What the stored private key of `keyId` should become under the ring's current master key: null when that key
 * sealed it already, else the key (opened from an older master key, or in clear) sealed anew, its text unchanged.
 */
export async function resealedSigningKey(ring: KeyRing, keyId: string, stored: string): Promise<string | null> {
  if (sealingKeyIdOf(stored) === ring.current.id) return null;
  const text = await keyTextOf(ring, keyId, stored);
  parseSigningKey(text);
  return sealSigningKey(ring, keyId, text);
}
