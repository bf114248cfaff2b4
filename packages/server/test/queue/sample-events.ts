import { randomUUID } from 'node:crypto';
import type { EventInput } from '@audit-ledger/core';

let counter = 0;

/** A small valid event; distinct on every call so no two are accidentally the same content. */
export function sampleEvent(extra: Partial<EventInput> = {}): EventInput {
  counter += 1;
  return {
    action: 'document.update',
    actor: { id: `user-${counter}`, type: 'user' },
    resource: { type: 'document', id: `doc-${counter}` },
    metadata: { n: counter },
    ...extra,
  };
}

export function sampleEvents(count: number, extra: Partial<EventInput> = {}): EventInput[] {
  return Array.from({ length: count }, () => sampleEvent(extra));
}

/** The events with ids of the producer's choosing, as a producer that retries would send them. */
export function withProducerIds(events: readonly EventInput[]): Array<EventInput & { id: string }> {
  return events.map((event) => ({ ...event, id: randomUUID() }));
}
