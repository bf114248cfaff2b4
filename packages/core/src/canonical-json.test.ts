import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalJson } from './canonical-json.js';
import { toHex, utf8 } from './bytes.js';

function doubleFromBits(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

describe('RFC 8785 canonical JSON', () => {
  it('canonicalizes the example of RFC 8785 §3.2.2', () => {
    const input = `{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalJson(JSON.parse(input))).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units, as in RFC 8785 §3.2.3', () => {
    const input = `{
      "\\u20ac": "Euro Sign",
      "\\r": "Carriage Return",
      "\\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\\ud83d\\ude00": "Emoji: Grinning Face",
      "\\u0080": "Control",
      "\\u00f6": "Latin Small Letter O With Diaeresis"
    }`;
    const text = canonicalJson(JSON.parse(input));
    // Compared as text: parsing it back would let JavaScript move the integer-like key "1" to the front.
    expect(text).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    // By code point U+FB33 would come before U+1F600; by UTF-16 code unit 0xD83D comes first.
    expect(text.indexOf('Emoji')).toBeLessThan(text.indexOf('Hebrew'));
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('serializes the IEEE 754 value %s as %s (RFC 8785 Appendix B)', (bits, expected) => {
    expect(canonicalJson(doubleFromBits(bits))).toBe(expected);
  });

  it('serializes numbers written in other forms', () => {
    expect(canonicalJson(JSON.parse('[1e21, 1E-7, -0, 1.0, 100, 1e20, 0.1, 1e-6, -1.5E+2]'))).toBe(
      '[1e+21,1e-7,0,1,100,100000000000000000000,0.1,0.000001,-150]',
    );
  });

  it('refuses numbers JSON cannot represent', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow();
    expect(() => canonicalJson({ a: [Number.NEGATIVE_INFINITY] })).toThrow();
  });

  it('escapes only quote, backslash and control characters, with short forms where JSON has them', () => {
    const value = '"\\/\b\f\n\r\t\u0000\u0001\u001f\u007f\u00e9\u2028\ud83d\ude00';
    expect(canonicalJson(value)).toBe('"\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\u007f\u00e9\u2028\ud83d\ude00"');
  });

  it('refuses lone surrogates, which are not I-JSON', () => {
    expect(() => canonicalJson('\ud800')).toThrow();
    expect(() => canonicalJson({ '\udc00': 1 })).toThrow();
  });

  it('sorts nested objects, keeps array order and drops undefined members', () => {
    const value = { b: [3, { z: 1, a: 2 }, 1], a: { d: null, c: 'x' }, u: undefined };
    expect(canonicalJson(value)).toBe('{"a":{"c":"x","d":null},"b":[3,{"a":2,"z":1},1]}');
  });

  it('has no whitespace and encodes as UTF-8', () => {
    const bytes = canonicalBytes({ name: 'Zoë', list: [1, 2] });
    expect(toHex(bytes)).toBe(toHex(utf8.encode('{"list":[1,2],"name":"Zoë"}')));
  });

  it('refuses values without a JSON representation', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe('canonicalJson agrees with the reference implementation', () => {
  it('on random JSON values', async () => {
    const fc = await import('fast-check');
    const { default: canonicalize } = await import('canonicalize');
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('on random objects with awkward keys and numbers', async () => {
    const fc = await import('fast-check');
    const { default: canonicalize } = await import('canonicalize');
    const key = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('1', '10', '-0', '__proto__x', '\u20ac', '\ud83d\ude00'));
    const leaf = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node')), fc.dictionary(key, tie('node'))),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('on the same objects with their keys already in order, which it writes natively', async () => {
    const fc = await import('fast-check');
    const { default: canonicalize } = await import('canonicalize');
    const key = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('1', '10', '-0', '\\ud800', '\u20ac', '\ud83d\ude00'));
    const leaf = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('C:\\udata', '\ud800', 'a\udc00b'),
      fc.boolean(),
      fc.constant(null),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node')), fc.dictionary(key, tie('node'))),
    })).node;
    /** The value rebuilt with every object's keys inserted in code unit order. */
    const ordered = (value: unknown): unknown => {
      if (typeof value !== 'object' || value === null) return value;
      if (Array.isArray(value)) return value.map(ordered);
      const copy: Record<string, unknown> = {};
      for (const name of Object.keys(value).sort()) copy[name] = ordered((value as Record<string, unknown>)[name]);
      return copy;
    };
    fc.assert(
      fc.property(tree, (value) => {
        const input = ordered(value);
        // The reference escapes lone surrogates; canonical JSON refuses them, natively written or not.
        const wellFormed = (item: unknown): boolean =>
          typeof item === 'string'
            ? item.isWellFormed()
            : typeof item !== 'object' || item === null
              ? true
              : Object.entries(item).every(([name, member]) => name.isWellFormed() && wellFormed(member));
        const expected: string | Error = wellFormed(input) ? (canonicalize(input) as string) : new TypeError('lone surrogate');
        if (expected instanceof Error) expect(() => canonicalJson(input)).toThrow(TypeError);
        else expect(canonicalJson(input)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses lone surrogates in keys as well as values, and cycles', () => {
    expect(() => canonicalJson({ '\ud800': 1 })).toThrow(/lone surrogate/);
    expect(() => canonicalJson(['\udc00'])).toThrow(/lone surrogate/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/too deeply|cyclic/);
  });
});
