import { describe, expect, it } from 'vitest';
import type { FieldError } from './field-error.js';
import { validateEventBody, validatingEventBody, VALIDATION_SLICE } from './validate-event-body.js';

const NOW = new Date('2024-06-01T12:00:00.000Z');

const minimal = () => ({ action: 'user.login', actor: { id: 'u-1' }, resource: { type: 'session', id: 's-1' } });

const full = () => ({
  id: '0190B6D2-7C1E-7A3B-8F10-2B4C6D8E0F12',
  tenant: 'acme-1',
  action: 'document.update',
  actor: { id: 'u-1', type: 'service', name: 'Ada Lovelace', email: 'ada@example.com' },
  resource: { type: 'document', id: 'doc-9', name: 'Q3 plan' },
  outcome: 'denied',
  occurred_at: '2024-06-01T13:59:59.123456+02:00',
  context: {
    ip: '2001:db8::1',
    user_agent: 'Mozilla/5.0',
    request_id: 'req-1',
    session_id: 'sess-1',
    business_process: 'profile_update',
    auth_method: 'oauth',
    role: 'editor',
    reason: 'customer asked',
  },
  changes: { before: { title: 'a', tags: ['x'] }, after: null },
  metadata: { nested: { list: [1, 'two', null, true, { deep: 1.5 }] } },
  classification: 'confidential',
  compliance_tags: ['GDPR', 'SOX'],
  retention_category: 'seven_years',
  subject_id: 'subject-42',
});

function validate(body: unknown, maxBatch?: number) {
  return validateEventBody(body, maxBatch === undefined ? { now: NOW } : { now: NOW, maxBatch });
}

function errorsOf(body: unknown, maxBatch?: number): FieldError[] {
  const result = validate(body, maxBatch);
  if (result.ok) throw new Error('expected the body to be rejected');
  return result.errors;
}

/** Asserts the body is rejected with an error at exactly `path`, whose message contains `message`. */
function expectRejected(body: unknown, path: string, message?: string | RegExp): void {
  const errors = errorsOf(body);
  const hit = errors.find((e) => e.path === path);
  expect(hit, `errors were ${JSON.stringify(errors)}`).toBeDefined();
  if (message !== undefined) expect(hit?.message).toMatch(message);
}

function expectAccepted(body: unknown): void {
  const result = validate(body);
  expect(result.ok ? [] : result.errors).toEqual([]);
}

const withEvent = (patch: Record<string, unknown>) => ({ ...minimal(), ...patch });
const withMetadata = (metadata: unknown) => withEvent({ metadata });

