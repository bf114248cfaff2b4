import { describe, expect, it } from 'vitest';
import { changedFields } from './changed-fields.js';

describe('changedFields', () => {
  it('reports changed, added and removed leaves, sorted', () => {
    expect(changedFields({ name: 'a', age: 30, city: 'X' }, { name: 'b', age: 30, zip: '1' })).toEqual([
      'city',
      'name',
      'zip',
    ]);
  });

  it('reports nothing when both sides are equal, whatever the key order', () => {
    expect(changedFields({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1 })).toEqual([]);
  });

  it('uses dotted paths for nested objects', () => {
    const before = { address: { city: 'Berlin', street: 'Main', geo: { lat: 1 } } };
    const after = { address: { city: 'Paris', street: 'Main', geo: { lat: 2 } } };
    expect(changedFields(before, after)).toEqual(['address.city', 'address.geo.lat']);
  });

  it('compares arrays as whole values at their path', () => {
    expect(changedFields({ tags: ['a', 'b'] }, { tags: ['a', 'c'] })).toEqual(['tags']);
    expect(changedFields({ tags: ['a', 'b'] }, { tags: ['b', 'a'] })).toEqual(['tags']);
    expect(changedFields({ rows: [{ x: 1 }] }, { rows: [{ x: 1 }] })).toEqual([]);
  });

  it('lists every leaf of the other side when one side is null or absent', () => {
    const state = { name: 'a', address: { city: 'X', lines: ['1'] }, empty: {} };
    const all = ['address.city', 'address.lines', 'empty', 'name'];
    expect(changedFields(null, state)).toEqual(all);
    expect(changedFields(state, null)).toEqual(all);
    expect(changedFields(undefined, state)).toEqual(all);
    expect(changedFields(state, undefined)).toEqual(all);
    expect(changedFields(null, null)).toEqual([]);
    expect(changedFields(undefined, undefined)).toEqual([]);
  });

  it('treats null as a value distinct from absence', () => {
    expect(changedFields({ phone: null }, {})).toEqual(['phone']);
    expect(changedFields({ phone: null }, { phone: null })).toEqual([]);
    expect(changedFields({ phone: null }, { phone: '1' })).toEqual(['phone']);
  });

  it('reports both paths when an object is replaced by a scalar', () => {
    expect(changedFields({ a: { b: 1, c: 2 } }, { a: 5 })).toEqual(['a', 'a.b', 'a.c']);
  });

  it('treats an empty object as a leaf', () => {
    expect(changedFields({}, { settings: {} })).toEqual(['settings']);
    expect(changedFields({ settings: {} }, { settings: { dark: true } })).toEqual(['settings', 'settings.dark']);
  });

  it('distinguishes types that compare loosely equal', () => {
    expect(changedFields({ a: 1, b: '', c: false, d: 0 }, { a: '1', b: 0, c: 0, d: false })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('escapes dots and backslashes inside keys so paths never collide', () => {
    expect(changedFields({ 'a.b': 1, a: { b: 1 } }, { 'a.b': 2, a: { b: 1 } })).toEqual(['a\\.b']);
    expect(changedFields({}, { 'x\\y': 1 })).toEqual(['x\\\\y']);
  });

  it('handles the deepest objects the validator allows', () => {
    let before: Record<string, unknown> = { v: 1 };
    let after: Record<string, unknown> = { v: 2 };
    for (let i = 0; i < 30; i++) {
      before = { n: before };
      after = { n: after };
    }
    expect(changedFields(before as never, after as never)).toEqual([`${'n.'.repeat(30)}v`]);
  });
});
