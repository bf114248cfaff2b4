import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { canonicalJson } from '../canonical-json.js';
import { newEventId } from './event-id.js';
import type { EventInput, SealedEvent } from './event-types.js';
import { leafBytesOf, leafOf, requestHashOf } from './leaf.js';
import { sealEvent } from './seal-event.js';
import { sealingTemplate } from './sealing-template.js';
import { searchTextOf } from './search-text.js';
import { validateEventBody } from './validate-event-body.js';

const NOW = new Date('2024-06-01T12:00:00.000Z');
const ID = '0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12';
const AT = { tenant: 'acme', seq: 7, receivedAt: new Date('2024-06-01T12:00:01.5Z'), id: ID };

function validOne(body: unknown): EventInput {
  const result = validateEventBody(body, { now: NOW });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const [event] = result.events;
  if (event === undefined) throw new Error('no event');
  return event;
}

const minimal = (): EventInput => ({ action: 'user.login', actor: { id: 'u-1' }, resource: { type: 'session', id: 's-1' } });

describe('sealEvent', () => {
  it('fills defaults and server facts, and adds no optional fields', () => {
    expect(sealEvent(minimal(), AT)).toEqual({
      id: ID,
      tenant: 'acme',
      seq: 7,
      received_at: '2024-06-01T12:00:01.500Z',
      occurred_at: '2024-06-01T12:00:01.500Z',
      action: 'user.login',
      actor: { id: 'u-1', type: 'user' },
      resource: { type: 'session', id: 's-1' },
      outcome: 'success',
      changed_fields: [],
    });
  });

  it('never writes null or undefined placeholders into the leaf', () => {
    const leaf = leafOf(sealEvent(minimal(), AT));
    expect(leaf).not.toMatch(/null/);
    expect(Object.keys(JSON.parse(leaf) as object).sort()).toEqual(
      ['action', 'actor', 'changed_fields', 'id', 'occurred_at', 'outcome', 'received_at', 'resource', 'seq', 'tenant'],
    );
  });

  it('keeps occurred_at exactly as submitted and copies every optional field', () => {
    const input = validOne({
      ...minimal(),
      id: ID.toUpperCase(),
      tenant: 'acme',
      actor: { id: 'u', type: 'system', name: 'Ada', email: 'a@b.c' },
      resource: { type: 'doc', id: 'd', name: 'Plan' },
      outcome: 'failure',
      occurred_at: '2024-06-01T13:59:59.123456+02:00',
      context: { ip: '10.0.0.1', reason: 'why' },
      changes: { before: { a: 1, b: { c: 2 } }, after: { a: 1, b: { c: 3 }, d: [1] } },
      metadata: { k: 'v' },
      classification: 'restricted',
      compliance_tags: ['GDPR'],
      retention_category: 'short',
      subject_id: 'subj',
    });
    const sealed = sealEvent(input, AT);
    expect(sealed.occurred_at).toBe('2024-06-01T13:59:59.123456+02:00');
    expect(sealed.changed_fields).toEqual(['b.c', 'd']);
    expect(sealed).toMatchObject({
      id: ID,
      actor: { id: 'u', type: 'system', name: 'Ada', email: 'a@b.c' },
      resource: { type: 'doc', id: 'd', name: 'Plan' },
      outcome: 'failure',
      context: { ip: '10.0.0.1', reason: 'why' },
      metadata: { k: 'v' },
      classification: 'restricted',
      compliance_tags: ['GDPR'],
      retention_category: 'short',
      subject_id: 'subj',
    });
    expect(sealed).not.toHaveProperty('leaf_hash');
  });

  it('shares no mutable state with its input', () => {
    const input = validOne({ ...minimal(), metadata: { list: [1] }, changes: { after: { x: 1 } }, compliance_tags: ['A'] });
    const sealed = sealEvent(input, AT);
    const before = leafOf(sealed);
    (input.metadata?.['list'] as number[]).push(2);
    input.compliance_tags?.push('B');
    if (input.changes?.after) input.changes.after['x'] = 2;
    expect(leafOf(sealed)).toBe(before);
  });

  it('is deterministic: the same input and seal give the same leaf, in any key order', () => {
    const a = validOne({ ...minimal(), metadata: { z: 1, a: { y: [1, 2], b: 'x' } }, context: { role: 'r', ip: '::1' } });
    const b = validOne({ context: { ip: '::1', role: 'r' }, metadata: { a: { b: 'x', y: [1, 2] }, z: 1 }, ...minimal() });
    expect(leafOf(sealEvent(a, AT))).toBe(leafOf(sealEvent(b, AT)));
    expect(leafOf(sealEvent(a, AT))).toBe(leafOf(sealEvent(a, AT)));
  });

  it('changes the leaf when any sealed fact changes', () => {
    const leaf = leafOf(sealEvent(minimal(), AT));
    expect(leafOf(sealEvent(minimal(), { ...AT, seq: 8 }))).not.toBe(leaf);
    expect(leafOf(sealEvent(minimal(), { ...AT, tenant: 'other' }))).not.toBe(leaf);
    expect(leafOf(sealEvent(minimal(), { ...AT, receivedAt: new Date('2024-06-01T12:00:01.501Z') }))).not.toBe(leaf);
    expect(leafOf(sealEvent({ ...minimal(), outcome: 'denied' }, AT))).not.toBe(leaf);
  });

  it('refuses a seal that contradicts the event', () => {
    expect(() => sealEvent({ ...minimal(), id: newEventId() }, AT)).toThrow(/differs from the event id/);
    expect(() => sealEvent({ ...minimal(), tenant: 'other' }, AT)).toThrow(/tenant/);
    expect(() => sealEvent(minimal(), { ...AT, id: ID.toUpperCase() })).toThrow(/lower-case UUID/);
    expect(() => sealEvent(minimal(), { ...AT, seq: -1 })).toThrow(RangeError);
    expect(() => sealEvent(minimal(), { ...AT, seq: 1.5 })).toThrow(RangeError);
    expect(() => sealEvent(minimal(), { ...AT, receivedAt: new Date(Number.NaN) })).toThrow(RangeError);
  });

  it('accepts an upper-case input id that matches the seal id', () => {
    expect(sealEvent({ ...minimal(), id: ID.toUpperCase() }, AT).id).toBe(ID);
  });
});