describe('validateEventBody: accepted bodies', () => {
  it('accepts a minimal event and returns it unchanged as a single-event body', () => {
    const result = validate(minimal());
    expect(result).toEqual({ ok: true, events: [minimal()], batch: false });
  });

  it('accepts an event using every field, lower-casing the id', () => {
    const result = validate(full());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.events[0]).toEqual({ ...full(), id: '0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12' });
  });

  it('returns a copy that later changes to the body cannot reach', () => {
    const body = full();
    const result = validate(body);
    if (!result.ok) throw new Error('rejected');
    body.metadata.nested.list.push('late');
    body.actor.name = 'changed';
    expect(result.events[0]?.metadata).toEqual(full().metadata);
    expect(result.events[0]?.actor.name).toBe('Ada Lovelace');
  });

  it('accepts a batch and reports it as one', () => {
    const result = validate({ events: [minimal(), full(), minimal()] });
    expect(result.ok && result.batch).toBe(true);
    expect(result.ok && result.events.length).toBe(3);
  });

  it('accepts exactly 1000 events by default', () => {
    expect(validate({ events: Array.from({ length: 1000 }, minimal) }).ok).toBe(true);
  });

  it('accepts the valid action spellings', () => {
    for (const action of ['user.login', 'api-key.create', 'invoice.line_item.delete', '2fa.enable', 'a.b']) {
      expectAccepted(withEvent({ action }));
    }
  });

  it('accepts any UUID version and keeps a __proto__ key as plain data', () => {
    expectAccepted(withEvent({ id: '3b241101-e2bb-4255-8caf-4136c566a962' }));
    const body = JSON.parse('{"action":"a.b","actor":{"id":"u"},"resource":{"type":"t","id":"r"},"metadata":{"__proto__":{"polluted":true}}}');
    const result = validate(body);
    if (!result.ok) throw new Error('rejected');
    expect(Object.keys(result.events[0]?.metadata ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('accepts limits at their boundary', () => {
    expectAccepted(withEvent({ action: `a.${'b'.repeat(126)}` }));
    expectAccepted(withEvent({ tenant: 'a'.repeat(63) }));
    expectAccepted(withEvent({ actor: { id: 'x'.repeat(256), name: 'n'.repeat(1024) } }));
    // Lengths are characters (code points), not UTF-16 units.
    expectAccepted(withEvent({ actor: { id: '😀'.repeat(256) } }));
    expectAccepted(withEvent({ compliance_tags: Array.from({ length: 32 }, (_, i) => `t${i}`) }));
  });

  it('accepts internationalised e-mail addresses and IPv4/IPv6', () => {
    expectAccepted(withEvent({ actor: { id: 'u', email: 'jürgen@bücher.example' } }));
    expectAccepted(withEvent({ context: { ip: '10.0.0.1' } }));
    expectAccepted(withEvent({ context: { ip: '::ffff:192.0.2.1' } }));
  });

  it('accepts occurred_at in the past, in any offset, and up to exactly 5 minutes ahead', () => {
    expectAccepted(withEvent({ occurred_at: '1999-12-31T23:59:59Z' }));
    expectAccepted(withEvent({ occurred_at: '2024-06-01T12:05:00Z' }));
    expectAccepted(withEvent({ occurred_at: '2024-06-01T14:05:00+02:00' }));
    expectAccepted(withEvent({ occurred_at: '2024-06-01t07:05:00.000000001-05:00' }));
    expectAccepted(withEvent({ occurred_at: '2016-12-31T23:59:60Z' }));
  });

  it('accepts astral characters (valid surrogate pairs) in keys and values', () => {
    expectAccepted(withMetadata({ '😀': '𝄞 music' }));
  });

  it('accepts exactly 32 levels of nesting', () => {
    // event = level 1, metadata = level 2, so 30 more objects put the leaf at level 32.
    let value: unknown = 'leaf';
    for (let i = 0; i < 30; i++) value = { a: value };
    expectAccepted(withMetadata(value));
  });

  it('accepts exactly 10,000 values in one event', () => {
    // Root, action, actor, actor.id, resource, its type and id, metadata and metadata.list: 9 values before the items.
    expectAccepted(withMetadata({ list: new Array(9991).fill(0) }));
  });
});

describe('validateEventBody: body shape', () => {
  it.each([
    ['null', null],
    ['a string', 'user.login'],
    ['a number', 42],
    ['a boolean', true],
    ['undefined', undefined],
    ['an array', [minimal()]],
  ])('rejects %s as the body at path ""', (_, body) => {
    expect(errorsOf(body)).toEqual([{ path: '', message: expect.stringContaining('must be a JSON object') }]);
  });

  it('rejects an empty batch', () => {
    expect(errorsOf({ events: [] })).toEqual([{ path: '/events', message: 'must contain at least 1 event' }]);
  });

  it('rejects 1,001 events', () => {
    expect(errorsOf({ events: Array.from({ length: 1001 }, minimal) })).toEqual([
      { path: '/events', message: expect.stringContaining('at most 1000 events') },
    ]);
  });

  it('applies a configured batch maximum', () => {
    expect(validate({ events: [minimal(), minimal()] }, 2).ok).toBe(true);
    expect(errorsOf({ events: [minimal(), minimal(), minimal()] }, 2)[0]?.path).toBe('/events');
    expect(() => validate({ events: [minimal()] }, 0)).toThrow(RangeError);
    expect(() => validate({ events: [minimal()] }, 1.5)).toThrow(RangeError);
  });

  it('rejects a non-array events member and extra members next to it', () => {
    expect(errorsOf({ events: minimal() })).toEqual([{ path: '/events', message: 'must be an array of events' }]);
    expectRejected({ events: [minimal()], tenant: 'acme' }, '/tenant', /holds only "events"/);
  });

  it('points into the failing event of a batch', () => {
    const events = [minimal(), minimal(), minimal(), { ...minimal(), actor: { id: 42 } }];
    expect(errorsOf({ events })).toEqual([{ path: '/events/3/actor/id', message: 'must be a string' }]);
  });

  it('reports every failing event of a batch, not only the first', () => {
    const events = [minimal(), { ...minimal(), action: 'Bad' }, minimal(), { ...minimal(), outcome: 'maybe' }];
    expect(errorsOf({ events }).map((e) => e.path)).toEqual(['/events/1/action', '/events/3/outcome']);
  });

  it('caps the number of errors reported', () => {
    const errors = errorsOf({ events: Array.from({ length: 1000 }, () => ({ action: 'x' })) });
    expect(errors).toHaveLength(100);
  });

  it('rejects a bad event in a batch by its index even when the rest are valid', () => {
    const events = Array.from({ length: 10 }, minimal);
    events[7] = { ...minimal(), resource: { type: 'doc' } } as never;
    expect(errorsOf({ events })).toEqual([{ path: '/events/7/resource/id', message: 'is required' }]);
  });
});

describe('validateEventBody: fields', () => {
  it.each([['action'], ['actor'], ['resource']])('requires %s', (field) => {
    const body: Record<string, unknown> = minimal();
    delete body[field];
    expectRejected(body, `/${field}`, 'is required');
  });

  it('requires actor.id, resource.type and resource.id', () => {
    expectRejected(withEvent({ actor: {} }), '/actor/id', 'is required');
    expectRejected(withEvent({ resource: { id: 'r' } }), '/resource/type', 'is required');
    expectRejected(withEvent({ resource: { type: 't' } }), '/resource/id', 'is required');
  });

  it('reports several problems of one event together', () => {
    const errors = errorsOf({ actor: { id: 'u', type: 'robot' }, resource: { type: 't', id: 'r' } });
    expect(errors.map((e) => e.path).sort()).toEqual(['/action', '/actor/type']);
  });

  it.each([
    ['/action', { action: 5 }, 'must be a string'],
    ['/actor', { actor: 'bob' }, 'must be an object'],
    ['/resource', { resource: ['doc', 1] }, 'must be an object'],
    ['/context', { context: null }, 'must be an object'],
    ['/changes', { changes: [] }, 'must be an object'],
    ['/changes/before', { changes: { before: [] } }, 'must be an object or null'],
    ['/changes/after', { changes: { after: 'x' } }, 'must be an object or null'],
    ['/metadata', { metadata: [1] }, 'must be an object'],
    ['/metadata', { metadata: null }, 'must be an object'],
    ['/compliance_tags', { compliance_tags: 'GDPR' }, 'must be an array'],
    ['/compliance_tags/1', { compliance_tags: ['GDPR', 7] }, 'must be a string'],
    ['/occurred_at', { occurred_at: 1717243200000 }, 'must be a string'],
    ['/context/ip', { context: { ip: 167772161 } }, 'must be a string'],
  ])('rejects a wrong type at %s', (path, patch, message) => {
    expectRejected(withEvent(patch), path, message);
  });

  it('rejects unknown fields at the top level and in actor, resource, context and changes', () => {
    expectRejected(withEvent({ user_id: 'u' }), '/user_id', /not a recognised field; allowed here: id, tenant, action/);
    expectRejected(withEvent({ actor: { id: 'u', role: 'x' } }), '/actor/role', 'not a recognised field');
    expectRejected(withEvent({ resource: { type: 't', id: 'r', owner: 'x' } }), '/resource/owner');
    expectRejected(withEvent({ context: { ip_address: '10.0.0.1' } }), '/context/ip_address');
    expectRejected(withEvent({ changes: { old: {} } }), '/changes/old');
  });

  it('escapes unknown field names in the path', () => {
    expectRejected(withEvent({ 'a/b~c': 1 }), '/a~1b~0c', 'not a recognised field');
  });

  it.each(['UserLogin', 'user', 'User.login', 'user..login', '.user.login', 'user.login.', 'user login', 'user._x', 'user.lögin'])(
    'rejects the action %j with a readable message',
    (action) => {
      expectRejected(withEvent({ action }), '/action', 'must be a dotted lower-case action name, e.g. user.login');
    },
  );

  it('rejects an action longer than 128 characters', () => {
    expectRejected(withEvent({ action: `a.${'b'.repeat(127)}` }), '/action', 'at most 128 characters');
  });

  it.each(['not-a-uuid', 'urn:uuid:3b241101-e2bb-4255-8caf-4136c566a962', '{3b241101-e2bb-4255-8caf-4136c566a962}', '3b241101e2bb42558caf4136c566a962'])(
    'rejects the id %j',
    (id) => {
      expectRejected(withEvent({ id }), '/id', 'must be a UUID');
    },
  );

  it('rejects the nil and max UUIDs as ids', () => {
    expectRejected(withEvent({ id: '00000000-0000-0000-0000-000000000000' }), '/id', 'nil or max');
    expectRejected(withEvent({ id: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF' }), '/id', 'nil or max');
  });

  it.each(['Acme', '-acme', 'acme_1', '', 'a'.repeat(64)])('rejects the tenant %j', (tenant) => {
    expectRejected(withEvent({ tenant }), '/tenant', 'must be a tenant id');
  });

  it('caps identifier and name lengths', () => {
    expectRejected(withEvent({ actor: { id: 'x'.repeat(257) } }), '/actor/id', 'at most 256 characters');
    expectRejected(withEvent({ actor: { id: 'u', name: 'n'.repeat(1025) } }), '/actor/name', 'at most 1024');
    expectRejected(withEvent({ resource: { type: 't', id: 'r'.repeat(257) } }), '/resource/id', 'at most 256');
    expectRejected(withEvent({ resource: { type: 't', id: 'r', name: 'n'.repeat(1025) } }), '/resource/name', '1024');
    expectRejected(withEvent({ subject_id: 's'.repeat(257) }), '/subject_id', 'at most 256');
    expectRejected(withEvent({ context: { request_id: 'q'.repeat(257) } }), '/context/request_id', 'at most 256');
  });

  it('rejects empty strings', () => {
    expectRejected(withEvent({ actor: { id: '' } }), '/actor/id', 'must not be empty');
    expectRejected(withEvent({ context: { reason: '' } }), '/context/reason', 'must not be empty');
  });

  it('rejects values outside the enumerations', () => {
    expectRejected(withEvent({ outcome: 'ok' }), '/outcome', 'must be one of: success, failure, denied');
    expectRejected(withEvent({ actor: { id: 'u', type: 'robot' } }), '/actor/type', 'user, service, system');
    expectRejected(withEvent({ classification: 'secret' }), '/classification', 'public, internal, confidential');
  });

  it('rejects malformed e-mail and IP addresses', () => {
    expectRejected(withEvent({ actor: { id: 'u', email: 'ada at example.com' } }), '/actor/email', 'e-mail');
    expectRejected(withEvent({ context: { ip: '999.1.1.1' } }), '/context/ip', 'IPv4 or IPv6');
    expectRejected(withEvent({ context: { ip: 'localhost' } }), '/context/ip', 'IPv4 or IPv6');
  });

  it('rejects repeated, too many and empty compliance tags', () => {
    expectRejected(withEvent({ compliance_tags: ['GDPR', 'SOX', 'GDPR'] }), '/compliance_tags', 'must not repeat');
    const many = Array.from({ length: 33 }, (_, i) => `t${i}`);
    expectRejected(withEvent({ compliance_tags: many }), '/compliance_tags', 'at most 32 items');
    expectRejected(withEvent({ compliance_tags: [''] }), '/compliance_tags/0', 'must not be empty');
  });
});

describe('validateEventBody: occurred_at', () => {
  it.each(['2024-06-01T12:00:00', '2024-06-01T12:00:00.123', '2024-06-01 12:00:00', '2024-06-01T12:00'])(
    'rejects the naive timestamp %j, asking for an offset',
    (occurred_at) => {
      expectRejected(withEvent({ occurred_at }), '/occurred_at', 'must include a time-zone offset');
    },
  );

  it.each(['2024-06-01', '2024-06-01T12:00:00+0100', '2024-06-01T12:00:00 Z', 'June 1, 2024', '2024-06-01T12:00:00.1234567890Z'])(
    'rejects the non-RFC 3339 text %j',
    (occurred_at) => {
      expectRejected(withEvent({ occurred_at }), '/occurred_at', 'must be an RFC 3339 timestamp with offset');
    },
  );

  it.each(['2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-06-31T00:00:00Z', '2024-06-01T24:00:00Z', '2024-06-01T12:00:00+24:00', '2024-06-01T12:00:60Z'])(
    'rejects the impossible date-time %j',
    (occurred_at) => {
      expectRejected(withEvent({ occurred_at }), '/occurred_at', 'real calendar date and time');
    },
  );

  it('rejects a time more than 5 minutes after now, whatever the offset', () => {
    expectRejected(withEvent({ occurred_at: '2024-06-01T12:05:00.001Z' }), '/occurred_at', 'more than 5 minutes in the future');
    expectRejected(withEvent({ occurred_at: '2024-06-01T14:05:01+02:00' }), '/occurred_at', '5 minutes');
    expectRejected(withEvent({ occurred_at: '2024-06-01T07:06:00-05:00' }), '/occurred_at', '5 minutes');
  });

  it('measures the future against the now it is given', () => {
    const body = withEvent({ occurred_at: '2030-01-01T00:00:00Z' });
    expect(validateEventBody(body, { now: NOW }).ok).toBe(false);
    expect(validateEventBody(body, { now: new Date('2030-01-01T00:00:00Z') }).ok).toBe(true);
  });

  it('points at the future event inside a batch', () => {
    const events = [minimal(), withEvent({ occurred_at: '2025-01-01T00:00:00Z' })];
    expect(errorsOf({ events })).toEqual([{ path: '/events/1/occurred_at', message: expect.stringContaining('future') }]);
  });
});

describe('validateEventBody: checks over the whole value', () => {
  it('rejects NUL in a value anywhere, with the path of the value', () => {
    expectRejected(withMetadata({ a: { b: ['ok', 'x\u0000y'] } }), '/metadata/a/b/1', 'NUL');
    expectRejected(withEvent({ actor: { id: 'u\u0000' } }), '/actor/id', 'NUL');
    expectRejected(withEvent({ changes: { after: { name: '\u0000' } } }), '/changes/after/name', 'NUL');
  });

  it('rejects NUL in a key, with the path of the key', () => {
    expectRejected(withMetadata({ ok: 1, 'k\u0000': 1 }), '/metadata/k\u0000', 'key must not contain the NUL');
    expectRejected(withEvent({ changes: { before: { 'a/b\u0000': 1 } } }), '/changes/before/a~1b\u0000', 'key');
  });

  it('rejects a lone surrogate in a value', () => {
    expectRejected(withMetadata({ a: 'bad \uD800 text' }), '/metadata/a', 'lone UTF-16 surrogate');
    expectRejected(withMetadata({ a: ['\uDC00'] }), '/metadata/a/0', 'lone UTF-16 surrogate');
    expectRejected(withEvent({ resource: { type: 't', id: '\uD83D' } }), '/resource/id', 'lone');
    // A high surrogate at the very end, and a reversed pair, are lone too.
    expectRejected(withMetadata({ a: 'x\uD83D' }), '/metadata/a', 'lone');
    expectRejected(withMetadata({ a: '\uDE00\uD83D' }), '/metadata/a', 'lone');
  });

  it('rejects a lone surrogate in a key', () => {
    expectRejected(withMetadata({ 'k\uDC00': 1 }), '/metadata/k\uDC00', 'key must not contain a lone UTF-16 surrogate');
    expectRejected(withEvent({ changes: { after: { deep: { '\uD800': 1 } } } }), '/changes/after/deep/\uD800', 'key');
  });

  it('rejects non-finite numbers', () => {
    expectRejected(withMetadata({ n: Number.POSITIVE_INFINITY }), '/metadata/n', 'finite number');
    expectRejected(withMetadata({ list: [1, 2, Number.NEGATIVE_INFINITY] }), '/metadata/list/2', 'finite');
    expectRejected(withEvent({ changes: { before: { n: Number.NaN } } }), '/changes/before/n', 'finite');
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a bigint', 10n],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a symbol', Symbol('s')],
  ])('rejects %s, which has no faithful JSON form', (_, value) => {
    expectRejected(withMetadata({ v: value }), '/metadata/v', 'must be a JSON value');
  });

  it('rejects a 33rd level of nesting at the first value beyond it', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < 31; i++) value = { a: value };
    expectRejected(withMetadata(value), `/metadata${'/a'.repeat(31)}`, 'at most 32 levels deep');
  });

  it.each([5_000, 100_000])('rejects %i-deep objects and arrays without overflowing the stack', (depth) => {
    let object: unknown = 1;
    let array: unknown = 1;
    for (let i = 0; i < depth; i++) {
      object = { a: object };
      array = [array];
    }
    expectRejected(withMetadata(object), `/metadata${'/a'.repeat(31)}`, 'too deeply');
    expectRejected(withMetadata({ x: array }), `/metadata/x${'/0'.repeat(30)}`, 'too deeply');
  });

  it('rejects deep nesting that arrives as parsed JSON text', () => {
    const text = `{"action":"a.b","actor":{"id":"u"},"resource":{"type":"t","id":"r"},"metadata":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    expectRejected(JSON.parse(text), `/metadata${'/a'.repeat(31)}`, 'too deeply');
    expectRejected({ events: [minimal(), JSON.parse(text)] }, `/events/1/metadata${'/a'.repeat(31)}`, 'too deeply');
  });

  it('rejects the 10,001st value, pointing at it', () => {
    expectRejected(withMetadata({ list: new Array(9992).fill(0) }), '/metadata/list/9991', 'at most 10000 JSON values');
  });

  it('stops counting early on a huge flat object', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 200_000; i++) wide[`k${i}`] = i;
    // 8 values precede the keys of metadata, so key number 9,993 (k9992) is the 10,001st value.
    expectRejected(withMetadata(wide), '/metadata/k9992', 'at most 10000');
  });

  it('counts values per event, so a batch may hold more in total', () => {
    const event = withMetadata({ list: new Array(9000).fill(0) });
    expect(validate({ events: [event, event, event] }).ok).toBe(true);
  });
});

describe('validatingEventBody: the same validation in slices', () => {
  function run(body: unknown): { pauses: number; result: ReturnType<typeof validateEventBody> } {
    const steps = validatingEventBody(body, { now: NOW });
    for (let pauses = 0; ; pauses++) {
      const step = steps.next();
      if (step.done === true) return { pauses, result: step.value };
    }
  }

  it('pauses after every slice of a batch and accepts what validateEventBody accepts', () => {
    const events = Array.from({ length: 2 * VALIDATION_SLICE + 1 }, (_, i) => ({
      ...full(),
      id: `0190b6d2-7c1e-7a3b-8f10-${String(i).padStart(12, '0')}`,
    }));
    const { pauses, result } = run({ events });
    expect(pauses).toBe(2);
    expect(result).toEqual(validateEventBody({ events }, { now: NOW }));
    expect(result.ok && result.events).toHaveLength(events.length);
  });

  it('finds an invalid event in a later slice, with its path', () => {
    const events = Array.from({ length: VALIDATION_SLICE + 5 }, () => minimal());
    events[VALIDATION_SLICE + 3] = { ...minimal(), actor: { id: '' } };
    const { result } = run({ events });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.path)).toContain(`/events/${VALIDATION_SLICE + 3}/actor/id`);
  });

  it('does not pause for a single event', () => {
    expect(run(full()).pauses).toBe(0);
  });
});
