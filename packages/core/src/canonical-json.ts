import { utf8 } from './bytes.js';
import { sortedKeys } from './sorted-keys.js';

/**
 * RFC 8785 (JCS) canonical JSON. Strings and numbers are written exactly as ECMAScript's JSON.stringify writes them
 * (which is what RFC 8785 specifies), object members are sorted by UTF-16 code units, and anything that is not
 * I-JSON (non-finite numbers, lone surrogates, cycles) is refused.
 *
 * Written here rather than taken from the `canonicalize` package because every entry is serialised on the ingest
 * hot path and again by every verification, and this is several times faster on events; the tests check it against
 * that package on random values.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError('value has no JSON representation');
  }
  return write(value, 0);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalJson(value));
}

/** Far deeper than any event may be; stops cycles and runaway recursion with a clear error. */
const MAX_DEPTH = 1000;

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/**
 * Printable ASCII without `"` and `\`: JSON.stringify would only add the quotes. Most keys and values of an event are
 * like this, and the test is several times cheaper than the generic call.
 */
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function writeString(text: string): string {
  if (PLAIN_STRING.test(text)) return `"${text}"`;
  if (!text.isWellFormed()) throw new TypeError('lone surrogates are not allowed in canonical JSON');
  return JSON.stringify(text);
}

/** Subtrees deeper than this are left to the member-by-member writer, which also reports excessive depth. */
const NATIVE_MAX_DEPTH = 64;

/**
 * Whether JSON.stringify writes `value` exactly as RFC 8785 does: every object's keys already in code unit order (as
 * cloneJson leaves them), no toJSON, only finite numbers. JSON.stringify then writes strings, numbers and omitted
 * members the way the writer below does, natively and into one flat string, where building the text member by member
 * allocated more per event than anything else on the ingest path. Lone surrogates are the one difference left (it
 * escapes them, canonical JSON refuses them); the caller checks its output for them.
 */
function stringifiesCanonically(value: unknown, depth: number): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return typeof value !== 'bigint';
  if (depth > NATIVE_MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!stringifiesCanonically(value[i], depth + 1)) return false;
    return true;
  }
  const object = value as Record<string, unknown>;
  let previous: string | undefined;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) return false;
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!stringifiesCanonically(object[key], depth + 1)) return false;
  }
  return true;
}

/** JSON.stringify's text of a value stringifiesCanonically accepted, or null when it escaped a lone surrogate. */
function nativeText(value: object): string | null {
  const text = JSON.stringify(value);
  // A lone surrogate comes out as \udXXX; a backslash before "ud" in a string comes out doubled and lands here too,
  // which only costs the slower writer.
  return text.includes('\\ud') ? null : text;
}

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} is not allowed in canonical JSON`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('BigInt is not allowed in canonical JSON');
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (depth >= MAX_DEPTH) throw new RangeError('value is nested too deeply (or cyclic) for canonical JSON');
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return canonicalJsonOf(toJSON.call(value), depth + 1);
  if (stringifiesCanonically(value, 0)) {
    const text = nativeText(value);
    if (text !== null) return text;
  }
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      const item: unknown = value[i];
      text += isOmitted(item) ? 'null' : write(item, depth + 1);
    }
    return `${text}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = sortedKeys(object);
  let text = '{';
  let first = true;
  for (const key of keys) {
    const item = object[key];
    if (isOmitted(item)) continue;
    text += `${first ? '' : ','}${writeString(key)}:${write(item, depth + 1)}`;
    first = false;
  }
  return `${text}}`;
}

function canonicalJsonOf(value: unknown, depth: number): string {
  if (isOmitted(value)) throw new TypeError('value has no JSON representation');
  return write(value, depth);
}
