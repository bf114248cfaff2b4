import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const SEGMENT_NAME = /^segment-(\d{16})\.jsonl$/;

export function segmentName(number: number): string {
  return `segment-${String(number).padStart(16, '0')}.jsonl`;
}

export function segmentNumberOf(name: string): number | null {
  const match = SEGMENT_NAME.exec(name);
  return match?.[1] !== undefined ? Number(match[1]) : null;
}

/** Complete lines in a file, counted without parsing it, so stats can show a backlog before it is read back. */
export function countLines(path: string): number {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  const fd = openSync(path, 'r');
  let lines = 0;
  try {
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      for (let i = chunk.indexOf(10); i !== -1 && i < read; i = chunk.indexOf(10, i + 1)) lines += 1;
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

export interface SegmentContents {
  /** Event JSON texts in the order they were spooled. */
  events: { id: string; json: string; tenant: string | undefined }[];
  /** Lines that are not a complete event: a torn last line after a kill, or damage. */
  damaged: number;
}

/**
 * Reads a segment back. The last line may be torn (the process died inside a write); any line that is not a JSON
 * object with a string id is skipped and counted rather than failing the replay of the others.
 */
export function readSegment(path: string): SegmentContents {
  const text = readFileSync(path, 'utf8');
  const events: SegmentContents['events'] = [];
  let damaged = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const parsed: unknown = JSON.parse(line);
      const { id, tenant } = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      if (typeof id === 'string') events.push({ id, json: line, tenant: typeof tenant === 'string' ? tenant : undefined });
      else damaged += 1;
    } catch {
      damaged += 1;
    }
  }
  return { events, damaged };
}
