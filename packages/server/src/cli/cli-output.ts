/** Where a subcommand prints its result; process.stdout unless a test captures it. */
export interface CliOutput {
  write(text: string): void;
}

export const STDOUT: CliOutput = { write: (text) => void process.stdout.write(text) };

export function printJson(out: CliOutput, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns; the last column is not padded. */
export function printTable(out: CliOutput, header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  for (const row of all) {
    const cells = row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)));
    out.write(`${cells.join('  ')}\n`);
  }
}
