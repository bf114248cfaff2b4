import type { SealedEvent } from './event-types.js';
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
function metadataStrings(metadata: JsonValue, budget: number): string[] {
  const out: string[] = [];
  let left = budget;
  const stack: JsonValue[] = [metadata];
  while (stack.length > 0 && left > 0) {
    const value = stack.pop() as JsonValue;
    if (typeof value === 'string') {
      const piece = cut(value, left);
      if (piece.length > 0) out.push(piece);
      left -= piece.length + 1;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i] as JsonValue);
    } else if (isPlainObject(value)) {
      const keys = Object.keys(value).sort();
      for (let i = keys.length - 1; i >= 0; i--) stack.push(value[keys[i] as string] as JsonValue);
    }
  }
  return out;
}

/**
 * The words full-text search indexes for an event. Personal data (actor name and e-mail, IP, user agent, the values
 * in `changes`) and the data subject id are left out on purpose: search is open to readers without the
 * personal-data scope, and anything indexed could be probed one query at a time. Dotted action names are also
 * split into their segments so `login` finds `user.login`.
 */
export function searchTextOf(sealed: SealedEvent): string {
  const words: Array<string | undefined> = [
    sealed.action,
    ...sealed.action.split('.'),
    sealed.actor.id,
    sealed.actor.type,
    sealed.resource.type,
    sealed.resource.id,
    sealed.resource.name,
    sealed.outcome,
    sealed.context?.request_id,
    sealed.context?.session_id,
    sealed.context?.business_process,
    sealed.context?.role,
    sealed.context?.reason,
    sealed.classification,
    ...(sealed.compliance_tags ?? []),
    sealed.retention_category,
  ];
  if (sealed.metadata !== undefined) words.push(...metadataStrings(sealed.metadata, SEARCH_METADATA_BUDGET));
  return words.filter((word): word is string => word !== undefined && word !== '').join(' ');
}
