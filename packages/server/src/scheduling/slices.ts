import { setImmediate as nextTurn } from 'node:timers/promises';

/** Items handled between two turns of the event loop: about a millisecond of sealing or encrypting. */
export const SLICE = 32;

// Preparing or validating a large request is pure CPU work. Done in one go, it would keep a log's write transaction,
// whose database reply waits in the poll queue, from going on for all that time, and the log's lock is held
// throughout. So such work gives the event loop a turn between slices.

/** Maps `items` in slices of SLICE, with a turn of the event loop between slices. */
export async function mapInSlices<T, U>(items: readonly T[], map: (item: T, index: number) => U): Promise<U[]> {
  const out: U[] = new Array<U>(items.length);
  for (let start = 0; start < items.length; start += SLICE) {
    if (start > 0) await nextTurn();
    const end = Math.min(items.length, start + SLICE);
    for (let i = start; i < end; i++) out[i] = map(items[i] as T, i);
  }
  return out;
}

/** Runs a computation that pauses between its slices (a generator), with a turn of the event loop at each pause. */
export async function runInSlices<T>(steps: Generator<void, T, void>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await nextTurn();
  }
}
