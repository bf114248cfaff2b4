import { buildHashTarget, computeHash, type Event } from '@retracedhq/retraced';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { receiptHash, receiptHashTarget } from '../../src/retraced/receipt-hash.js';
import type { RetracedEvent } from '../../src/retraced/retraced-event.js';

/** The client hashes the object the caller passed; the service sees it after a JSON round trip. */
const overTheWire = (event: Event): RetracedEvent => JSON.parse(JSON.stringify(event)) as RetracedEvent;

describe('the Retraced receipt hash', () => {
  it('matches the known vector', () => {
    const event = { action: 'user.login', actor: { id: 'a1' }, group: { id: 'g1' } };
    expect(receiptHashTarget(event, 'abc123')).toBe('abc123:user.login::a1:g1::0:0::');
    expect(receiptHash(event, 'abc123')).toBe('41b6d6d78509924c6c2f8e586dfe443f9ae5799c1d58fac6e87166f4f51fecfa');
  });

  it('escapes, orders and omits exactly like the client', () => {
    const event: Event = {
      action: 'doc:share%',
      target: { id: 't:1', type: 'document' },
      actor: { id: 'a%1', name: 'not hashed' },
      group: { id: 'g1' },
      source_ip: '2001:db8::1',
      is_failure: true,
      is_anonymous: true,
      fields: { 'z=1': 'v;2', a: 'x:y', m: '' },
      external_id: 'ext:9',
      metadata: { k: 'v=w' },
      crud: 'u',
      description: 'not hashed either',
      created: new Date('2024-01-01T00:00:00Z'),
    };
    const ours = receiptHashTarget(overTheWire(event), 'id:1');
    expect(ours).toBe(buildHashTarget(event, 'id:1'));
    expect(ours).toBe(
      'id%3A1:doc%3Ashare%25:t%3A1:a%251:g1:2001%3Adb8%3A%3A1:1:1:a=x%3Ay;m=;z%3D1=v%3B2;:ext%3A9:k=v%3Dw;',
    );
  });

  it('follows the client for empty maps, empty objects and nulls', () => {
    const cases: Event[] = [
      { action: 'a.b', fields: {} },
      { action: 'a.b', metadata: {} },
      { action: 'a.b', external_id: '' },
      { action: 'a.b', source_ip: '' },
      { action: 'a.b', actor: {}, target: {}, group: {} } as unknown as Event,
      { action: 'a.b', fields: null, metadata: null, external_id: null, is_failure: null } as unknown as Event,
      { action: 'a.b', fields: { n: 5 as unknown as string, f: false as unknown as string, zero: 0 as unknown as string } },
    ];
    for (const event of cases) {
      expect(receiptHashTarget(overTheWire(event), 'x'), JSON.stringify(event)).toBe(buildHashTarget(event, 'x'));
    }
  });

  it('agrees with the official client on arbitrary events', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const textWithSeparators = fc.stringMatching(/^[a-z%:=;. ]{0,10}$/);
    const anyText = fc.oneof(text, textWithSeparators);
    const map = fc.dictionary(anyText, fc.oneof(anyText, fc.integer(), fc.boolean()), { maxKeys: 4 });
    const nonEmpty = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.stringMatching(/^[a-z%:=;]{1,8}$/));
    const event = fc.record(
      {
        action: nonEmpty,
        group: fc.record({ id: nonEmpty, name: fc.option(text, { nil: undefined }) }, { requiredKeys: ['id'] }),
        actor: fc.record({ id: nonEmpty, name: text, href: text }, { requiredKeys: ['id'] }),
        target: fc.record({ id: nonEmpty, type: text, name: text }, { requiredKeys: ['id'] }),
        source_ip: anyText,
        is_failure: fc.boolean(),
        is_anonymous: fc.boolean(),
        fields: map,
        external_id: anyText,
        metadata: map,
        crud: fc.constantFrom('c', 'r', 'u', 'd'),
        description: text,
      },
      { requiredKeys: ['action'] },
    );
    fc.assert(
      fc.property(event, nonEmpty, (generated, id) => {
        const clientEvent = generated as unknown as Event;
        const target = receiptHashTarget(overTheWire(clientEvent), id);
        expect(target).toBe(buildHashTarget(clientEvent, id));
        expect(receiptHash(overTheWire(clientEvent), id)).toBe(computeHash(clientEvent, id).hashResult);
      }),
      { numRuns: 2000 },
    );
  });
});
