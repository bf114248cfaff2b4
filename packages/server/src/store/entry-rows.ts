import type { EntryColumns } from './ledger-store.js';

/** The columns of an entry row, numbered in the order the scan selects them (see scanEntryRows). */
export const EntryField = {
  seq: 0,
  id: 1,
  receivedAtMs: 2,
  occurredAtMs: 3,
  action: 4,
  actorId: 5,
  resourceType: 6,
  resourceId: 7,
  outcome: 8,
  subjectId: 9,
  leaf: 10,
  leafHash: 11,
  chainHash: 12,
} as const;
export type EntryField = (typeof EntryField)[keyof typeof EntryField];

export const ENTRY_FIELD_COUNT = 13;

/** Columns sent as 8-byte big-endian numbers: seq as int8, the two instants as float8. */
const INT8_FIELD = EntryField.seq;
const FLOAT8_FIELDS: readonly number[] = [EntryField.receivedAtMs, EntryField.occurredAtMs];

/** What every binary COPY output starts with, before its flags and header extension. */
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

const TWO_32 = 2 ** 32;

function binaryCopyError(detail: string): Error {
  return new Error(`unexpected binary COPY output: ${detail}`);
}

function int32At(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) |
    0
  );
}

function int16At(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16)) >> 16;
}

/** Where the field values of the rows are: start and byte length (-1 for NULL) per field, row after row. */
class FieldOffsets {
  values = new Int32Array(ENTRY_FIELD_COUNT * 2 * 256);
  count = 0;

  push(start: number, length: number): void {
    if (this.count + 2 > this.values.length) {
      const grown = new Int32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count] = start;
    this.values[this.count + 1] = length;
    this.count += 2;
  }
}

/**
 * A page of entry rows kept as the bytes they arrived in, with the place of each field: verification reads text
 * columns as UTF-8 bytes and hashes the leaf's bytes as stored, building strings only for rows that need a closer look.
 * Field values are what PostgreSQL's binary COPY format sends: int8 and float8 big-endian, text as UTF-8, bytea raw.
 */
export class EntryRows {
  private constructor(
    /** Every field value of every row, somewhere in these bytes. */
    readonly bytes: Buffer,
    readonly count: number,
    private readonly offsets: Int32Array,
  ) {}

  /** Reads the output of `COPY (...) TO STDOUT (FORMAT binary)` of the entry columns, in EntryField order. */
  static fromBinaryCopy(output: Uint8Array): EntryRows {
    const bytes = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
    const end = bytes.length;
    if (end < SIGNATURE.length + 8 || SIGNATURE.some((byte, i) => bytes[i] !== byte)) {
      throw binaryCopyError('no signature');
    }
    let at = SIGNATURE.length + 4;
    at += 4 + int32At(bytes, at); // the header extension, which no field needs
    const offsets = new FieldOffsets();
    let count = 0;
    for (;;) {
      if (at + 2 > end) throw binaryCopyError('no trailer');
      const fields = int16At(bytes, at);
      at += 2;
      if (fields === -1) break;
      if (fields !== ENTRY_FIELD_COUNT) throw binaryCopyError(`a row of ${fields} fields`);
      for (let field = 0; field < ENTRY_FIELD_COUNT; field++) {
        if (at + 4 > end) throw binaryCopyError('a row cut short');
        const length = int32At(bytes, at);
        at += 4;
        if (length > end - at) throw binaryCopyError('a row cut short');
        const numeric = field === INT8_FIELD || FLOAT8_FIELDS.includes(field);
        if (numeric && length !== 8 && length !== -1) throw binaryCopyError(`a ${length}-byte number`);
        offsets.push(at, length);
        if (length > 0) at += length;
      }
      count += 1;
    }
    return new EntryRows(bytes, count, offsets.values);
  }

