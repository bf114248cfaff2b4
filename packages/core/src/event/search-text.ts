import { sortedKeys } from '../sorted-keys.js';
import type { SealedEvent } from './event-types.js';
import { appendPointer } from './json-pointer.js';
import { isPlainObject, type JsonValue } from './json-value.js';

/** Budget for text taken from metadata, in UTF-16 code units; keeps one event's search document small. */
export const SEARCH_METADATA_BUDGET = 4096;

/** Cuts at `length` without splitting a surrogate pair, so the result is still valid UTF-8 material. */
function cut(text: string, length: number): string {
  if (text.length <= length) return text;
  const last = text.charCodeAt(length - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}

/**
 * String values of metadata in a fixed order (keys sorted, depth first) so the same event always gives the same text,
 * whatever key order a store hands back.
 */
function metadataStrings(metadata: JsonValue, budget: number, excluded: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let left = budget;
  // Pointers are only tracked when some metadata path is excluded: the common case pays nothing for them.
  const track = excluded.size > 0;
  const stack: Array<[JsonValue, string]> = [[metadata, '/metadata']];
  while (stack.length > 0 && left > 0) {
    const [value, pointer] = stack.pop() as [JsonValue, string];
    if (track && excluded.has(pointer)) continue;
    if (typeof value === 'string') {
      const piece = cut(value, left);
      if (piece.length > 0) out.push(piece);
      left -= piece.length + 1;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i] as JsonValue, track ? appendPointer(pointer, i) : '']);
    } else if (isPlainObject(value)) {
      const keys = sortedKeys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push([value[key] as JsonValue, track ? appendPointer(pointer, key) : '']);
      }
    }
  }
  return out;
}

/**
 * The words full-text search indexes for an event. Personal data (actor name and e-mail, IP, user agent, the values
 * in `changes`) and the data subject id are left out on purpose: search is open to readers without the
 * personal-data scope, and anything indexed could be probed one query at a time. Dotted action names are also
 * split into their segments so `login` finds `user.login`. The tenant's extra personal-data paths (JSON Pointers)
 * are left out the same way. Encrypted personal data (the `personal_data` member) is never indexed: its values read
 * null in the sealed event, and its ciphertext is not a member search looks at.
 */
export function searchTextOf(sealed: SealedEvent, personalDataPaths: readonly string[] = []): string {
  const excluded = new Set(personalDataPaths);
  const context = sealed.context;
  const contextWord = (field: keyof NonNullable<SealedEvent['context']>): string | undefined =>
    excluded.has(`/context/${field}`) ? undefined : context?.[field];
  const words: Array<string | undefined> = [
    sealed.action,
    ...sealed.action.split('.'),
    sealed.actor.id,
    sealed.actor.type,
    sealed.resource.type,
    sealed.resource.id,
    excluded.has('/resource/name') ? undefined : sealed.resource.name,
    sealed.outcome,
    contextWord('request_id'),
    contextWord('session_id'),
    contextWord('business_process'),
    contextWord('role'),
    contextWord('reason'),
    sealed.classification,
    ...(sealed.compliance_tags ?? []),
    sealed.retention_category,
  ];
  if (sealed.metadata !== undefined) {
    words.push(...metadataStrings(sealed.metadata, SEARCH_METADATA_BUDGET, excluded));
  }
  return words
    .filter((word): word is string => word !== undefined && word !== '')
    .join(' ');
}
