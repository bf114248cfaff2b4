import { fromHex, isSealedPersonalData, toHex, type SealedPersonalData } from '@audit-ledger/core';

/**
 * What the ingest side worked out for one event before it reached the sequencer: with encryption, changed_fields and
 * the personal values' part of the retry fingerprint must come from the plaintext, which the sequencer no longer sees, and the encrypted personal
 * data travels here (a producer's event can never carry it).
 */
export interface SealingHint {
  /** changed_fields derived from the plaintext changes. */
  changedFields?: readonly string[];
  /** The tenant's extra personal-data paths, kept out of full-text search. */
  personalDataPaths?: readonly string[];
  /**
   * Keyed digest of the encrypted personal values (see personalDigest); the stored request_hash combines it with the
   * sealing template's fingerprint.
   */
  personalDigest?: Uint8Array;
  /** The id was generated here, so it cannot already be in the log and needs no lookup. */
  idGenerated?: boolean;
  /** The event's encrypted personal values, sealed as its `personal_data` member. */
  personalData?: SealedPersonalData;
  /** The API key that sent the event, sealed as its `submitted_by` member. */
  submittedBy?: string;
}

/** A hint as it travels in a queued message (JSON). */
export interface WireSealingHint {
  changed_fields?: string[];
  personal_data_paths?: string[];
  /** hex */
  personal_digest?: string;
  id_generated?: boolean;
  personal_data?: SealedPersonalData;
  submitted_by?: string;
}

export function hintToWire(hint: SealingHint): WireSealingHint {
  const wire: WireSealingHint = {};
  if (hint.changedFields !== undefined) wire.changed_fields = [...hint.changedFields];
  if (hint.personalDataPaths !== undefined) wire.personal_data_paths = [...hint.personalDataPaths];
  if (hint.personalDigest !== undefined) wire.personal_digest = toHex(hint.personalDigest);
  if (hint.idGenerated !== undefined) wire.id_generated = hint.idGenerated;
  if (hint.personalData !== undefined) wire.personal_data = hint.personalData;
  if (hint.submittedBy !== undefined) wire.submitted_by = hint.submittedBy;
  return wire;
}

const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Throws when the value is not a hint this service wrote. */
export function hintFromWire(value: unknown): SealingHint {
  if (typeof value !== 'object' || value === null) throw new Error('sealing hint is not an object');
  const wire = value as Record<string, unknown>;
  const hint: SealingHint = {};
  if (wire.changed_fields !== undefined) {
    if (!strings(wire.changed_fields)) throw new Error('sealing hint changed_fields is not a list of strings');
    hint.changedFields = wire.changed_fields;
  }
  if (wire.personal_data_paths !== undefined) {
    if (!strings(wire.personal_data_paths)) throw new Error('sealing hint personal_data_paths is not a list of strings');
    hint.personalDataPaths = wire.personal_data_paths;
  }
  if (wire.personal_digest !== undefined) {
    if (typeof wire.personal_digest !== 'string') throw new Error('sealing hint personal_digest is not hex');
    hint.personalDigest = fromHex(wire.personal_digest);
  }
  if (wire.id_generated !== undefined) hint.idGenerated = wire.id_generated === true;
  if (wire.personal_data !== undefined) {
    if (!isSealedPersonalData(wire.personal_data)) throw new Error('sealing hint personal_data is malformed');
    const { key, paths, sealed } = wire.personal_data;
    hint.personalData = { key, paths, sealed };
  }
  if (wire.submitted_by !== undefined) {
    if (typeof wire.submitted_by !== 'string') throw new Error('sealing hint submitted_by is not a string');
    hint.submittedBy = wire.submitted_by;
  }
  return hint;
}
