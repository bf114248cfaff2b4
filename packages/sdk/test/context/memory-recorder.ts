import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditRecorder } from '../../src/audit-event.js';

/** A recorder that keeps events in memory, deep-copied at record time as a sender holding them would. */
export class MemoryRecorder implements AuditRecorder {
  readonly events: AuditEvent[] = [];

  record(event: AuditEvent): string {
    const id = event.id ?? randomUUID();
    this.events.push(structuredClone({ ...event, id }));
    return id;
  }

  byAction(action: string): AuditEvent[] {
    return this.events.filter((e) => e.action === action);
  }
}

/** A promise that resolves once `count` callers have arrived: forces concurrent handlers to interleave. */
export function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    arrived += 1;
    if (arrived === count) release();
    return all;
  };
}

export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
