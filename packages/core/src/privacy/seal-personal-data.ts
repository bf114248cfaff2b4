import { canonicalJson } from '../canonical-json.js';
import type { EventInput, SealedEvent, SealedPersonalData } from '../event/event-types.js';
import type { JsonValue } from '../event/json-value.js';
import { MASKED } from '../event/mask-event.js';
import { ERASED, isSealedPersonalData } from './personal-data-member.js';
import { rewritePaths, rewritePersonalValues } from './personal-fields.js';

/**
 * Encrypts the personal values of one event: gets the canonical JSON array of the values and their JSON Pointers
 * (sorted, in the same order, and as canonical JSON too, so a sealer that needs the text does not serialise them
 * again) and answers the `personal_data` member. The cipher binds the pointers as associated data, with the tenant
 * and event id, so neither the ciphertext nor its path list can be moved or edited.
 */
export type PersonalDataSealer = (plaintext: string, paths: readonly string[], pathsJson: string) => SealedPersonalData;

/**
 * Opens an event's `personal_data`: the values in `paths` order, ERASED when its key was destroyed, or undefined when
 * it cannot be opened here (an unknown key, or a member that does not authenticate); the values then stay sealed.
 */
export type PersonalDataOpener = (member: SealedPersonalData) => readonly JsonValue[] | typeof ERASED | undefined;

export interface SeparatedPersonalData<T> {
  /** A copy of the event with null at each personal path. */
  event: T;
  /** The personal paths present in the event, sorted by UTF-16 code units. */
  paths: string[];
  /** The values found at `paths`, in the same order. */
  values: JsonValue[];
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedByCodeUnits(strings: readonly string[]): boolean {
  for (let i = 1; i < strings.length; i++) if ((strings[i - 1] as string) > (strings[i] as string)) return false;
  return true;
}

/**
 * Takes the personal values out of `event` (the defaults, each leaf under changes.before/after, and each of
 * `extraPaths` present), leaving null in their place: the structure, such as which keys of `changes` were touched,
 * stays visible, and no array loses an element. The event itself is not modified.
 */
export function separatePersonalValues<T extends EventInput>(event: T, extraPaths: readonly string[]): SeparatedPersonalData<T> {
  const paths: string[] = [];
  const values: JsonValue[] = [];
  const stripped = rewritePersonalValues(event, extraPaths, (value, pointer) => {
    paths.push(pointer);
    values.push(value);
    return null;
  });
  if (sortedByCodeUnits(paths)) return { event: stripped, paths, values };
  const order = paths.map((_, index) => index).sort((a, b) => byCodeUnits(paths[a] as string, paths[b] as string));
  return {
    event: stripped,
    paths: order.map((index) => paths[index] as string),
    values: order.map((index) => values[index] as JsonValue),
  };
}

export interface EncryptedEvent {
  event: EventInput;
  /** Absent when the event holds no personal value (nothing was encrypted). */
  personalData?: SealedPersonalData;
}

/** `input` with its personal values replaced by null and encrypted, all together, into one `personal_data` member. */
export function encryptPersonalValues(input: EventInput, extraPaths: readonly string[], seal: PersonalDataSealer): EncryptedEvent {
  const separated = separatePersonalValues(input, extraPaths);
  if (separated.paths.length === 0) return { event: input };
  const { paths, values } = separated;
  return { event: separated.event, personalData: seal(canonicalJson(values), paths, canonicalJson(paths)) };
}

/** The key ids of stored events' personal data, so a page of events can fetch each key once. */
export function personalDataKeyIds(event: SealedEvent, into: Set<string> = new Set()): Set<string> {
  if (isSealedPersonalData(event.personal_data)) into.add(event.personal_data.key);
  return into;
}

export interface OpenedEvent<T> {
  event: T;
  /** Values decrypted back into place. */
  decrypted: number;
  /** Values whose key was destroyed, now reading ERASED. */
  erased: number;
  /** Paths whose values stay sealed (null) because the member could not be opened here. */
  sealedPaths: readonly string[];
}

/**
 * The stored event with its personal data put back at its paths (or ERASED at each); a view's hashes are kept (those
 * of the stored form), and so is the `personal_data` member, so the view still compares with its leaf.
 */
export function decryptPersonalValues<T extends SealedEvent>(event: T, open: PersonalDataOpener): OpenedEvent<T> {
  const member = event.personal_data;
  if (member === undefined) return { event, decrypted: 0, erased: 0, sealedPaths: [] };
  if (!isSealedPersonalData(member)) return { event, decrypted: 0, erased: 0, sealedPaths: pathsOf(member) };
  const values = open(member);
  if (values === ERASED) {
    return { event: rewritePaths(event, member.paths, () => ERASED), decrypted: 0, erased: member.paths.length, sealedPaths: [] };
  }
  if (values === undefined || values.length !== member.paths.length) {
    return { event, decrypted: 0, erased: 0, sealedPaths: member.paths };
  }
  const opened = rewritePaths(event, member.paths, (_, __, index) => values[index] as JsonValue);
  return { event: opened, decrypted: values.length, erased: 0, sealedPaths: [] };
}

/** The string paths of a damaged member, for leaving them out of what counts as shown. */
function pathsOf(member: unknown): string[] {
  const paths = (member as { paths?: unknown } | null)?.paths;
  return Array.isArray(paths) ? paths.filter((path): path is string => typeof path === 'string') : [];
}

/**
 * The copy a reader without the personal-data scope sees: every default personal field, every value under changes,
 * every one of the tenant's extra paths and every path the event's `personal_data` lists (a path marked personal in
 * the past included) reads MASKED. Nothing is decrypted to do so; when the event's data key is in `erasedKeyIds` its
 * paths read ERASED instead, so such a reader can still tell erased data from hidden data. Absent fields stay absent
 * and a view's hashes are kept (those of the stored form).
 */
export function maskPersonalValues<T extends SealedEvent>(
  event: T,
  extraPaths: readonly string[],
  erasedKeyIds: ReadonlySet<string> = new Set(),
): T {
  const masked = rewritePersonalValues(event, extraPaths, () => MASKED);
  const member = event.personal_data;
  if (member === undefined) return masked;
  const hidden = isSealedPersonalData(member) && erasedKeyIds.has(member.key) ? ERASED : MASKED;
  return rewritePaths(masked, pathsOf(member), () => hidden);
}

/**
 * Whether a (decrypted) event shows any personal value in clear: something other than ERASED or MASKED at a personal
 * path, or at a path its `personal_data` lists. `sealedPaths` (see OpenedEvent) still hold no plaintext.
 */
export function showsPersonalData(event: SealedEvent, extraPaths: readonly string[], sealedPaths: readonly string[] = []): boolean {
  const skip = new Set(sealedPaths);
  let shown = false;
  const look = (value: JsonValue, pointer: string): JsonValue => {
    if (!shown && value !== ERASED && value !== MASKED && !skip.has(pointer)) shown = true;
    return value;
  };
  rewritePersonalValues(event, extraPaths, look);
  if (!shown && event.personal_data !== undefined) rewritePaths(event, pathsOf(event.personal_data), look);
  return shown;
}
