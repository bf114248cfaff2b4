import { epochMsAt } from './epoch-ms.js';

/** The sealed fields whose copies the events table keeps in columns, as the reader numbers them. */
export const SealedField = {
  seq: 0,
  id: 1,
  tenant: 2,
  receivedAt: 3,
  occurredAt: 4,
  action: 5,
  outcome: 6,
  actorId: 7,
  resourceType: 8,
  resourceId: 9,
  subjectId: 10,
} as const;
export type SealedField = (typeof SealedField)[keyof typeof SealedField];

const FIELD_COUNT = 11;

const ABSENT = 0;
/** A string without escapes: its value is the text between the quotes. */
const PLAIN_STRING = 1;
const ESCAPED_STRING = 2;
const NUMBER = 3;
/** Any other JSON value: never equal to a column. */
const OTHER = 4;

// Where a value sits decides which of its members are sealed fields.
const NO_FIELDS = 0;
const TOP = 1;
const ACTOR = 2;
const RESOURCE = 3;
const CHILD_ROLE = 16;

/** Deeper nesting is left to the exact check (which refuses 1000 levels); events are far shallower. */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The characters after a backslash that stand for a character on their own: " \ b f n r t. */
const SHORT_ESCAPE = new Set([QUOTE, BACKSLASH, 0x62, 0x66, 0x6e, 0x72, 0x74]);
/** The control characters those stand for, which therefore are never spelt out as \u00xx. */
const SHORT_ESCAPE_OF = new Set([0x08, 0x0c, 0x0a, 0x0d, 0x09]);

/** Characters a canonical string holds raw only in some places (control characters) or only paired (surrogates). */
const CONTROL_OR_SURROGATE = /[\u0000-\u001f\ud800-\udfff]/;

/**
 * A single pass over leaf text that proves it is the RFC 8785 form of a JSON object and locates the sealed fields in
 * it, without building the object: parsing, re-serialising and comparing cost several times more, mostly in
 * allocation. It only ever answers yes when `canonicalJson(JSON.parse(text)) === text` holds, but may answer no for
 * unusual canonical texts (escaped keys, very deep nesting); callers then decide with the exact check.
 *
 * What it accepts is exactly what canonicalJson writes: no whitespace; keys unescaped and strictly ascending by UTF-16
 * code units (so no duplicates); strings with only the escapes JSON.stringify writes and no lone surrogates; numbers
 * spelt as ECMAScript prints them.
 */
export class CanonicalLeafReader {
  private text = '';
  private at = 0;
  private escaped = false;
  /** The text has no backslash, control character or surrogate: each string simply ends at the next quote. */
  private plain = false;
  private readonly kinds = new Uint8Array(FIELD_COUNT);
  private readonly starts = new Int32Array(FIELD_COUNT);
  private readonly ends = new Int32Array(FIELD_COUNT);
  private seqValue = 0;

  /** Whether `text` is canonical JSON of an object; when it is, the sealed fields of that object can be queried. */
  read(text: string): boolean {
    this.text = text;
    this.at = 0;
    this.escaped = false;
    this.kinds.fill(ABSENT);
    // Most leaves hold nothing that needs a closer look inside strings; finding that out with two native scans and
    // then skipping each string with indexOf costs a fraction of looking at each character.
    this.plain = text.indexOf('\\') < 0 && !CONTROL_OR_SURROGATE.test(text);
    if (text.charCodeAt(0) !== 0x7b) return false;
    return this.object(0, TOP) && this.at === text.length;
  }

  /** Whether the field read last is a string equal to `value`. */
  holds(field: SealedField, value: string): boolean {
    const kind = this.kinds[field];
    const start = this.starts[field] as number;
    const end = this.ends[field] as number;
    if (kind === PLAIN_STRING) return end - start - 2 === value.length && this.text.startsWith(value, start + 1);
    if (kind === ESCAPED_STRING) return JSON.parse(this.text.slice(start, end)) === value;
    return false;
  }

  /**
   * Like holds, for a value given as the UTF-8 bytes [start, start + length) of `bytes`. Only an ASCII value is
   * compared character by byte (for anything else the two spellings differ in length or code units); any other value
   * is never said to be held, which leaves it to the caller's exact check.
   */
  holdsBytes(field: SealedField, bytes: Uint8Array, start: number, length: number): boolean {
    if (this.kinds[field] !== PLAIN_STRING) return false;
    const at = (this.starts[field] as number) + 1;
    if ((this.ends[field] as number) - at - 1 !== length) return false;
    const text = this.text;
    for (let i = 0; i < length; i++) {
      const byte = bytes[start + i] as number;
      if (byte >= 0x80 || byte !== text.charCodeAt(at + i)) return false;
    }
    return true;
  }

