import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, utf8 } from '../bytes.js';
import { readConformanceJson } from '../test-support/conformance.js';
import { NoteError, type NoteErrorCode } from './note-error.js';
import { openNote } from './open-note.js';
import { MAX_NOTE_SIGNATURES, parseUnverifiedNote } from './parse-note.js';
import { signNote } from './sign-note.js';
import { generateSigningKey, parseSigningKey, verifierKeyOf } from './signing-key.js';
import { parseVerifierKey, type VerifierKey } from './verifier-key.js';

type SumdbVectors = {
  ed25519_keys: Array<{ name: string; vkey: string; skey?: string }>;
  note_text: string;
  signed_note_single: string;
  signed_note_double: string;
  malformed_note_rules_from_TestOpen: string[];
};

const vectors = readConformanceJson('golang-mod-sumdb', 'note_vectors.json') as SumdbVectors;
const peterVkey = vectors.ed25519_keys[0]?.vkey ?? '';
const enochVkey = vectors.ed25519_keys[1]?.vkey ?? '';
const PETER = parseVerifierKey(peterVkey);
const ENOCH = parseVerifierKey(enochVkey);
const SINGLE = vectors.signed_note_single;
const TEXT = vectors.note_text;
const SIGNATURE_LINE = SINGLE.slice(TEXT.length + 1);

