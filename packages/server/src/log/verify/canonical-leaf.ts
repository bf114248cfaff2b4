import { canonicalJson } from '@audit-ledger/core';
import { CanonicalLeafReader } from './canonical-leaf-reader.js';

const reader = new CanonicalLeafReader();

/**
 * Whether `text` is exactly the RFC 8785 form of `value` (its parse). The reader settles the leaves the service writes
 * in one pass over the text; anything else is decided by canonicalJson itself, which writes a value whose keys already
 * ascend natively.
 */
function isCanonicalText(text: string, value: unknown): boolean {
  if (reader.read(text)) return true;
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
