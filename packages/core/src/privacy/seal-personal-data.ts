import { canonicalJson } from '../canonical-json.js';
import type { EventInput, SealedEvent } from '../event/event-types.js';
import type { JsonValue } from '../event/json-value.js';
import { MASKED } from '../event/mask-event.js';
import { envelopeKeyId, ERASED, isEnvelopeText, parseEnvelope, type Envelope } from './envelope.js';
import { mapPersonalStrings, rewritePersonalValues } from './personal-fields.js';

/**
 * Encrypts one value: gets the canonical JSON of the plaintext and the value's JSON Pointer (which the cipher binds
 * as associated data, with the tenant and event id, so a ciphertext cannot be moved to another field or event) and
 * answers the envelope text.
 */
export type ValueSealer = (plaintext: string, pointer: string) => string;

/**
 * Opens one envelope found at `pointer`: the plaintext value, ERASED when its key was destroyed, or undefined when
 * it cannot be opened here (an unknown key, or a string that merely looks like an envelope): it then stays as is.
 */
export type EnvelopeOpener = (envelope: Envelope, pointer: string) => JsonValue | undefined;

/** `input` with every personal value (defaults and the tenant's extra paths) replaced by its envelope. */
export function encryptPersonalValues(input: EventInput, extraPaths: readonly string[], seal: ValueSealer): EventInput {
  return rewritePersonalValues(input, extraPaths, (value, pointer) => seal(canonicalJson(value), pointer));
}

/** Key ids of the envelopes in a stored event, so a page of events can fetch each key once. */
export function envelopeKeyIds(event: SealedEvent, into: Set<string> = new Set()): Set<string> {
  mapPersonalStrings(event, (text) => {
    if (isEnvelopeText(text)) {
      const envelope = parseEnvelope(text);
      if (envelope !== null) into.add(envelope.keyId);
    }
    return undefined;
  });
  return into;
}

export interface OpenedEvent<T> {
  event: T;
  /** Envelopes opened to their plaintext. */
  decrypted: number;
  /** Envelopes whose key was destroyed, now reading ERASED. */
  erased: number;
}

/** The stored event with its envelopes opened (or ERASED); the hashes of a view are kept, those of the stored form. */
export function decryptPersonalValues<T extends SealedEvent>(event: T, open: EnvelopeOpener): OpenedEvent<T> {
  let decrypted = 0;
  let erased = 0;
  const opened = mapPersonalStrings(event, (text, pointer) => {
    if (!isEnvelopeText(text)) return undefined;
    const envelope = parseEnvelope(text);
    if (envelope === null) return undefined;
    const value = open(envelope, pointer);
    if (value === undefined) return undefined;
    if (value === ERASED) erased += 1;
    else decrypted += 1;
    return value;
  });
  return { event: opened, decrypted, erased };
}

/**
 * The copy a reader without the personal-data scope sees: every default personal field, every value under changes
 * and every one of the tenant's extra paths reads MASKED, and so does any envelope left elsewhere (a path marked
 * personal in the past). Nothing is decrypted to do so; an envelope whose key id is in `erasedKeyIds` reads ERASED
 * instead, so such a reader can still tell erased data from hidden data. Absent fields stay absent and a view's
 * hashes are kept (those of the stored form).
 */
export function maskPersonalValues<T extends SealedEvent>(
  event: T,
  extraPaths: readonly string[],
  erasedKeyIds: ReadonlySet<string> = new Set(),
): T {
  const hide = (value: JsonValue): JsonValue => {
    if (erasedKeyIds.size > 0 && typeof value === 'string') {
      const keyId = envelopeKeyId(value);
      if (keyId !== null && erasedKeyIds.has(keyId)) return ERASED;
    }
    return MASKED;
  };
  const masked = rewritePersonalValues(event, extraPaths, hide);
  return mapPersonalStrings(masked, (text) => (isEnvelopeText(text) ? hide(text) : undefined));
}

/** Whether a (decrypted) event shows any personal value in clear: something other than ERASED or an envelope. */
export function showsPersonalData(event: SealedEvent, extraPaths: readonly string[]): boolean {
  let shown = false;
  rewritePersonalValues(event, extraPaths, (value) => {
    if (value !== ERASED && value !== MASKED && !isEnvelopeText(value)) shown = true;
    return value;
  });
  return shown;
}
