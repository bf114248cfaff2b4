import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTOR_TYPES, CLASSIFICATIONS, OUTCOMES } from './event-types.js';
import type { FieldError } from './field-error.js';
import { EVENT_LIMITS } from './limits.js';
import { validateEventBody, type EventBodyValidation } from './validate-event-body.js';

// Property-based checks of the ingest validator: whatever a producer sends, it answers (never throws), and every error
// points at a place in what was sent.

const NOW = new Date('2024-06-01T12:00:00.000Z');
const validate = (body: unknown): EventBodyValidation => validateEventBody(body, { now: NOW, maxBatch: 20 });

/** Text without NUL or lone surrogates (both rejected on purpose), of 1..max UTF-16 code units. */
const cleanText = (max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(max, 40) })
    .map((text) => text.replace(/\u0000/g, 'x'))
    .filter((text) => text.length >= 1 && text.length <= max);

const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/);
const action = fc
  .array(segment, { minLength: 2, maxLength: 4 })
  .map((parts) => parts.join('.'))
  .filter((name) => name.length <= EVENT_LIMITS.maxActionLength);
const pastInstant = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: NOW, noInvalidDate: true });
const offsetTimestamp = fc
  .tuple(pastInstant, fc.integer({ min: -14 * 60, max: 14 * 60 }))
  .map(([instant, offsetMinutes]) => {
    // The same instant written in another offset: still at or before NOW.
    const local = new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return `${local}${offsetMinutes === 0 ? 'Z' : offset}`;
  });
const jsonObject = fc.dictionary(
  cleanText(20),
  fc.jsonValue({ maxDepth: 3 }).filter((value) => !JSON.stringify(value).includes('\\u0000')),
  { maxKeys: 5 },
);
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Events the contract accepts, with every optional field sometimes present. */
const validEvent = fc
  .record(
    {
      id: optional(fc.uuid().filter((id) => !/^(0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i.test(id))),
      tenant: optional(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/)),
      action,
      actor: fc.record(
        {
          id: cleanText(EVENT_LIMITS.maxIdLength),
          type: optional(fc.constantFrom(...ACTOR_TYPES)),
          name: optional(cleanText(EVENT_LIMITS.maxNameLength)),
          email: optional(fc.emailAddress().filter((email) => email.length <= EVENT_LIMITS.maxEmailLength)),
        },
        { requiredKeys: ['id'] },
      ),
      resource: fc.record(
        { type: cleanText(EVENT_LIMITS.maxLabelLength), id: cleanText(EVENT_LIMITS.maxIdLength), name: optional(cleanText(40)) },
        { requiredKeys: ['type', 'id'] },
      ),
      outcome: optional(fc.constantFrom(...OUTCOMES)),
      occurred_at: optional(offsetTimestamp),
      context: optional(
        fc.record(
          { ip: fc.oneof(fc.ipV4(), fc.ipV6()), request_id: cleanText(40), reason: cleanText(80) },
          { requiredKeys: [] },
        ),
      ),
      changes: optional(fc.record({ before: fc.option(jsonObject, { nil: null }), after: fc.option(jsonObject, { nil: null }) }, { requiredKeys: [] })),
      metadata: optional(jsonObject),
      classification: optional(fc.constantFrom(...CLASSIFICATIONS)),
      compliance_tags: optional(fc.uniqueArray(cleanText(EVENT_LIMITS.maxLabelLength), { maxLength: 5 })),
      retention_category: optional(cleanText(EVENT_LIMITS.maxLabelLength)),
    },
    { requiredKeys: ['action', 'actor', 'resource'] },
  )
  // fc.record with optional keys yields absent keys, but `optional` yields undefined values: drop those, as JSON would.
  .map((event) => JSON.parse(JSON.stringify(event)) as Record<string, unknown>);

/** RFC 6901: the tokens of a JSON Pointer, unescaped. */
function tokensOf(pointer: string): string[] {
  if (pointer === '') return [];
  expect(pointer.startsWith('/'), `pointer ${JSON.stringify(pointer)}`).toBe(true);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Whether a pointer names a real place in `input`: every step but the last walks through an existing array element
 * or own property, and the last one exists too, or names a property of an existing object (a missing required field).
 */
function pointsInto(input: unknown, pointer: string): boolean {
  const tokens = tokensOf(pointer);
  let node: unknown = input;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const last = i === tokens.length - 1;
    if (Array.isArray(node)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= node.length) return false;
      node = node[Number(token)];
    } else if (typeof node === 'object' && node !== null) {
      if (!Object.hasOwn(node, token)) return last;
      node = (node as Record<string, unknown>)[token];
    } else {
      return false;
    }
  }
  return true;
}

function expectWellFormedRejection(input: unknown, result: EventBodyValidation): FieldError[] {
  if (result.ok) return [];
  expect(result.errors.length).toBeGreaterThan(0);
  expect(result.errors.length).toBeLessThanOrEqual(EVENT_LIMITS.maxErrors);
  for (const error of result.errors) {
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
    // The input is described only on failure: a deeply nested one cannot be serialised.
    if (!pointsInto(input, error.path)) expect.fail(`${error.path} (${error.message}) does not point into the input`);
  }
  return result.errors;
}

/** Small structural edits of a valid event: a value replaced, removed, or a key added, anywhere in the tree. */
function mutate(event: Record<string, unknown>, choice: number, replacement: unknown, newKey: string): unknown {
  const copy = structuredClone(event);
  const places: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach((child, index) => {
        places.push({ parent: node, key: index });
        walk(child);
      });
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        places.push({ parent: node as Record<string, unknown>, key });
        walk(child);
      }
    }
  };
  walk(copy);
  const place = places[choice % places.length];
  if (place === undefined) return copy;
  const { parent, key } = place;
  switch (choice % 3) {
    case 0:
      (parent as Record<string | number, unknown>)[key] = replacement;
      break;
    case 1:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    default:
      if (!Array.isArray(parent)) parent[newKey] = replacement;
      else parent.push(replacement);
  }
  return copy;
}

