/**
 * PostgreSQL COPY text format: tab-separated columns, one row per line, with backslash escapes for the characters
 * that would otherwise end a field or a row.
 */
export function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (char) => {
    switch (char) {
      case '\\':
        return '\\\\';
      case '\t':
        return '\\t';
      case '\n':
        return '\\n';
      default:
        return '\\r';
    }
  });
}

/** bytea in hex form; the backslash of `\x` is itself escaped for COPY. */
export function copyBytea(bytes: Uint8Array): string {
  return `\\\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** A column value of a row loaded by COPY or INSERT: text, bytes (bytea) or NULL. */
export type RowValue = string | Uint8Array | null;

/** One row in COPY text format, ending in a newline. */
export function copyLine(values: readonly RowValue[]): string {
  const fields = values.map((value) => (value === null ? '\\N' : typeof value === 'string' ? copyText(value) : copyBytea(value)));
  return `${fields.join('\t')}\n`;
}
