import type { SpoolSegment } from '../spool/spool.js';
import { Deque } from './deque.js';

/** One recorded event on its way to the service. */
export interface Entry {
  id: string;
  /** The event as recorded, serialised once at record time: a snapshot later mutation cannot change. */
  json: string;
  /** One request holds events of one tenant only (the contract), so events queue per tenant. '' = the key's. */
  lane: string;
  /** Record order, for flush(); events replayed from the spool come before everything recorded in this run. */
  n: number;
  segment: SpoolSegment | null;
}

/**
 * The in-memory queue between record() and the sender: one FIFO per tenant, taken from in the order events were
 * recorded across tenants. Usually there is only one lane (a tenant key), so the per-lane scans are trivial.
 */
export class SendBuffer {
  private readonly lanes = new Map<string, Deque<Entry>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(entry: Entry): void {
    let lane = this.lanes.get(entry.lane);
    if (lane === undefined) {
      lane = new Deque<Entry>();
      this.lanes.set(entry.lane, lane);
    }
    lane.push(entry);
    this.count += 1;
  }

  private oldestLane(): [string, Deque<Entry>] | undefined {
    let oldest: [string, Deque<Entry>] | undefined;
    let oldestN = Number.POSITIVE_INFINITY;
    for (const pair of this.lanes) {
      const head = pair[1].peek();
      if (head !== undefined && head.n < oldestN) {
        oldestN = head.n;
        oldest = pair;
      }
    }
    return oldest;
  }

  /** Record order of the oldest waiting event, +Infinity when empty. */
  minN(): number {
    return this.oldestLane()?.[1].peek()?.n ?? Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the oldest event of all lanes (the drop-oldest overflow policy). */
  shiftOldest(): Entry | undefined {
    const oldest = this.oldestLane();
    if (oldest === undefined) return undefined;
    const entry = oldest[1].shift();
    this.afterTake(oldest);
    if (entry !== undefined) this.count -= 1;
    return entry;
  }

  /**
   * The next batch: from the lane holding the oldest event, up to maxCount events and maxBytes of body (always at
   * least one event, so a single oversized event reaches the service and is refused there, visibly).
   */
  takeBatch(maxCount: number, maxBytes: number): Entry[] {
    const oldest = this.oldestLane();
    if (oldest === undefined) return [];
    const lane = oldest[1];
    const batch: Entry[] = [];
    let bytes = 16;
    while (batch.length < maxCount) {
      const head = lane.peek();
      if (head === undefined) break;
      const size = Buffer.byteLength(head.json) + 1;
      if (batch.length > 0 && bytes + size > maxBytes) break;
      bytes += size;
      batch.push(lane.shift() as Entry);
    }
    this.count -= batch.length;
    this.afterTake(oldest);
    return batch;
  }

  private afterTake([name, lane]: [string, Deque<Entry>]): void {
    if (lane.length === 0) this.lanes.delete(name);
  }

  drain(): Entry[] {
    const all = [...this.lanes.values()].flatMap((lane) => lane.drain());
    this.lanes.clear();
    this.count = 0;
    return all;
  }
}
