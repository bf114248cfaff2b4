import { cloneJson } from './clone-json.js';
import type { SealedEvent } from './event-types.js';
import type { JsonObject, JsonValue } from './json-value.js';

/** The event that last changed a resource's state. */
export interface StateChange {
  seq: number;
  id: string;
  action: string;
  occurred_at: string;
  actor_id: string;
}

/** A resource's state rebuilt from its events' changes (event sourcing: the log is the history of the state). */
export interface ResourceState {
  /** The fields as the last change left them; null when the resource was deleted, or no event described its fields. */
  state: JsonObject | null;
  /** false once a change's `after` was null (a delete), until a later change brings it back. */
  exists: boolean;
  /** Events that changed the state, of those given. */
  changes: number;
  /** Events given, including those that carried no changes (reads, logins, ...). */
  events: number;
  last_change: StateChange | null;
}

/** Sets a member, also one named `__proto__` (JSON.parse makes those), which assignment would take as the prototype. */
function setMember(object: JsonObject, name: string, value: JsonValue): void {
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Replays a resource's events, oldest first, into its state. Each event's `changes` is a partial snapshot: fields in
 * `after` take their value, fields in `before` that `after` lacks are gone, and fields neither names keep theirs, so a
 * producer (or the outbox triggers, which send whole rows) may send only what changed. `after: null` is a delete and
 * `before: null` with an object `after` a create, which starts from nothing. Events without `changes` leave the state
 * as it is. The values are those of the views given: masked or decrypted personal data stays so.
 */
export type ReplayedEvent = Pick<SealedEvent, 'seq' | 'id' | 'action' | 'occurred_at' | 'actor' | 'changes'>;

export function replayResourceState(events: readonly ReplayedEvent[]): ResourceState {
  let state: JsonObject | null = null;
  let exists = true;
  let changes = 0;
  let last: StateChange | null = null;
  let previousSeq = -1;
  for (const event of events) {
    if (event.seq <= previousSeq) throw new RangeError('events must be given oldest first, each once');
    previousSeq = event.seq;
    const change = event.changes;
    if (change === undefined || !('after' in change) || change.after === undefined) continue;
    const { before, after } = change;
    if (after === null) {
      state = null;
      exists = false;
    } else {
      const next: JsonObject = before === null || state === null ? {} : state;
      if (before !== null && before !== undefined) {
        for (const name of Object.keys(before)) if (!Object.hasOwn(after, name)) delete next[name];
      }
      for (const [name, value] of Object.entries(after)) setMember(next, name, cloneJson(value));
      state = next;
      exists = true;
    }
    changes += 1;
    last = { seq: event.seq, id: event.id, action: event.action, occurred_at: event.occurred_at, actor_id: event.actor.id };
  }
  return { state, exists, changes, events: events.length, last_change: last };
}
