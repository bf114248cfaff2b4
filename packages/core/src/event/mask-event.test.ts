import { describe, expect, it } from 'vitest';
import type { SealedEvent } from './event-types.js';
import { eventToView } from './event-view.js';
import { leafOf } from './leaf.js';
import { MASKED, maskEvent, PERSONAL_DATA_PATHS } from './mask-event.js';

const base = (): SealedEvent => ({
  id: '0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12',
  tenant: 'acme',
  seq: 0,
  received_at: '2024-06-01T12:00:00.000Z',
  occurred_at: '2024-06-01T12:00:00.000Z',
  action: 'user.update',
  actor: { id: 'u-1', type: 'user', name: 'Ada', email: 'ada@example.com' },
  resource: { type: 'user', id: 'u-2', name: 'Bob' },
  outcome: 'success',
  changed_fields: ['address.city', 'phones'],
  context: { ip: '10.0.0.1', user_agent: 'curl/8', request_id: 'req-1', reason: 'support ticket' },
  changes: {
    before: { address: { city: 'Berlin', zip: null }, phones: ['1', '2'], settings: {} },
    after: { address: { city: 'Paris', zip: null }, phones: [], settings: {} },
  },
  metadata: { ticket: 'T-1' },
});

describe('maskEvent', () => {
  it('masks names, e-mail, ip, user agent and every value in changes, keeping keys', () => {
    expect(maskEvent(base())).toEqual({
      ...base(),
      actor: { id: 'u-1', type: 'user', name: MASKED, email: MASKED },
      context: { ip: MASKED, user_agent: MASKED, request_id: 'req-1', reason: 'support ticket' },
      changes: {
        before: { address: { city: MASKED, zip: MASKED }, phones: MASKED, settings: {} },
        after: { address: { city: MASKED, zip: MASKED }, phones: MASKED, settings: {} },
      },
    });
  });

  it('reads "[masked]"', () => {
    expect(MASKED).toBe('[masked]');
  });

  it('leaves absent fields absent and null sides null', () => {
    const event: SealedEvent = { ...base(), actor: { id: 'u', type: 'service' }, changes: { before: null } };
    delete event.context;
    const masked = maskEvent(event);
    expect(masked.actor).toEqual({ id: 'u', type: 'service' });
    expect(masked).not.toHaveProperty('context');
    expect(masked.changes).toEqual({ before: null });
    const bare = maskEvent({ ...base(), context: { request_id: 'r' } });
    expect(bare.context).toEqual({ request_id: 'r' });
    delete (bare as Partial<SealedEvent>).changes;
    expect(maskEvent(bare)).not.toHaveProperty('changes');
  });

  it('does not touch the original event', () => {
    const event = base();
    const leaf = leafOf(event);
    maskEvent(event);
    expect(leafOf(event)).toBe(leaf);
  });

  it('keeps the extra fields of a stored view', () => {
    const view = eventToView(base(), new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    const masked = maskEvent(view);
    expect(masked.leaf_hash).toBe('01'.repeat(32));
    expect(masked.chain_hash).toBe('02'.repeat(32));
    expect(masked.actor.email).toBe(MASKED);
  });

  it('keeps a __proto__ key inside changes as plain data', () => {
    const event: SealedEvent = { ...base(), changes: { after: JSON.parse('{"__proto__": {"secret": "x"}}') } };
    const after = maskEvent(event).changes?.after as Record<string, unknown>;
    expect(Object.keys(after)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(after)).toBe(Object.prototype);
    expect(after['__proto__']).toEqual({ secret: MASKED });
  });

  it('masks every personal-data path it declares, and nothing else', () => {
    const original = base();
    const masked = maskEvent(original);
    const at = (value: unknown, pointer: string): unknown =>
      pointer
        .split('/')
        .slice(1)
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], value);
    for (const path of PERSONAL_DATA_PATHS) expect(at(masked, path)).not.toEqual(at(original, path));
    const { actor: _a, context: _c, changes: _ch, ...restMasked } = masked;
    const { actor: _a2, context: _c2, changes: _ch2, ...restOriginal } = original;
    expect(restMasked).toEqual(restOriginal);
  });
});
