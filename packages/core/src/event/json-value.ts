/** A value that survives a JSON round trip unchanged (I-JSON once the validator has checked strings and numbers). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * True for objects JSON.parse could have produced. Class instances (Date, Map, Buffer...) are excluded because
 * canonical JSON would serialise them differently from what the caller sees.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
