import { setImmediate as nextTurn } from 'node:timers/promises';

/** Events prepared between two turns of the event loop. About a millisecond of work at the cost of sealing. */
export const SLICE = 32;

/**
 * Maps a request's events in slices, giving the event loop a turn between slices. Preparing a large request is pure
 * CPU work; done in one go, it would keep a log's write transaction, whose reply is waiting in the poll queue, from
 * going on for the whole time, and every tenant's log holds its lock while its transaction waits.
 */
export async function mapInSlices<T, U>(items: readonly T[], map: (item: T, index: number) => U): Promise<U[]> {
  const out: U[] = new Array<U>(items.length);
  for (let start = 0; start < items.length; start += SLICE) {
    if (start > 0) await nextTurn();
    const end = Math.min(items.length, start + SLICE);
    for (let i = start; i < end; i++) out[i] = map(items[i] as T, i);
  }
  return out;
}
