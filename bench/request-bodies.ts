import type { EventGenerator } from './event-generator.js';

export interface BatchBody {
  events: number;
  body: Buffer;
}

/**
 * Request bodies serialised before the clock starts, so the client's own JSON work does not share the two cores with
 * the service while it is being measured.
 */
export function batchBodies(generator: EventGenerator, total: number, batchSize: number): BatchBody[] {
  const bodies: BatchBody[] = [];
  for (let done = 0; done < total; done += batchSize) {
    const events = Array.from({ length: Math.min(batchSize, total - done) }, () => generator.next());
    bodies.push({ events: events.length, body: Buffer.from(JSON.stringify({ events })) });
  }
  return bodies;
}

/** Bodies of single events, as a producer without batching sends them. */
export function singleEventBodies(generator: EventGenerator, count: number): Buffer[] {
  return Array.from({ length: count }, () => Buffer.from(JSON.stringify(generator.next())));
}
