import { createHmac } from 'node:crypto';
import {
  canonicalJson,
  ERASED,
  formatPersonalData,
  sealedPayload,
  type JsonValue,
  type PersonalDataOpener,
  type PersonalDataSealer,
} from '@audit-ledger/core';
import { aesGcmDecrypt, aesGcmEncrypt } from '../crypto/aes-gcm.js';
import type { KeyState, SubjectKey } from './data-key-service.js';

/**
 * Associated data of an event's personal data: the tenant, the event id and the canonical JSON of the paths. A
 * ciphertext copied into another event or tenant, or a path list edited, reordered or swapped, therefore fails
 * authentication instead of putting values where they do not belong.
 */
function personalDataAad(tenant: string, eventId: string, pathsJson: string): Buffer {
  return Buffer.from(`audit-ledger personal data v1\u0000${tenant}\u0000${eventId}\u0000${pathsJson}`, 'utf8');
}

/**
 * Encrypts the personal values of one event, in one operation, under its subject's key, and hands `onDigest` their
 * part of the retry fingerprint (see personalDigest).
 */
export function personalDataSealer(
  tenant: string,
  eventId: string,
  subjectKey: SubjectKey,
  onDigest: (digest: Uint8Array) => void,
): PersonalDataSealer {
  return (plaintext, paths, pathsJson) => {
    onDigest(personalDigest(subjectKey, pathsJson, plaintext));
    return formatPersonalData(
      subjectKey.keyId,
      paths,
      aesGcmEncrypt(subjectKey.key, plaintext, personalDataAad(tenant, eventId, pathsJson)),
    );
  };
}

/**
 * Opens the personal data of one stored event with the keys fetched for its page: ERASED for a destroyed key,
 * undefined (left sealed) for an unknown key or a member that does not authenticate or does not hold one value per
 * path.
 */
export function personalDataOpener(tenant: string, eventId: string, keys: ReadonlyMap<string, KeyState>): PersonalDataOpener {
  return (member) => {
    const state = keys.get(member.key);
    if (state === undefined) return undefined;
    if (!state.live) return ERASED;
    const aad = personalDataAad(tenant, eventId, canonicalJson(member.paths));
    const plaintext = aesGcmDecrypt(state.key, sealedPayload(member), aad);
    if (plaintext === null) return undefined;
    const values = JSON.parse(plaintext.toString('utf8')) as unknown;
    return Array.isArray(values) && values.length === member.paths.length ? (values as JsonValue[]) : undefined;
  };
}

/**
 * The part of an event's retry fingerprint that covers its personal values: an HMAC of the paths (canonical JSON), a
 * NUL and the very plaintext that was encrypted, under a key derived from the subject's data key. The sealing
 * template fingerprints everything else (see SealingTemplate.fingerprint), so together they tell a retry from a
 * different event without serialising the event a second time, and the stored hash confirms no guess about the
 * personal data (and stops matching anything once that key is destroyed).
 */
export function personalDigest(subjectKey: SubjectKey, pathsJson: string, plaintext: string): Uint8Array {
  return createHmac('sha256', subjectKey.fingerprintKey).update(`${pathsJson}\u0000${plaintext}`).digest();
}
