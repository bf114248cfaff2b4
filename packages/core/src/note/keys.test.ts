import { describe, expect, it } from 'vitest';
import { concatBytes, sha256, toBase64, toHex, utf8 } from '../bytes.js';
import { NoteError } from './note-error.js';
import { openNote } from './open-note.js';
import { signNote } from './sign-note.js';
import {
  formatSigningKey,
  generateSigningKey,
  parseSigningKey,
  signingKeyFromSeed,
  signingKeyWithName,
  verifierKeyOf,
} from './signing-key.js';
import { formatVerifierKey, keyIdOf, parseVerifierKey } from './verifier-key.js';

const SEED = new Uint8Array(32).fill(9);

describe('signing keys', () => {
  it('generates distinct keys that round-trip through their text form', () => {
    const a = generateSigningKey('example.com/a');
    const b = generateSigningKey('example.com/a');
    expect(toHex(a.seed)).not.toBe(toHex(b.seed));
    expect(a.seed.byteLength).toBe(32);
    expect(a.publicKey.byteLength).toBe(32);
    expect(a.keyId.byteLength).toBe(4);
    const parsed = parseSigningKey(formatSigningKey(a));
    expect(toHex(parsed.seed)).toBe(toHex(a.seed));
    expect(toHex(parsed.publicKey)).toBe(toHex(a.publicKey));
    expect(formatVerifierKey(parseVerifierKey(formatVerifierKey(verifierKeyOf(a))))).toBe(
      formatVerifierKey(verifierKeyOf(a)),
    );
  });

  it('computes key IDs as SHA-256(name || 0x0A || 0x01 || public key)[:4]', () => {
    const key = signingKeyFromSeed('example.com/log', SEED);
    const expected = sha256(utf8.encode('example.com/log\n'), new Uint8Array([1]), key.publicKey).subarray(0, 4);
    expect(toHex(keyIdOf('example.com/log', key.publicKey))).toBe(toHex(expected));
    expect(toHex(key.keyId)).toBe(toHex(expected));
  });

  it('renames a key: same Ed25519 key, new name and key ID, signatures only verify under the new name', () => {
    const original = signingKeyFromSeed('service', SEED);
    const renamed = signingKeyWithName(original, 'example.com/tenant-b');
    expect(renamed.name).toBe('example.com/tenant-b');
    expect(toHex(renamed.publicKey)).toBe(toHex(original.publicKey));
    expect(toHex(renamed.keyId)).toBe(toHex(keyIdOf('example.com/tenant-b', original.publicKey)));
    const note = signNote('hello\n', [renamed]);
    expect(openNote(note, [verifierKeyOf(renamed)]).text).toBe('hello\n');
    expect(() => openNote(note, [verifierKeyOf(original)])).toThrow(NoteError);
  });

  it.each(['', 'has space', 'has+plus', 'tab\tname', 'nbsp\u00a0name', 'ideographic\u3000space', 'bell\u0007'])(
    'refuses the key name %j',
    (name) => {
      expect(() => generateSigningKey(name)).toThrow(NoteError);
    },
  );

  it('rejects malformed signing key texts', () => {
    const key = signingKeyFromSeed('example.com/log', SEED);
    const id = toHex(key.keyId);
    const cases = [
      `PRIVATE+KEX+example.com/log+${id}+${toBase64(concatBytes(new Uint8Array([1]), SEED))}`,
      `PRIVATE+KEY+example.com/log+00000000+${toBase64(concatBytes(new Uint8Array([1]), SEED))}`,
      `PRIVATE+KEY+example.com/log+${id}+${toBase64(concatBytes(new Uint8Array([2]), SEED))}`,
      `PRIVATE+KEY+example.com/log+${id}+${toBase64(concatBytes(new Uint8Array([1]), SEED.subarray(1)))}`,
      `PRIVATE+KEY+example.com/log+${id.slice(1)}+${toBase64(concatBytes(new Uint8Array([1]), SEED))}`,
      `PRIVATE+KEY+example.com/log+${id}`,
      `PRIVATE+KEY+example.com/log+${id}+`,
      `PRIVATE+KEY+example.com/log+${id}+!!!!`,
      `${formatSigningKey(key)}\n`,
    ];
    for (const text of cases) expect(() => parseSigningKey(text), text).toThrow(NoteError);
    expect(toHex(parseSigningKey(formatSigningKey(key)).seed)).toBe(toHex(SEED));
  });

  it('rejects malformed verifier key texts', () => {
    const key = verifierKeyOf(signingKeyFromSeed('example.com/log', SEED));
    const text = formatVerifierKey(key);
    const [, id, b64] = text.split('+') as [string, string, string];
    const cases = [
      'example.com/log',
      `example.com/log+${id}`,
      `example.com/other+${id}+${b64}`,
      `+${id}+${b64}`,
      `example.com/log+${id}+${b64}=`,
      `example.com/log+${id}+${toBase64(concatBytes(new Uint8Array([1]), key.publicKey, new Uint8Array([0])))}`,
      ` ${text}`,
    ];
    for (const bad of cases) expect(() => parseVerifierKey(bad), bad).toThrow(NoteError);
    expect(parseVerifierKey(`example.com/log+${id.toUpperCase()}+${b64}`).name).toBe('example.com/log');
  });

  it('refuses to format keys it could not parse back', () => {
    const key = verifierKeyOf(signingKeyFromSeed('example.com/log', SEED));
    expect(() => formatVerifierKey({ ...key, name: 'a b' })).toThrow(NoteError);
    expect(() => formatVerifierKey({ ...key, keyId: new Uint8Array(3) })).toThrow(NoteError);
  });
});