describe('leafOf', () => {
  it('is RFC 8785 canonical JSON of the sealed event', () => {
    const sealed = sealEvent({ ...minimal(), metadata: { b: 1e21, a: 'é', c: 0.1 } }, AT);
    const leaf = leafOf(sealed);
    expect(leaf.startsWith('{"action":"user.login","actor":{"id":"u-1","type":"user"},"changed_fields":[]')).toBe(true);
    expect(leaf).toContain('"metadata":{"a":"é","b":1e+21,"c":0.1}');
    expect(Buffer.from(leafBytesOf(sealed)).toString('utf8')).toBe(leaf);
  });

  it('gives a stored view the same leaf as its sealed event', () => {
    const sealed = sealEvent(minimal(), AT);
    const view = { ...sealed, leaf_hash: 'aa', chain_hash: 'bb' };
    expect(leafOf(view)).toBe(leafOf(sealed));
  });
});

describe('requestHashOf', () => {
  it('matches for a retry of the same body, whatever its key order or id case', () => {
    const first = validOne({ id: ID, ...minimal(), metadata: { a: 1, b: 2 } });
    const retry = validOne({ metadata: { b: 2, a: 1 }, ...minimal(), id: ID.toUpperCase() });
    expect(toHex(requestHashOf(first))).toBe(toHex(requestHashOf(retry)));
    expect(requestHashOf(first)).toHaveLength(32);
  });

  it('differs for a different body under the same id', () => {
    const first = validOne({ id: ID, ...minimal() });
    const other = validOne({ id: ID, ...minimal(), outcome: 'failure' });
    expect(toHex(requestHashOf(first))).not.toBe(toHex(requestHashOf(other)));
  });
});

// Property tests: any string made of Unicode scalar values except NUL is valid text for the log.
const scalarChar = fc
  .integer({ min: 1, max: 0x10ffff })
  .filter((cp) => cp < 0xd800 || cp > 0xdfff)
  .map((cp) => String.fromCodePoint(cp));
const text = (maxLength: number) => fc.string({ unit: scalarChar, minLength: 1, maxLength });
const jsonObject = fc.dictionary(
  fc.string({ unit: scalarChar, maxLength: 8 }),
  fc.jsonValue({ stringUnit: scalarChar, maxDepth: 4 }),
  { maxKeys: 6 },
);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const validEvent = fc
  .record({
    id: optional(fc.uuid()),
    action: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}(\.[a-z0-9][a-z0-9_-]{0,8}){1,3}$/),
    actor: fc.record(
      { id: text(40), type: fc.constantFrom('user', 'service', 'system'), name: text(40) },
      { requiredKeys: ['id'] },
    ),
    resource: fc.record({ type: text(20), id: text(40), name: text(40) }, { requiredKeys: ['type', 'id'] }),
    outcome: optional(fc.constantFrom('success', 'failure', 'denied')),
    occurred_at: optional(
      fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: NOW, noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    context: optional(fc.record({ request_id: text(20), reason: text(60) }, { requiredKeys: [] })),
    changes: optional(
      fc.record({ before: fc.option(jsonObject, { nil: null }), after: fc.option(jsonObject, { nil: null }) }, {
        requiredKeys: [],
      }),
    ),
    metadata: optional(jsonObject),
    compliance_tags: optional(fc.uniqueArray(text(10), { maxLength: 4 })),
  })
  .map((event) => JSON.parse(JSON.stringify(event)) as unknown);