  /** Like holds, where null means the field must be absent (an optional sealed field the column copies as NULL). */
  holdsOptional(field: SealedField, value: string | null): boolean {
    return value === null ? this.kinds[field] === ABSENT : this.holds(field, value);
  }

  /** Whether the seq read last is the number `value`. */
  holdsSeq(value: number): boolean {
    return this.kinds[SealedField.seq] === NUMBER && this.seqValue === value;
  }

  /** The instant a timestamp field read last names, in epoch milliseconds; NaN when it is not a valid timestamp. */
  instant(field: SealedField): number {
    const kind = this.kinds[field];
    const start = this.starts[field] as number;
    const end = this.ends[field] as number;
    if (kind === PLAIN_STRING) return epochMsAt(this.text, start + 1, end - 1);
    if (kind === ESCAPED_STRING) {
      const decoded = JSON.parse(this.text.slice(start, end)) as string;
      return epochMsAt(decoded, 0, decoded.length);
    }
    return Number.NaN;
  }

  private object(depth: number, role: number): boolean {
    if (depth > MAX_DEPTH) return false;
    const text = this.text;
    this.at += 1;
    if (text.charCodeAt(this.at) === 0x7d) {
      this.at += 1;
      return true;
    }
    let previousStart = -1;
    let previousEnd = -1;
    for (;;) {
      if (text.charCodeAt(this.at) !== QUOTE) return false;
      const keyStart = this.at + 1;
      const keyEnd = this.plain ? text.indexOf('"', keyStart) : this.string();
      // An escaped key is canonical only in rare cases; comparing decoded keys is left to the exact check.
      if (keyEnd < 0 || this.escaped) return false;
      if (previousStart >= 0 && !this.ascends(previousStart, previousEnd, keyStart, keyEnd)) return false;
      previousStart = keyStart;
      previousEnd = keyEnd;
      if (text.charCodeAt(keyEnd + 1) !== 0x3a) return false;
      this.at = keyEnd + 2;
      const found = role === NO_FIELDS ? -1 : this.fieldOf(role, keyStart, keyEnd - keyStart);
      if (found >= CHILD_ROLE) {
        if (!this.value(depth + 1, found - CHILD_ROLE, -1)) return false;
      } else if (!this.value(depth + 1, NO_FIELDS, found)) return false;
      const next = text.charCodeAt(this.at);
      this.at += 1;
      if (next === 0x2c) continue;
      return next === 0x7d;
    }
  }

  private array(depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    const text = this.text;
    this.at += 1;
    if (text.charCodeAt(this.at) === 0x5d) {
      this.at += 1;
      return true;
    }
    for (;;) {
      if (!this.value(depth + 1, NO_FIELDS, -1)) return false;
      const next = text.charCodeAt(this.at);
      this.at += 1;
      if (next === 0x2c) continue;
      return next === 0x5d;
    }
  }

  /** Reads the value at `at`; `field` (or -1) says which sealed field it is, `role` which fields its members are. */
  private value(depth: number, role: number, field: number): boolean {
    const text = this.text;
    const start = this.at;
    const c = text.charCodeAt(start);
    let kind = OTHER;
    if (c === QUOTE) {
      const end = this.plain ? text.indexOf('"', start + 1) : this.string();
      if (end < 0) return false;
      this.at = end + 1;
      kind = this.escaped ? ESCAPED_STRING : PLAIN_STRING;
    } else if (c === 0x7b) {
      if (!this.object(depth, role)) return false;
    } else if (c === 0x5b) {
      if (!this.array(depth)) return false;
    } else if (c === 0x74) {
      if (!text.startsWith('true', start)) return false;
      this.at += 4;
    } else if (c === 0x66) {
      if (!text.startsWith('false', start)) return false;
      this.at += 5;
    } else if (c === 0x6e) {
      if (!text.startsWith('null', start)) return false;
      this.at += 4;
    } else {
      const number = this.number();
      if (Number.isNaN(number)) return false;
      if (field === SealedField.seq) this.seqValue = number;
      kind = NUMBER;
    }
    if (field >= 0) {
      this.kinds[field] = kind;
      this.starts[field] = start;
      this.ends[field] = this.at;
    }
    return true;
  }

