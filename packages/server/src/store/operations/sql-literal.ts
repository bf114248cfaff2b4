/**
 * `value` as an SQL string literal, for the few statements that cannot take parameters (COPY). The E'' form reads
 * backslashes the same whatever standard_conforming_strings says, so doubling them and the quotes is all it takes.
 */
export function textLiteral(value: string): string {
  if (value.includes('\0')) throw new RangeError('SQL text cannot hold a NUL character');
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** An integer as an SQL literal; anything but a safe integer is refused rather than spelt out. */
export function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  return String(value);
}
