import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json.js';
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

/** Whether every object reachable from a value lists its keys in UTF-16 code unit order. */
function keysAscend(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  const keys = Object.keys(value);
  if (!Array.isArray(value) && keys.some((key, i) => i > 0 && !((keys[i - 1] as string) < key))) return false;
  return Object.values(value).every(keysAscend);
}

describe('cloneJson', () => {
  it('copies any JSON value exactly, members in canonical order, sharing no object or array with it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = cloneJson(value as JsonValue);
        expect(copy).toStrictEqual(value);
        expect(canonicalJson(copy)).toBe(canonicalJson(value));
        // Integer-like keys are listed first whatever the insertion order: only other objects can be in code unit order.
        const integerLike = /"(0|[1-9][0-9]*)":/.test(JSON.stringify(value));
        if (!integerLike) {
          expect(keysAscend(copy)).toBe(true);
          expect(JSON.stringify(copy)).toBe(canonicalJson(value));
        }
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
