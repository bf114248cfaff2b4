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
