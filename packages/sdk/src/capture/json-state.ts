import { canonicalJson, isPlainObject, type JsonObject } from '@audit-ledger/core';

/**
 * A resource state as an event's `changes.before/after` holds it: a JSON object, or null for "does not exist".
 * Values go through a JSON round trip, as they would on the wire: dates become ISO strings, `undefined` and functions
 * disappear, class instances keep only their own enumerable data. A state that is not an object (a number, a string,
 * an array) is wrapped as `{ value }`, because the event schema wants an object there. `omit` drops top-level fields
 * that must never reach an audit trail (password hashes, tokens).
 */
export function toJsonState(value: unknown, omit: readonly string[] = []): JsonObject | null {
  if (value === undefined || value === null) return null;
  const plain: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
  if (plain === null) return null;
  const state: JsonObject = isPlainObject(plain) ? (plain as JsonObject) : { value: plain as JsonObject[string] };
  for (const field of omit) delete state[field];
  return state;
}

/** True when two states are the same JSON (key order aside). */
export function sameState(a: JsonObject | null, b: JsonObject | null): boolean {
  if (a === null || b === null) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}