describe('properties of validated and sealed events', () => {
  it('every valid event is accepted, canonicalises, and survives a JSON round trip with the same leaf', () => {
    fc.assert(
      fc.property(validEvent, fc.nat({ max: 2 ** 40 }), (body, seq) => {
        const result = validateEventBody(body, { now: NOW });
        expect(result.ok ? [] : result.errors).toEqual([]);
        if (!result.ok) return;
        for (const input of result.events) {
          const sealed = sealEvent(input, { tenant: 't', seq, receivedAt: NOW, id: input.id ?? newEventId() });
          const leaf = leafOf(sealed);
          expect(leafOf(JSON.parse(JSON.stringify(sealed)) as SealedEvent)).toBe(leaf);
          expect(leafOf(JSON.parse(leaf) as SealedEvent)).toBe(leaf);
          const template = sealingTemplate(input, { tenant: 't', id: sealed.id });
          expect(template.leaf(seq, NOW)).toBe(leaf);
          expect(template.occurredAt).toBe(input.occurred_at ?? null);
          expect(template.searchText).toBe(searchTextOf(sealed));
        }
      }),
      { numRuns: 300 },
    );
  });

  // Arbitrary values including NUL, lone surrogates, non-finite numbers and non-JSON values: the validator must
  // never throw, and anything it accepts must canonicalise.
  const hostileString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.constantFrom('\u0000', '\uD800', 'a\uDC00', '\uDE00\uD83D', '😀'),
  );
  const hostileLeaf = fc.oneof(
    hostileString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(undefined, Number.NaN, Number.POSITIVE_INFINITY, new Date(0)),
  );
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      hostileLeaf,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.dictionary(hostileString, tie('tree'), { maxKeys: 4 }),
    ),
  }));

  const hostileObject = fc.dictionary(hostileString, tree, { maxKeys: 4 });

  it('never throws on hostile values, and what it accepts always canonicalises', () => {
    let accepted = 0;
    fc.assert(
      fc.property(hostileObject, fc.option(hostileObject, { nil: null }), (metadata, after) => {
        const body = { ...minimal(), metadata, changes: { after } };
        const result = validateEventBody(body, { now: NOW });
        if (!result.ok) return;
        accepted++;
        for (const input of result.events) {
          const sealed = sealEvent(input, { tenant: 't', seq: 0, receivedAt: NOW, id: newEventId() });
          expect(() => canonicalJson(sealed)).not.toThrow();
          expect(leafOf(JSON.parse(leafOf(sealed)) as SealedEvent)).toBe(leafOf(sealed));
        }
      }),
      { numRuns: 500 },
    );
    // The generator must exercise the accepting branch too, or this property would hold vacuously.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('sealingTemplate', () => {
  it('fills seq and received time into the leaf exactly where sealing would put them', () => {
    const input: EventInput = { action: 'user.login', actor: { id: 'u1' }, resource: { type: 'user', id: 'u1' } };
    const template = sealingTemplate(input, { tenant: 'acme', id: ID });
    for (const seq of [0, 9, 10, 123456789]) {
      const receivedAt = new Date(Date.UTC(2026, 10, 22, 10, 0, 0, seq % 1000));
      expect(template.leaf(seq, receivedAt)).toBe(leafOf(sealEvent(input, { tenant: 'acme', seq, receivedAt, id: ID })));
    }
    expect(() => template.leaf(-1, NOW)).toThrow(RangeError);
  });
});