const anyJson = fc.jsonValue({ maxDepth: 4 });
const hostileScalar = fc.oneof(
  fc.constant('\u0000'),
  fc.constant('a\ud800b'),
  fc.constant('\udfff'),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(-0),
  fc.constant(''),
  fc.constant('x'.repeat(5000)),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
);

describe('validateEventBody under generated input', () => {
  it('accepts every valid event, alone and in a batch, and normalising is idempotent', () => {
    fc.assert(
      fc.property(validEvent, fc.array(validEvent, { minLength: 1, maxLength: 4 }), (event, batch) => {
        const one = validate(event);
        expect(one.ok, JSON.stringify(one)).toBe(true);
        if (!one.ok) return;
        expect(one.batch).toBe(false);
        const [normalised] = one.events;
        // Validating what came out gives the same thing back.
        const again = validate(normalised);
        expect(again).toEqual(one);
        // The id is the one spelling of the UUID, the rest is untouched.
        const { id, ...rest } = event;
        const { id: normalisedId, ...normalisedRest } = normalised as unknown as Record<string, unknown>;
        expect(normalisedRest).toEqual(rest);
        expect(normalisedId).toEqual(typeof id === 'string' ? id.toLowerCase() : undefined);
        // A detached copy: changing the input afterwards does not change what was validated.
        (event['actor'] as Record<string, unknown>)['id'] = 'changed later';
        expect((normalised?.actor as { id: string }).id).not.toBe('changed later');

        const many = validate({ events: batch });
        expect(many.ok, JSON.stringify(many)).toBe(true);
        if (many.ok) expect(validate({ events: many.events })).toEqual(many);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary JSON, and every error points into the input', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, fc.record({ events: anyJson }), fc.record({ events: fc.array(anyJson, { maxLength: 5 }) })), (input) => {
        expectWellFormedRejection(input, validate(input));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on mutated valid events; each accepted mutant is still valid, each rejection points into it', () => {
    fc.assert(
      fc.property(
        validEvent,
        fc.nat(),
        fc.oneof(anyJson, hostileScalar),
        fc.oneof(cleanText(10), fc.constant('__proto__'), fc.constant('constructor'), fc.constant('a/b~c')),
        fc.boolean(),
        (event, choice, replacement, newKey, batched) => {
          const mutant = mutate(event, choice, replacement, newKey);
          const input = batched ? { events: [event, mutant] } : mutant;
          const result = validate(input);
          if (result.ok) {
            expect(validate(result.batch ? { events: result.events } : result.events[0])).toEqual(result);
          } else {
            const errors = expectWellFormedRejection(input, result);
            // A batch reports errors of the mutant (index 1) only: the untouched event is valid.
            if (batched) for (const error of errors) expect(error.path.startsWith('/events/1')).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects lone surrogates and NUL anywhere, in values and keys, naming where', () => {
    const bad = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff');
    fc.assert(
      fc.property(validEvent, bad, fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), fc.constantFrom('value', 'key'), (event, char, before, after, where) => {
        const poisoned = `${before.replace(/\u0000/g, '')}${char}${after.replace(/\u0000/g, '')}`;
        const metadata = where === 'value' ? { note: poisoned } : { [poisoned]: 1 };
        const input = { ...event, metadata };
        const result = validate(input);
        expect(result.ok).toBe(false);
        const errors = expectWellFormedRejection(input, result);
        expect(errors.some((error) => error.path.startsWith('/metadata/'))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects nesting far beyond the limit without exhausting the stack', () => {
    for (const depth of [EVENT_LIMITS.maxDepth + 1, 1_000, 200_000]) {
      let nested: unknown = 'bottom';
      for (let i = 0; i < depth; i++) nested = i % 2 === 0 ? [nested] : { d: nested };
      const input = { action: 'user.login', actor: { id: 'u' }, resource: { type: 't', id: 'r' }, metadata: { deep: nested } };
      const result = validate(input);
      expect(result.ok).toBe(false);
      const errors = expectWellFormedRejection(input, result);
      expect(errors[0]?.message).toMatch(/nested too deeply/);
      const batch = { events: [input] };
      expectWellFormedRejection(batch, validate(batch));
    }
  });

  it('rejects values a JSON parser never produces, without throwing', () => {
    const cyclic: Record<string, unknown> = { action: 'user.login', actor: { id: 'u' }, resource: { type: 't', id: 'r' } };
    cyclic['metadata'] = { self: cyclic };
    const odd: unknown[] = [
      cyclic,
      { action: 'user.login', actor: { id: 'u' }, resource: { type: 't', id: 'r' }, metadata: { when: new Date(0) } },
      { action: 'user.login', actor: { id: 'u' }, resource: { type: 't', id: 'r' }, metadata: { big: 10n } },
      { action: 'user.login', actor: { id: 'u' }, resource: { type: 't', id: 'r' }, metadata: { fn: () => 1 } },
      { action: 'user.login', actor: { id: 'u' }, resource: { type: 't', id: 'r' }, metadata: { gap: [1, , 3] } },
      Object.assign(Object.create(null) as object, { action: 'user.login', actor: { id: 'u' }, resource: { type: 't', id: 'r' } }),
      { events: new Array(3) },
      undefined,
      Symbol('event'),
    ];
    for (const input of odd) {
      expect(() => validate(input)).not.toThrow();
    }
    expect(validate(cyclic).ok).toBe(false);
  });
});
