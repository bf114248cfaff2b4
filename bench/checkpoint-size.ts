/** The tree size of a C2SP checkpoint: its second line (`<origin>\n<size>\n<root>\n` then the signatures). */
export function checkpointSize(note: string): number {
  const line = note.split('\n')[1] ?? '';
  if (!/^\d+$/.test(line)) throw new Error(`not a checkpoint (second line "${line}"): ${note.slice(0, 200)}`);
  return Number(line);
}
