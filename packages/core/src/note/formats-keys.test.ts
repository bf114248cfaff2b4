import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { readConformanceJson } from '../test-support/conformance.js';
import { formatCheckpoint } from './checkpoint.js';
import { NoteError } from './note-error.js';
import { openNote } from './open-note.js';
import { signNote } from './sign-note.js';
import { formatSigningKey, parseSigningKey, verifierKeyOf } from './signing-key.js';
import { formatVerifierKey, parseVerifierKey } from './verifier-key.js';

type FormatsKeys = { keypairs: Array<{ vkey: string; skey: string }> };

const { keypairs } = readConformanceJson('transparency-dev-formats', 'note_test_keys.json') as FormatsKeys;
const byName = new Map(keypairs.map((pair) => [parseVerifierKey(pair.vkey).name, pair]));

function pair(name: string): { vkey: string; skey: string } {
  const found = byName.get(name);
  if (found === undefined) throw new Error(`no key pair named ${name}`);
  return found;
}

const checkpoint = formatCheckpoint({ origin: 'Log', size: 42, rootHash: new Uint8Array(32).fill(7) });

describe('transparency-dev/formats note test keys', () => {
  it('has the four key pairs', () => {
    expect([...byName.keys()].sort()).toEqual(['Known', 'KnownAgain', 'Log', 'Unknown']);
  });

  it.each(keypairs)('$vkey: signer and verifier keys agree and round-trip', ({ vkey, skey }) => {
    const signer = parseSigningKey(skey);
    const verifier = parseVerifierKey(vkey);
    expect(formatSigningKey(signer)).toBe(skey);
    expect(formatVerifierKey(verifier)).toBe(vkey);
    expect(formatVerifierKey(verifierKeyOf(signer))).toBe(vkey);
    expect(toHex(signer.keyId)).toBe(vkey.split('+')[1]);
    const opened = openNote(signNote(checkpoint, [signer]), [verifier]);
    expect(opened.text).toBe(checkpoint);
  });

  it('opens a note signed by several keys with any one known key, ignoring the unknown ones', () => {
    const signers = ['Log', 'Known', 'Unknown'].map((name) => parseSigningKey(pair(name).skey));
    const note = signNote(checkpoint, signers);
    const opened = openNote(note, [parseVerifierKey(pair('Known').vkey), parseVerifierKey(pair('KnownAgain').vkey)]);
    expect(opened.signatures.map((signature) => [signature.name, signature.verified])).toEqual([
      ['Log', false],
      ['Known', true],
      ['Unknown', false],
    ]);
  });

  it('refuses a note signed only by keys it does not know', () => {
    const note = signNote(checkpoint, [parseSigningKey(pair('Unknown').skey)]);
    const known = ['Log', 'Known', 'KnownAgain'].map((name) => parseVerifierKey(pair(name).vkey));
    expect(() => openNote(note, known)).toThrow(NoteError);
    expect(() => openNote(note, known)).toThrow(/no signature from a known key/);
  });
});