describe('sealingTemplate fingerprint', () => {
  const base: EventInput = { id: ID, action: 'user.login', actor: { id: 'u1' }, resource: { type: 'user', id: 'u1' } };
  const fingerprint = (input: EventInput, tenant = 'acme') => toHex(sealingTemplate(input, { tenant, id: ID }).fingerprint);

  it('is the same for a retry, whatever the key order or spelled-out defaults', () => {
    const reordered = JSON.parse('{"resource":{"id":"u1","type":"user"},"actor":{"type":"user","id":"u1"},"action":"user.login","outcome":"success","id":"' + ID + '"}') as EventInput;
    expect(fingerprint(reordered)).toBe(fingerprint(base));
  });

  it('differs for any other fact, a submitted occurred_at, or another tenant', () => {
    const seen = new Set([fingerprint(base)]);
    for (const other of [
      { ...base, action: 'user.logout' },
      { ...base, outcome: 'failure' as const },
      { ...base, occurred_at: '2024-06-01T12:00:00.000Z' },
      { ...base, metadata: { a: 1 } },
      { ...base, actor: { id: 'u2' } },
    ]) {
      const value = fingerprint(other);
      expect(seen.has(value)).toBe(false);
      seen.add(value);
    }
    expect(fingerprint(base, 'other')).not.toBe(fingerprint(base));
  });

  // Stored request hashes are compared with the fingerprints of retries, so the definition must never drift: these
  // were computed when fingerprints were first stored.
  it('stays what it has always been for the same event', () => {
    const event: EventInput = {
      id: ID,
      action: 'invoice.update',
      actor: { id: 'u1', name: null as unknown as string, type: 'user' },
      resource: { type: 'invoice', id: 'inv-1', name: 'Ünïcode ☃' },
      context: { ip: '10.0.0.1', request_id: 'r1' },
      changes: { before: { status: 'draft' }, after: { status: 'sent' } },
      metadata: { z: [1, 2.5, 'x'], a: { é: true, '"q': null } },
      compliance_tags: ['sox'],
      subject_id: 's-9',
    };
    const sealing = { personalData: { key: 'k1', paths: ['/actor/name'], sealed: 'AAAA' }, changedFields: ['status'] };
    for (const submittedBy of [undefined, 'key-1']) {
      const options = submittedBy === undefined ? sealing : { ...sealing, submittedBy };
      expect(toHex(sealingTemplate(event, { tenant: 'acme', id: ID }, options).fingerprint)).toBe(
        'fe84de08465241870e3a79b2532da74b0a7bde904972a8adc643092c1010e463',
      );
    }
    const occurred = { ...event, occurred_at: '2024-06-01T11:00:00+01:00' };
    expect(toHex(sealingTemplate(occurred, { tenant: 'acme', id: ID }).fingerprint)).toBe(
      '4d1ae2627348666db03b1ac47fe005927bef1739ebc71d686c817fc6e6fa882a',
    );
  });

  it('ignores which key submitted the event, which the leaf seals all the same', () => {
    const stamped = sealingTemplate(base, { tenant: 'acme', id: ID }, { submittedBy: 'key-1' });
    expect(toHex(stamped.fingerprint)).toBe(fingerprint(base));
    expect(toHex(sealingTemplate(base, { tenant: 'acme', id: ID }, { submittedBy: 'key-2' }).fingerprint)).toBe(fingerprint(base));
    const leaf = stamped.leaf(3, NOW);
    expect(leaf).toBe(leafOf(sealEvent(base, { tenant: 'acme', seq: 3, receivedAt: NOW, id: ID }, { submittedBy: 'key-1' })));
    expect(JSON.parse(leaf)).toMatchObject({ submitted_by: 'key-1' });
    expect(leaf).toContain(',"submitted_by":"key-1","tenant":"acme"}');
  });

  it('counts a personal_data member by its paths only, since its ciphertext differs on every attempt', () => {
    const nulled: EventInput = { ...base, actor: { id: 'u1', name: null as unknown as string } };
    const sealed = (paths: string[], ciphertext: string) =>
      toHex(sealingTemplate(nulled, { tenant: 'acme', id: ID }, { personalData: { key: 'k1', paths, sealed: ciphertext } }).fingerprint);
    expect(sealed(['/actor/name'], 'AAAA')).toBe(sealed(['/actor/name'], 'BBBB'));
    expect(sealed(['/actor/name'], 'AAAA')).not.toBe(sealed(['/actor/email', '/actor/name'], 'AAAA'));
    expect(sealed(['/actor/name'], 'AAAA')).not.toBe(fingerprint(nulled));
    // ... while the leaf keeps the ciphertext itself.
    const leaf = sealingTemplate(nulled, { tenant: 'acme', id: ID }, { personalData: { key: 'k1', paths: ['/actor/name'], sealed: 'AAAA' } }).leaf(0, NOW);
    expect(leaf).toContain('"personal_data":{"key":"k1","paths":["/actor/name"],"sealed":"AAAA"}');
  });
});
