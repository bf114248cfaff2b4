import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from './json-value.js';
import { replayResourceState, type ReplayedEvent } from './resource-state.js';

let nextSeq = 0;
function event(changes?: ReplayedEvent['changes'], action = 'invoice.update'): ReplayedEvent {
  const seq = nextSeq++;
  return {
    seq,
    id: `0190b6d2-7c1e-7a3b-8f10-${String(seq).padStart(12, '0')}`,
    action,
    occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    actor: { id: `user-${seq}`, type: 'user' },
    ...(changes !== undefined ? { changes } : {}),
  };
}

describe('replayResourceState', () => {
  it('creates, updates field by field, and deletes', () => {
    const created = event({ before: null, after: { status: 'draft', total: 100, lines: [1] } }, 'invoice.create');
    const updated = event({ before: { status: 'draft' }, after: { status: 'sent' } });
    const viewed = event(undefined, 'invoice.read');
    const dropped = event({ before: { lines: [1], total: 100 }, after: { total: 120 } });
    expect(replayResourceState([created, updated, viewed, dropped])).toEqual({
      state: { status: 'sent', total: 120 },
      exists: true,
      changes: 3,
      events: 4,
      last_change: { seq: dropped.seq, id: dropped.id, action: 'invoice.update', occurred_at: dropped.occurred_at, actor_id: dropped.actor.id },
    });
    const deleted = event({ before: { status: 'sent', total: 120 }, after: null }, 'invoice.delete');
    expect(replayResourceState([created, updated, deleted])).toMatchObject({ state: null, exists: false, changes: 3 });
    const recreated = event({ before: null, after: { status: 'draft' } }, 'invoice.create');
    expect(replayResourceState([created, deleted, recreated])).toMatchObject({ state: { status: 'draft' }, exists: true });
  });

  it('knows nothing without changes, and refuses events out of log order', () => {
    expect(replayResourceState([event(undefined, 'invoice.read')])).toEqual({
      state: null,
      exists: true,
      changes: 0,
      events: 1,
      last_change: null,
    });
    const [a, b] = [event({ after: { x: 1 } }), event({ after: { x: 2 } })];
    expect(() => replayResourceState([b, a])).toThrow(RangeError);
    expect(() => replayResourceState([a, a])).toThrow(RangeError);
  });

  it('keeps a field named __proto__ as data, and shares nothing with the events', () => {
    const after = JSON.parse('{"__proto__":{"admin":true},"name":"x"}') as JsonObject;
    const replayed = replayResourceState([event({ before: null, after })]);
    expect(Object.getPrototypeOf(replayed.state)).toBe(Object.prototype);
    expect(JSON.stringify(replayed.state)).toBe('{"__proto__":{"admin":true},"name":"x"}');
    ((after['__proto__'] as JsonObject)['admin'] as unknown) = false;
    expect(JSON.stringify(replayed.state)).toContain('"admin":true');
  });

  // Whole-row snapshots (as the outbox triggers send) make the state after each event exactly that event's `after`.
  it('ends at the last full snapshot, whatever came before', () => {
    const row = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.oneof(fc.integer(), fc.string(), fc.constant(null)));
    fc.assert(
      fc.property(fc.array(fc.option(row, { nil: null }), { minLength: 1, maxLength: 8 }), (snapshots) => {
        let previous: JsonObject | null = null;
        const events = snapshots.map((after) => {
          const e = event({ before: previous, after });
          previous = after;
          return e;
        });
        const replayed = replayResourceState(events);
        const final = snapshots[snapshots.length - 1] ?? null;
        expect(replayed.state).toEqual(final);
        expect(replayed.exists).toBe(final !== null);
        expect(replayed.changes).toBe(snapshots.length);
      }),
    );
  });
});
