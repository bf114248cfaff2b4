import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneJson } from './clone-json.js';
import type { JsonValue } from './json-value.js';

/** Every object and array reachable from a value. */
function containers(value: unknown, into: Set<object> = new Set()): Set<object> {
  if (typeof value === 'object' && value !== null) {
    into.add(value);
    for (const member of Object.values(value)) containers(member, into);
  }
  return into;
}

describe('cloneJson', () => {
  it('copies any JSON value exactly, member order included, sharing no object or array with it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = cloneJson(value as JsonValue);
        expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
        expect(copy).toStrictEqual(value);
        const original = containers(value);
        for (const object of containers(copy)) expect(original.has(object)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an own __proto__ member a member, as JSON.parse made it, instead of setting the prototype', () => {
    const parsed = JSON.parse('{"__proto__":{"admin":true},"a":1}') as JsonValue;
    const copy = cloneJson(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ admin: true });
    expect((copy as { admin?: unknown }).admin).toBeUndefined();
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"admin":true},"a":1}');
  });

  it('is not changed by later changes to the original', () => {
    const original = { context: { tags: ['a', 'b'], nested: { n: 1 } } };
    const copy = cloneJson(original);
    original.context.tags.push('c');
    original.context.nested.n = 2;
    expect(copy).toEqual({ context: { tags: ['a', 'b'], nested: { n: 1 } } });
  });
});
