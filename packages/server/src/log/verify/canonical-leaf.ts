import { canonicalJson } from '@audit-ledger/core';
import { CanonicalLeafReader } from './canonical-leaf-reader.js';

/** Keys of every object, in property order, ascend strictly by UTF-16 code units (the RFC 8785 order). */
function keysAscend(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!keysAscend(item)) return false;
    return true;
  }
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!keysAscend((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

const reader = new CanonicalLeafReader();

/**
 * Whether `text` is exactly the RFC 8785 form of `value` (its parse). The reader settles the leaves the service writes
 * in one pass over the text. Otherwise: JSON.stringify writes strings and numbers the way RFC 8785 does, so when it
 * reproduces the text and every object's keys already ascend, the text is canonical; anything else (escaped lone
 * surrogates, integer-like keys that property order moves to the front) is decided by canonicalJson itself.
 */
function isCanonicalText(text: string, value: unknown): boolean {
  if (reader.read(text)) return true;
  if (!text.includes('\\ud') && JSON.stringify(value) === text && keysAscend(value)) return true;
  try {
    return canonicalJson(value) === text;
  } catch {
    return false;
  }
}

export type LeafParse = { ok: true; event: Record<string, unknown> } | { ok: false; reason: string };

/** Parses leaf text and checks that it is the canonical JSON of a JSON object, as every sealed event is. */
export function parseCanonicalLeaf(text: string): LeafParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'leaf is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'leaf is not a JSON object' };
  }
  if (!isCanonicalText(text, value)) return { ok: false, reason: 'leaf is not canonical JSON (RFC 8785)' };
  return { ok: true, event: value as Record<string, unknown> };
}
