import { createHmac } from 'node:crypto';
import { formatEnvelope, type EnvelopeOpener, type JsonValue, type ValueSealer } from '@audit-ledger/core';
import { ERASED } from '@audit-ledger/core';
import { aesGcmDecrypt, aesGcmEncrypt } from '../crypto/aes-gcm.js';
import type { KeyState, SubjectKey } from './data-key-service.js';

/**
 * Associated data of one encrypted value: the tenant, the event id and the value's JSON Pointer. A ciphertext copied
 * into another field, event or tenant therefore fails authentication instead of being shown there.
 */
function fieldAad(tenant: string, eventId: string, pointer: string): Buffer {
  return Buffer.from(`audit-ledger field v1\u0000${tenant}\u0000${eventId}\u0000${pointer}`, 'utf8');
}

/** Encrypts the values of one event under its subject's key. */
export function fieldSealer(tenant: string, eventId: string, subjectKey: SubjectKey): ValueSealer {
  const prefix = fieldAad(tenant, eventId, '');
  return (plaintext, pointer) =>
    formatEnvelope(
      subjectKey.keyId,
      aesGcmEncrypt(
        subjectKey.key,
        Buffer.from(plaintext, 'utf8'),
        Buffer.concat([prefix, Buffer.from(pointer, 'utf8')]),
      ),
    );
}

/**
 * Opens the envelopes of one stored event with the keys fetched for its page: ERASED for a destroyed key, undefined
 * (left as stored) for an unknown key or a value that does not authenticate, as a producer's string that merely looks
 * like an envelope would not.
 */
export function fieldOpener(tenant: string, eventId: string, keys: ReadonlyMap<string, KeyState>): EnvelopeOpener {
  return (envelope, pointer) => {
    const state = keys.get(envelope.keyId);
    if (state === undefined) return undefined;
    if (!state.live) return ERASED;
    const plaintext = aesGcmDecrypt(state.key, envelope.payload, fieldAad(tenant, eventId, pointer));
    if (plaintext === null) return undefined;
    return JSON.parse(plaintext.toString('utf8')) as JsonValue;
  };
}

/**
 * The retry fingerprint as stored: an HMAC of the plaintext fingerprint under a key derived from the subject's data
 * key, so the stored value confirms no guess about the personal data (and stops matching anything once that key is
 * destroyed).
 */
export function keyedFingerprint(subjectKey: SubjectKey, plainFingerprint: Uint8Array): Uint8Array {
  return createHmac('sha256', subjectKey.fingerprintKey).update(plainFingerprint).digest();
}
