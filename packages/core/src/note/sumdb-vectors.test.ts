import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../bytes.js';
import { hashLeaf } from '../merkle/hash.js';
import { readConformanceJson } from '../test-support/conformance.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { NoteError } from './note-error.js';
import { openNote } from './open-note.js';
import { signNote } from './sign-note.js';
import { formatSigningKey, parseSigningKey, signingKeyFromSeed, verifierKeyOf } from './signing-key.js';
import { formatVerifierKey, keyIdOf, parseVerifierKey } from './verifier-key.js';

type SumdbVectors = {
  ed25519_keys: Array<{ name: string; vkey: string; skey?: string }>;
  note_text: string;
  signed_note_single: string;
  signed_note_double: string;
  bad_vkeys_must_reject: Array<{ vkey: string; why: string }>;
  tlog_FormatTree_golden: { N: number; text: string };
};

const vectors = readConformanceJson('golang-mod-sumdb', 'note_vectors.json') as SumdbVectors;
const [peterEntry, enochEntry] = vectors.ed25519_keys;
if (peterEntry?.skey === undefined || enochEntry === undefined) throw new Error('unexpected note_vectors.json shape');
const peter = parseSigningKey(peterEntry.skey);
// The Go example derives EnochRoot from an all-zero random reader: its seed is 32 zero bytes.
const enoch = signingKeyFromSeed(enochEntry.name, new Uint8Array(32));

describe('golang.org/x/mod sumdb note vectors', () => {
  it('round-trips the PeterNeumann signer and verifier keys', () => {
    expect(peter.name).toBe('PeterNeumann');
    expect(toHex(peter.keyId)).toBe('c74f20a3');
    expect(formatSigningKey(peter)).toBe(peterEntry.skey);
    expect(formatVerifierKey(verifierKeyOf(peter))).toBe(peterEntry.vkey);
    const verifier = parseVerifierKey(peterEntry.vkey);
    expect(formatVerifierKey(verifier)).toBe(peterEntry.vkey);
    expect(toHex(keyIdOf(verifier.name, verifier.publicKey))).toBe('c74f20a3');
  });

  it('derives the EnochRoot verifier key from the zero seed', () => {
    expect(formatVerifierKey(verifierKeyOf(enoch))).toBe(enochEntry.vkey);
    expect(toHex(parseVerifierKey(enochEntry.vkey).publicKey)).toBe(toHex(enoch.publicKey));
  });

  it('reproduces the golden signatures byte for byte', () => {
    expect(signNote(vectors.note_text, [peter])).toBe(vectors.signed_note_single);
    expect(signNote(vectors.note_text, [peter, enoch])).toBe(vectors.signed_note_double);
  });

  it('opens the single-signature note with the PeterNeumann key', () => {
    const opened = openNote(vectors.signed_note_single, [parseVerifierKey(peterEntry.vkey)]);
    expect(opened.text).toBe(vectors.note_text);
    expect(opened.signatures.map(({ name, verified }) => ({ name, verified }))).toEqual([
      { name: 'PeterNeumann', verified: true },
    ]);
    expect(toHex(opened.signatures[0]?.keyId ?? new Uint8Array())).toBe('c74f20a3');
  });

  it('opens the double-signature note with either key, leaving the other unverified', () => {
    const peterVerifier = parseVerifierKey(peterEntry.vkey);
    const enochVerifier = parseVerifierKey(enochEntry.vkey);
    const verifiedBy = (keys: Parameters<typeof openNote>[1]): boolean[] =>
      openNote(vectors.signed_note_double, keys).signatures.map((signature) => signature.verified);
    expect(verifiedBy([peterVerifier])).toEqual([true, false]);
    expect(verifiedBy([enochVerifier])).toEqual([false, true]);
    expect(verifiedBy([enochVerifier, peterVerifier])).toEqual([true, true]);
  });

  it('opens the note given as bytes', () => {
    const opened = openNote(utf8.encode(vectors.signed_note_double), [parseVerifierKey(enochEntry.vkey)]);
    expect(opened.text).toBe(vectors.note_text);
  });

  it.each(vectors.bad_vkeys_must_reject)('rejects the verifier key $vkey ($why)', ({ vkey }) => {
    expect(() => parseVerifierKey(vkey)).toThrow(NoteError);
  });

  it('formats the tlog tree golden checkpoint text', () => {
    const golden = vectors.tlog_FormatTree_golden;
    const rootHash = hashLeaf(utf8.encode('hello world'));
    const text = formatCheckpoint({ origin: 'go.sum database tree', size: golden.N, rootHash });
    expect(text).toBe(golden.text);
    const parsed = parseCheckpoint(golden.text);
    expect(parsed).toMatchObject({ origin: 'go.sum database tree', size: 123456789012, extensions: [] });
    expect(toHex(parsed.rootHash)).toBe(toHex(rootHash));
  });
});