function codeOf(open: () => unknown): NoteErrorCode | 'none' {
  try {
    open();
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
  return 'none';
}

function withFlippedSignature(note: string): string {
  const line = note.slice(note.lastIndexOf('\u2014 '));
  const [prefix, name, b64] = line.trimEnd().split(' ') as [string, string, string];
  const bytes = fromBase64(b64);
  bytes[10] = (bytes[10] ?? 0) ^ 0x01;
  return `${note.slice(0, note.length - line.length)}${prefix} ${name} ${toBase64(bytes)}\n`;
}

// One case per rule that the Go note package's TestOpen checks; each must produce the given error.
const RULE_CASES: Record<string, { note: string | Uint8Array; verifiers: VerifierKey[]; code: NoteErrorCode }> = {
  'text only, no blank line + signatures': { note: TEXT, verifiers: [PETER], code: 'malformed' },
  "text + '\\n' with no signature lines": { note: `${TEXT}\n`, verifiers: [PETER], code: 'malformed' },
  'last signature line missing trailing newline': { note: SINGLE.slice(0, -1), verifiers: [PETER], code: 'malformed' },
  'control char (0x01) in note': {
    note: SINGLE.replace('cryptography', 'crypto\u0001graphy'),
    verifiers: [PETER],
    code: 'malformed',
  },
  'invalid UTF-8 (0xff)': {
    note: new Uint8Array([...utf8.encode(TEXT.slice(0, 5)), 0xff, ...utf8.encode(SINGLE.slice(5))]),
    verifiers: [PETER],
    code: 'malformed',
  },
  'signature key name containing a space': {
    note: SINGLE.replace('\u2014 PeterNeumann', '\u2014 Peter\u00a0Neumann'),
    verifiers: [PETER],
    code: 'malformed',
  },
  'non-signature line after signatures': { note: `${SINGLE}hello\n`, verifiers: [PETER], code: 'malformed' },
  '>100 signature lines => malformed': {
    note: `${TEXT}\n${SIGNATURE_LINE.repeat(MAX_NOTE_SIGNATURES + 1)}`,
    verifiers: [PETER],
    code: 'malformed',
  },
  'known key (name+id) with bad signature => reject whole note': {
    note: withFlippedSignature(SINGLE),
    verifiers: [PETER],
    code: 'invalid-signature',
  },
  'no signature from a known key => UnverifiedNoteError': { note: SINGLE, verifiers: [ENOCH], code: 'unverified' },
};

describe('openNote', () => {
  it.each(vectors.malformed_note_rules_from_TestOpen)('enforces: %s', (rule) => {
    const testCase = RULE_CASES[rule];
    expect(testCase, `no case for rule ${rule}`).toBeDefined();
    if (testCase === undefined) return;
    expect(codeOf(() => openNote(testCase.note, testCase.verifiers))).toBe(testCase.code);
  });

  it('covers exactly the rules listed in the vectors', () => {
    expect(Object.keys(RULE_CASES).sort()).toEqual([...vectors.malformed_note_rules_from_TestOpen].sort());
  });

  it('accepts the largest allowed number of signatures', () => {
    const note = `${TEXT}\n${SIGNATURE_LINE.repeat(MAX_NOTE_SIGNATURES)}`;
    expect(openNote(note, [PETER]).signatures).toHaveLength(MAX_NOTE_SIGNATURES);
  });

  it('rejects other malformed signature lines', () => {
    const cases = [
      SINGLE.replace('\u2014 ', '- '),
      SINGLE.replace('\u2014 PeterNeumann ', '\u2014 PeterNeumann'),
      SINGLE.replace('\u2014 PeterNeumann ', '\u2014  '),
      SINGLE.replace('\u2014 PeterNeumann ', '\u2014 Peter+Neumann '),
      SINGLE.replace('\u2014 PeterNeumann ', '\u2014 Peter Neumann '),
      SINGLE.replace(/ [A-Za-z0-9+/=]+\n$/, ' AAAAAA==\n'),
      SINGLE.replace(/=\n$/, '\n'),
      SINGLE.replace(/\n$/, ' \n'),
      `\ud800${SINGLE}`,
    ];
    for (const note of cases) expect(codeOf(() => openNote(note, [PETER]))).toBe('malformed');
  });

  it('ignores signatures of keys matching only by name or only by key ID', () => {
    const sameNameOtherId = { ...PETER, keyId: ENOCH.keyId };
    const sameIdOtherName = { ...PETER, name: 'PeterNeumann2' };
    expect(codeOf(() => openNote(SINGLE, [sameNameOtherId, sameIdOtherName]))).toBe('unverified');
  });

  it('rejects a note signed by a known key whose public key differs', () => {
    const impostor = { ...PETER, publicKey: ENOCH.publicKey };
    expect(codeOf(() => openNote(SINGLE, [impostor]))).toBe('invalid-signature');
  });

  it('refuses to choose between two keys with the same name and ID', () => {
    const impostor = { ...PETER, publicKey: ENOCH.publicKey };
    expect(codeOf(() => openNote(SINGLE, [PETER, impostor]))).toBe('ambiguous-key');
  });

  it('rejects the whole note when any known signature fails, even if another verifies', () => {
    const note = withFlippedSignature(vectors.signed_note_double);
    expect(codeOf(() => openNote(note, [PETER]))).toBe('none');
    expect(codeOf(() => openNote(note, [PETER, ENOCH]))).toBe('invalid-signature');
  });

  it('rejects a changed text', () => {
    expect(codeOf(() => openNote(SINGLE.replace('answer', 'Answer'), [PETER]))).toBe('invalid-signature');
    // An extra blank line before the signatures becomes part of the text, which then no longer matches.
    expect(codeOf(() => openNote(SINGLE.replace('\n\u2014', '\n\n\u2014'), [PETER]))).toBe('invalid-signature');
  });

  it('keeps blank lines that belong to the text', () => {
    const key = generateSigningKey('example.com/blank-lines');
    for (const text of ['a\n\nb\n', 'a\n\n', '\n', 'a\n\u2014 b c\n']) {
      const opened = openNote(signNote(text, [key]), [verifierKeyOf(key)]);
      expect(opened.text).toBe(text);
      expect(parseUnverifiedNote(signNote(text, [key])).text).toBe(text);
    }
  });

  it('returns the key ID and signature bytes of each line', () => {
    const { signatures } = parseUnverifiedNote(SINGLE);
    const raw = fromBase64(SIGNATURE_LINE.trimEnd().split(' ')[2] ?? '');
    expect(signatures).toHaveLength(1);
    expect(signatures[0]?.keyId).toEqual(raw.subarray(0, 4));
    expect(signatures[0]?.signature).toEqual(raw.subarray(4));
    expect(signatures[0]?.signature.byteLength).toBe(64);
  });
});

describe('signNote', () => {
  const key = parseSigningKey(vectors.ed25519_keys[0]?.skey ?? '');

  it('refuses text that is not a valid note text', () => {
    expect(codeOf(() => signNote('no newline', [key]))).toBe('malformed');
    expect(codeOf(() => signNote('', [key]))).toBe('malformed');
    expect(codeOf(() => signNote('tab\there\n', [key]))).toBe('malformed');
    expect(codeOf(() => signNote('lone \udc00\n', [key]))).toBe('malformed');
    expect(codeOf(() => signNote(TEXT, []))).toBe('malformed');
  });
});