  /**
   * Scans the string whose opening quote is at `at`, character by character (see `plain`): the index of its closing
   * quote, or -1 when it is not a string in canonical form. Sets `escaped` when it holds any escape.
   */
  private string(): number {
    const text = this.text;
    const length = text.length;
    let i = this.at + 1;
    this.escaped = false;
    for (;;) {
      if (i >= length) return -1;
      const c = text.charCodeAt(i);
      if (c === QUOTE) return i;
      if (c >= 0x20 && c !== BACKSLASH && (c < 0xd800 || c > 0xdfff)) {
        i += 1;
      } else if (c === BACKSLASH) {
        this.escaped = true;
        const e = text.charCodeAt(i + 1);
        if (e === 0x75) {
          // JSON.stringify spells out (in lower-case hex) only control characters without a short escape.
          const code = hex4(text, i + 2);
          if (code < 0 || code >= 0x20 || SHORT_ESCAPE_OF.has(code)) return -1;
          i += 6;
        } else if (SHORT_ESCAPE.has(e)) {
          i += 2;
        } else {
          return -1;
        }
      } else if (c < 0x20) {
        return -1;
      } else if (c <= 0xdbff) {
        const low = text.charCodeAt(i + 1);
        if (!(low >= 0xdc00 && low <= 0xdfff)) return -1;
        i += 2;
      } else {
        return -1;
      }
    }
  }

  /** Reads the number at `at`: its value if it is spelt the way ECMAScript prints it, otherwise NaN. */
  private number(): number {
    const text = this.text;
    const start = this.at;
    let i = start;
    const negative = text.charCodeAt(i) === 0x2d;
    if (negative) i += 1;
    const first = text.charCodeAt(i);
    if (first === 0x30) i += 1;
    else if (first >= 0x31 && first <= 0x39) i = digitsFrom(text, i + 1);
    else return Number.NaN;
    const integerEnd = i;
    if (text.charCodeAt(i) === 0x2e) {
      if (!isDigit(text.charCodeAt(i + 1))) return Number.NaN;
      i = digitsFrom(text, i + 2);
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i += 1;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i += 1;
      if (!isDigit(text.charCodeAt(i))) return Number.NaN;
      i = digitsFrom(text, i + 1);
    }
    this.at = i;
    const digitsStart = negative ? start + 1 : start;
    // Integers of up to 15 digits are exact and printed digit for digit: only -0 is spelt otherwise (as 0).
    if (i === integerEnd && i - digitsStart <= 15) {
      if (negative && first === 0x30) return Number.NaN;
      let value = 0;
      for (let j = digitsStart; j < i; j++) value = value * 10 + (text.charCodeAt(j) - 0x30);
      return negative ? -value : value;
    }
    const token = text.slice(start, i);
    const value = Number(token);
    return String(value) === token ? value : Number.NaN;
  }

  /** Whether key [aStart, aEnd) sorts strictly before key [bStart, bEnd) by UTF-16 code units. */
  private ascends(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
    const text = this.text;
    const aLength = aEnd - aStart;
    const bLength = bEnd - bStart;
    const common = Math.min(aLength, bLength);
    for (let i = 0; i < common; i++) {
      const a = text.charCodeAt(aStart + i);
      const b = text.charCodeAt(bStart + i);
      if (a !== b) return a < b;
    }
    return aLength < bLength;
  }

  /** The sealed field a member key names where `role` says, CHILD_ROLE + the role of its members, or -1. */
  private fieldOf(role: number, start: number, length: number): number {
    if (role === TOP) {
      switch (length) {
        case 2:
          return this.keyIs(start, length, 'id') ? SealedField.id : -1;
        case 3:
          return this.keyIs(start, length, 'seq') ? SealedField.seq : -1;
        case 5:
          return this.keyIs(start, length, 'actor') ? CHILD_ROLE + ACTOR : -1;
        case 6:
          if (this.keyIs(start, length, 'action')) return SealedField.action;
          return this.keyIs(start, length, 'tenant') ? SealedField.tenant : -1;
        case 7:
          return this.keyIs(start, length, 'outcome') ? SealedField.outcome : -1;
        case 8:
          return this.keyIs(start, length, 'resource') ? CHILD_ROLE + RESOURCE : -1;
        case 10:
          return this.keyIs(start, length, 'subject_id') ? SealedField.subjectId : -1;
        case 11:
          if (this.keyIs(start, length, 'received_at')) return SealedField.receivedAt;
          return this.keyIs(start, length, 'occurred_at') ? SealedField.occurredAt : -1;
        default:
          return -1;
      }
    }
    if (role === ACTOR) return this.keyIs(start, length, 'id') ? SealedField.actorId : -1;
    if (role === RESOURCE) {
      if (this.keyIs(start, length, 'id')) return SealedField.resourceId;
      return this.keyIs(start, length, 'type') ? SealedField.resourceType : -1;
    }
    return -1;
  }

  private keyIs(start: number, length: number, name: string): boolean {
    return length === name.length && this.text.startsWith(name, start);
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function digitsFrom(text: string, from: number): number {
  let i = from;
  while (isDigit(text.charCodeAt(i))) i += 1;
  return i;
}

/** Four lower-case hex digits at `at` as a number, or -1. */
function hex4(text: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) value = value * 16 + (c - 0x30);
    else if (c >= 0x61 && c <= 0x66) value = value * 16 + (c - 0x57);
    else return -1;
  }
  return value;
}