  /**
   * The same rows packed as COPY would have sent them, for drivers that return rows as values (PGlite): text encoded as
   * UTF-8, which is what the database stores, so both arrive at the very same bytes.
   */
  static fromColumns(entries: readonly EntryColumns[]): EntryRows {
    const parts: Buffer[] = [];
    let length = 0;
    const offsets = new FieldOffsets();
    const add = (value: Buffer | null): void => {
      if (value === null) {
        offsets.push(length, -1);
        return;
      }
      offsets.push(length, value.length);
      parts.push(value);
      length += value.length;
    };
    const number = (write: (target: Buffer) => void): Buffer => {
      const target = Buffer.alloc(8);
      write(target);
      return target;
    };
    const text = (value: string | null | undefined): Buffer | null =>
      value === null || value === undefined ? null : Buffer.from(value, 'utf8');
    for (const entry of entries) {
      add(
        number((target) => {
          const high = Math.floor(entry.seq / TWO_32);
          target.writeInt32BE(high, 0);
          target.writeUInt32BE(entry.seq - high * TWO_32, 4);
        }),
      );
      add(text(entry.id));
      add(number((target) => target.writeDoubleBE(entry.receivedAtMs, 0)));
      add(number((target) => target.writeDoubleBE(entry.occurredAtMs, 0)));
      add(text(entry.action));
      add(text(entry.actorId));
      add(text(entry.resourceType));
      add(text(entry.resourceId));
      add(text(entry.outcome));
      add(text(entry.subjectId));
      add(text(entry.leaf));
      add(Buffer.from(entry.leafHash));
      add(Buffer.from(entry.chainHash));
    }
    return new EntryRows(Buffer.concat(parts, length), entries.length, offsets.values);
  }

  /** Where the field's value starts in `bytes`. */
  start(row: number, field: EntryField): number {
    return this.offsets[(row * ENTRY_FIELD_COUNT + field) * 2] as number;
  }

  /** The field's length in bytes; -1 when it is NULL. */
  length(row: number, field: EntryField): number {
    return this.offsets[(row * ENTRY_FIELD_COUNT + field) * 2 + 1] as number;
  }

  seq(row: number): number {
    const at = this.start(row, EntryField.seq);
    if (this.length(row, EntryField.seq) < 0) return Number.NaN;
    // High word times 2^32 is exact, so adding the low word rounds once, as Number(text) of the int8 would.
    return int32At(this.bytes, at) * TWO_32 + (int32At(this.bytes, at + 4) >>> 0);
  }

  /** A float8 field (receivedAtMs, occurredAtMs); NaN when it is NULL. */
  float(row: number, field: EntryField): number {
    return this.length(row, field) < 0 ? Number.NaN : this.bytes.readDoubleBE(this.start(row, field));
  }

  /** A text field decoded as the driver decodes text (UTF-8), or null. */
  text(row: number, field: EntryField): string | null {
    const length = this.length(row, field);
    if (length < 0) return null;
    const start = this.start(row, field);
    return this.bytes.toString('utf8', start, start + length);
  }

  /** A field's bytes, sharing memory with `bytes`, or null. */
  view(row: number, field: EntryField): Uint8Array | null {
    const length = this.length(row, field);
    if (length < 0) return null;
    const start = this.start(row, field);
    return this.bytes.subarray(start, start + length);
  }

  /** The row with every field decoded, as a query of the same columns returns it. */
  entry(row: number): EntryColumns {
    const text = (field: EntryField): string => this.text(row, field) as string;
    return {
      seq: this.seq(row),
      id: text(EntryField.id),
      receivedAtMs: this.float(row, EntryField.receivedAtMs),
      occurredAtMs: this.float(row, EntryField.occurredAtMs),
      action: text(EntryField.action),
      actorId: text(EntryField.actorId),
      resourceType: text(EntryField.resourceType),
      resourceId: text(EntryField.resourceId),
      outcome: text(EntryField.outcome),
      subjectId: this.text(row, EntryField.subjectId),
      leaf: text(EntryField.leaf),
      leafHash: new Uint8Array(this.view(row, EntryField.leafHash) ?? []),
      chainHash: new Uint8Array(this.view(row, EntryField.chainHash) ?? []),
    };
  }

  /** Every row decoded (see entry). */
  entries(): EntryColumns[] {
    return Array.from({ length: this.count }, (_, row) => this.entry(row));
  }
}
