import type { EventInput } from '@audit-ledger/core';

/**
 * An event as a producer records it: the service's input event (see the service contract). `id` may be left out;
 * the SDK then assigns a UUIDv7 at record time, so a retried delivery never creates a second event.
 */
export type AuditEvent = EventInput;

/**
 * Anything events can be recorded into. `record` never blocks and never throws for transport problems: it hands the
 * event to a background sender and returns the event's id at once.
 */
export interface AuditRecorder {
  record(event: AuditEvent): string;
}
