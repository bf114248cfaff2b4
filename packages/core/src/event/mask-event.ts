import type { EventChanges, SealedEvent } from './event-types.js';
import { isPlainObject, type JsonObject, type JsonValue } from './json-value.js';

/** What a masked value reads as. A string rather than null, so a reader can tell masked from absent or empty. */
export const MASKED = '[masked]';

/** JSON Pointers of the personal data in an event; under `changes/*` every value is personal, keys are not. */
export const PERSONAL_DATA_PATHS = [
  '/actor/name',
  '/actor/email',
  '/context/ip',
  '/context/user_agent',
  '/changes/before',
  '/changes/after',
] as const;

/**
 * Copies an object tree replacing every non-object value (scalars, null, arrays as a whole, so their length does
 * not leak either) by MASKED while keeping keys, so a reader still sees which fields a change touched. Iterative:
 * the result is built top-down through a work list instead of recursion.
 */
function maskValues(root: JsonObject): JsonObject {
  const out: JsonObject = {};
  const work: Array<[source: JsonObject, target: JsonObject]> = [[root, out]];
  while (work.length > 0) {
    const [source, target] = work.pop() as [JsonObject, JsonObject];
    for (const key of Object.keys(source)) {
      const value = source[key] as JsonValue;
      let copy: JsonValue = MASKED;
      if (isPlainObject(value)) {
        const child: JsonObject = {};
        work.push([value as JsonObject, child]);
        copy = child;
      }
      // defineProperty rather than assignment: a `__proto__` key must stay a plain data key.
      Object.defineProperty(target, key, { value: copy, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

function maskChanges(changes: EventChanges): EventChanges {
  const masked: EventChanges = {};
  if (changes.before !== undefined) masked.before = changes.before === null ? null : maskValues(changes.before);
  if (changes.after !== undefined) masked.after = changes.after === null ? null : maskValues(changes.after);
  return masked;
}

/**
 * A copy of `event` for a reader without the personal-data scope: every field in PERSONAL_DATA_PATHS that is present
 * reads MASKED; absent fields stay absent, so masking never invents data. Everything else, including a view's
 * hashes, is kept and shared with `event` rather than copied; the masked copy deliberately no longer matches its
 * leaf hash.
 */
export function maskEvent<T extends SealedEvent>(event: T): T {
  const copy: T = { ...event };
  const actor = { ...event.actor };
  if (actor.name !== undefined) actor.name = MASKED;
  if (actor.email !== undefined) actor.email = MASKED;
  copy.actor = actor;
  if (event.context !== undefined) {
    const context = { ...event.context };
    if (context.ip !== undefined) context.ip = MASKED;
    if (context.user_agent !== undefined) context.user_agent = MASKED;
    copy.context = context;
  }
  if (event.changes !== undefined) copy.changes = maskChanges(event.changes);
  return copy;
}
