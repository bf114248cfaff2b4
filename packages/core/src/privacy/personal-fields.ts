import { isPlainObject, type JsonObject, type JsonValue } from '../event/json-value.js';
import { appendPointer } from '../event/json-pointer.js';
import { CHANGE_SIDES, DEFAULT_PERSONAL_PATHS } from './personal-paths.js';
import { parsePointer } from './pointer.js';

/**
 * The members of an event that can hold personal data; an EventInput and a SealedEvent both have this shape, so one
 * walk serves encryption at ingest and masking or decryption on reads.
 */
export interface PersonalShape {
  actor: { name?: string; email?: string };
  resource: { name?: string };
  context?: object;
  changes?: { before?: JsonObject | null; after?: JsonObject | null };
  metadata?: JsonObject;
}

/** Replaces one personal value; gets the value and its JSON Pointer in the event. */
export type PersonalValueRewrite = (value: JsonValue, pointer: string) => JsonValue;

/** Replaces the value at the `index`-th of the pointers given to rewritePaths. */
export type PathRewrite = (value: JsonValue, pointer: string, index: number) => JsonValue;

/** The default personal paths with their tokens, parsed once rather than for every event. */
const DEFAULT_PATH_TOKENS: ReadonlyArray<readonly [string, readonly string[]]> = DEFAULT_PERSONAL_PATHS.map(
  (pointer) => [pointer, parsePointer(pointer) as string[]] as const,
);

/** Sets a data member, so that even a `__proto__` key stays an ordinary own property (assignment would not). */
function setMember(target: object, key: string | number, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    (target as Record<string | number, unknown>)[key] = value;
  }
}

/** appendPointer without the escaping work for the usual token that needs none. */
function childPointer(pointer: string, key: string | number): string {
  return typeof key === 'string' && (key.includes('~') || key.includes('/'))
    ? appendPointer(pointer, key)
    : `${pointer}/${key}`;
}

function hasMember(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

/** A copy of the change side with every leaf value rewritten; keys (and empty objects) stay as they are. */
function rewriteLeaves(source: JsonObject, pointer: string, rewrite: PersonalValueRewrite): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(source)) {
    const value = source[key] as JsonValue;
    const at = childPointer(pointer, key);
    setMember(out, key, isPlainObject(value) ? rewriteLeaves(value as JsonObject, at, rewrite) : rewrite(value, at));
  }
  return out;
}

/**
 * Rewrites the value at `tokens` inside `root` (already a private copy), copying each container on the way the first
 * time it is entered so the caller's event is never modified. A path that does not exist in the event is skipped.
 */
function rewriteAt(
  root: Record<string, unknown>,
  tokens: readonly string[],
  copied: Set<object>,
  rewrite: (value: JsonValue) => JsonValue,
): void {
  let parent: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    let key: string | number = token;
    if (Array.isArray(parent)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= parent.length) return;
      key = Number(token);
    } else if (!hasMember(parent, token)) {
      return;
    }
    const value = (parent as Record<string | number, unknown>)[key];
    if (i === tokens.length - 1) {
      if (value !== undefined) setMember(parent, key, rewrite(value as JsonValue));
      return;
    }
    if (!(isPlainObject(value) || Array.isArray(value))) return;
    let child = value as Record<string, unknown> | unknown[];
    if (!copied.has(child)) {
      child = Array.isArray(child) ? [...child] : Object.defineProperties({}, Object.getOwnPropertyDescriptors(child));
      copied.add(child);
      setMember(parent, key, child);
    }
    parent = child;
  }
}

/**
 * A copy of `event` with every personal value rewritten: the default fields, each leaf under changes.before/after, and
 * each of `extraPaths` present in the event (whole values; pass them outer-first, see effectivePersonalPaths). The
 * event itself is not modified, and members without personal data are shared rather than copied.
 */
export function rewritePersonalValues<T extends PersonalShape>(
  event: T,
  extraPaths: readonly string[],
  rewrite: PersonalValueRewrite,
): T {
  const copy = { ...event } as T & Record<string, unknown>;
  const copied = new Set<object>([copy]);
  const actor = { ...event.actor };
  copy.actor = actor;
  copied.add(actor);
  for (const [pointer, tokens] of DEFAULT_PATH_TOKENS) {
    if (tokens[0] === 'context' && copy.context !== undefined && !copied.has(copy.context)) {
      copy.context = { ...copy.context };
      copied.add(copy.context);
    }
    rewriteAt(copy, tokens, copied, (value) => rewrite(value, pointer));
  }
  if (event.changes !== undefined) {
    const changes: NonNullable<PersonalShape['changes']> = {};
    for (const side of CHANGE_SIDES) {
      const value = event.changes[side];
      if (value === undefined) continue;
      changes[side] = value === null ? null : rewriteLeaves(value, `/changes/${side}`, rewrite);
    }
    copy.changes = changes;
    copied.add(changes);
  }
  for (const pointer of extraPaths) {
    const tokens = parsePointer(pointer);
    if (tokens !== null && tokens.length > 0 && tokens[0] !== 'changes') {
      rewriteAt(copy, tokens, copied, (value) => rewrite(value, pointer));
    }
  }
  return copy;
}

/**
 * A copy of `event` with the value at each of `pointers` rewritten (any member, arrays included; a pointer that names
 * nothing in the event is skipped). Like rewritePersonalValues, it leaves the event alone and shares what it does not
 * change.
 */
export function rewritePaths<T extends object>(event: T, pointers: readonly string[], rewrite: PathRewrite): T {
  const copy = { ...event } as T & Record<string, unknown>;
  const copied = new Set<object>([copy]);
  pointers.forEach((pointer, index) => {
    const tokens = parsePointer(pointer);
    if (tokens !== null && tokens.length > 0) rewriteAt(copy, tokens, copied, (value) => rewrite(value, pointer, index));
  });
  return copy;
}

/** Whether `event` holds any personal value (so encrypting it needs a data key at all); copies nothing. */
export function hasPersonalValues(event: PersonalShape, extraPaths: readonly string[]): boolean {
  const { actor } = event;
  if (actor.name !== undefined || actor.email !== undefined) return true;
  const context = event.context as { ip?: unknown; user_agent?: unknown } | undefined;
  if (context !== undefined && (context.ip !== undefined || context.user_agent !== undefined)) return true;
  for (const side of CHANGE_SIDES) {
    const value = event.changes?.[side];
    if (value !== undefined && value !== null && hasLeaf(value)) return true;
  }
  for (const pointer of extraPaths) {
    const tokens = parsePointer(pointer);
    if (tokens === null || tokens.length === 0 || tokens[0] === 'changes') continue;
    let at: unknown = event;
    for (const token of tokens) {
      if (Array.isArray(at)) at = /^(0|[1-9][0-9]*)$/.test(token) ? at[Number(token)] : undefined;
      else if (isPlainObject(at) && hasMember(at, token)) at = at[token];
      else at = undefined;
      if (at === undefined) break;
    }
    if (at !== undefined) return true;
  }
  return false;
}

/** Whether a change side has any leaf value (an object nested without values has none). */
function hasLeaf(object: JsonObject): boolean {
  for (const key of Object.keys(object)) {
    const value = object[key] as JsonValue;
    if (!isPlainObject(value) || hasLeaf(value as JsonObject)) return true;
  }
  return false;
}
