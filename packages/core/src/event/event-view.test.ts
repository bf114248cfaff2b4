import { describe, expect, it } from 'vitest';
import type { SealedEvent } from './event-types.js';
import { isNormalEventId, newEventId } from './event-id.js';
import { eventToView } from './event-view.js';

const sealed: SealedEvent = {
  id: '0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12',
  tenant: 'acme',
  seq: 3,
  received_at: '2024-06-01T12:00:00.000Z',
  occurred_at: '2024-06-01T12:00:00.000Z',
  action: 'user.login',
  actor: { id: 'u', type: 'user' },
  resource: { type: 'session', id: 's' },
  outcome: 'success',
  changed_fields: [],
};

describe('eventToView', () => {
  it('adds both hashes as lower-case hex', () => {
    const leaf = new Uint8Array(32).map((_, i) => i);
    const chain = new Uint8Array(32).fill(0xab);
    expect(eventToView(sealed, leaf, chain)).toEqual({
      ...sealed,
      leaf_hash: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      chain_hash: 'ab'.repeat(32),
    });
  });

  it('rejects hashes that are not SHA-256 digests', () => {
    expect(() => eventToView(sealed, new Uint8Array(31), new Uint8Array(32))).toThrow(RangeError);
    expect(() => eventToView(sealed, new Uint8Array(32), new Uint8Array(33))).toThrow(RangeError);
  });
});

describe('newEventId', () => {
  it('returns lower-case version 7 UUIDs that sort by creation', () => {
    const ids = Array.from({ length: 50 }, newEventId);
    for (const id of ids) {
      expect(isNormalEventId(id)).toBe(true);
      expect(id[14]).toBe('7');
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tells the stored id form from others', () => {
    expect(isNormalEventId('0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12')).toBe(true);
    expect(isNormalEventId('0190B6D2-7C1E-7A3B-8F10-2B4C6D8E0F12')).toBe(false);
    expect(isNormalEventId('0190b6d2')).toBe(false);
  });
});
