import { canonicalJson } from '../canonical-json.js';
import { isPlainObject, type JsonObject, type JsonValue } from './json-value.js';

function escapeSegment(key: string): string {
  if (!key.includes('.') && !key.includes('\\')) return key;
  return key.replace(/\\/g, '\\\\').replace(/\./g, '\\.');
}

/** Leaves of `root` keyed by dotted path; iterative so the walk does not depend on the call stack. */
function leaves(root: JsonObject | null | undefined): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  if (root === null || root === undefined) return out;
  const stack: Array<[prefix: string, object: JsonObject]> = [['', root]];
  while (stack.length > 0) {
    const [prefix, object] = stack.pop() as [string, JsonObject];
    for (const key of Object.keys(object)) {
      const value = object[key] as JsonValue;
      const path = prefix === '' ? escapeSegment(key) : `${prefix}.${escapeSegment(key)}`;
      if (isPlainObject(value) && Object.keys(value).length > 0) stack.push([path, value as JsonObject]);
      else out.set(path, value);
    }
  }
  return out;
}

function sameValue(a: JsonValue, b: JsonValue): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * The fields a change touched, as sorted dotted paths (`address.city`).
 *
 * Both sides are flattened to leaves. A leaf is any value that is not an object with keys: a scalar, null, an array
 * (compared as a whole value, since element-wise paths would shift with every insertion) or an empty object. A path
 * is reported when it is a leaf on only one side (added or removed) or a leaf on both with different values. A side
 * that is null or absent has no leaves, so every leaf of the other side is reported: a create lists every field it
 * set, a delete every field it removed. Replacing an object by a scalar reports the scalar's path and every leaf path
 * below the old object. A `.` or `\` inside a key is escaped with `\`, so `{"a.b": 1}` gives `a\.b` and never
 * collides with `{"a": {"b": 1}}`.
 */
export function changedFields(
  before: JsonObject | null | undefined,
  after: JsonObject | null | undefined,
): string[] {
  const old = leaves(before);
  const now = leaves(after);
  const changed: string[] = [];
  for (const [path, value] of old) {
    if (!now.has(path) || !sameValue(value, now.get(path) as JsonValue)) changed.push(path);
  }
  for (const path of now.keys()) {
    if (!old.has(path)) changed.push(path);
  }
  return changed.sort();
}
