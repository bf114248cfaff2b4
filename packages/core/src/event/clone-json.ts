import { sortedKeys } from '../sorted-keys.js';
import type { JsonObject, JsonValue } from './json-value.js';

/**
 * A deep copy of a JSON value (plain objects, arrays, strings, numbers, booleans, null), sharing nothing with it.
 * Used instead of structuredClone on the ingest path, where the generic serializer costs several microseconds per
 * call and every event needs a few: callers pass values the validator has already found to be bounded, plain I-JSON.
 * Members are copied in UTF-16 code unit order of their keys, the RFC 8785 order, so canonical JSON of the copy can be
 * written natively (see canonicalJson); key order carries no meaning in JSON. An own `__proto__` member (which
 * JSON.parse creates) stays a plain data member rather than becoming the copy's prototype.
 */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy: JsonValue[] = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneJson(value[i] as JsonValue);
    return copy as T;
  }
  const copy: JsonObject = {};
  for (const key of sortedKeys(value)) {
    const member = cloneJson((value as JsonObject)[key] as JsonValue);
    if (key === '__proto__') {
      Object.defineProperty(copy, key, { value: member, enumerable: true, writable: true, configurable: true });
    } else {
      copy[key] = member;
    }
  }
  return copy as T;
}
