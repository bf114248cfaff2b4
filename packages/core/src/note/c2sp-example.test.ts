import { describe, expect, it } from 'vitest';
import { toBase64, toHex } from '../bytes.js';
import { readConformanceJson } from '../test-support/conformance.js';
import { parseCheckpoint } from './checkpoint.js';
import { NoteError } from './note-error.js';
import { openNote } from './open-note.js';
import { parseUnverifiedNote } from './parse-note.js';
import { generateSigningKey, verifierKeyOf } from './signing-key.js';
import { parseVerifierKey } from './verifier-key.js';

type C2spExample = { vkey: string; signed_note: string; checkpoint_format_example_no_key_published: string };

const example = readConformanceJson('c2sp', 'signed_note_example.json') as C2spExample;

describe('C2SP signed-note example', () => {
  it('verifies with the published verifier key', () => {
    const key = parseVerifierKey(example.vkey);
    expect(key.name).toBe('example.com/foo');
    expect(toHex(key.keyId)).toBe('530d903a');
    const opened = openNote(example.signed_note, [key]);
    expect(opened.text).toBe('This is an example message.\n');
    expect(opened.signatures).toHaveLength(1);
    expect(opened.signatures[0]?.verified).toBe(true);
  });

  it('fails on any change to the text', () => {
    const changed = example.signed_note.replace('example message', 'example massage');
    expect(() => openNote(changed, [parseVerifierKey(example.vkey)])).toThrow(NoteError);
  });
});

describe('C2SP tlog-checkpoint example', () => {
  const note = example.checkpoint_format_example_no_key_published;

  it('parses as a checkpoint', () => {
    const { text, signatures } = parseUnverifiedNote(note);
    expect(signatures.map((signature) => signature.name)).toEqual(['example.com/behind-the-sofa']);
    const checkpoint = parseCheckpoint(text);
    expect(checkpoint.origin).toBe('example.com/behind-the-sofa');
    expect(checkpoint.size).toBe(20852163);
    expect(toBase64(checkpoint.rootHash)).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(checkpoint.extensions).toEqual([]);
  });

  it('is not trusted without its key, even by a key with the same name', () => {
    const sameName = verifierKeyOf(generateSigningKey('example.com/behind-the-sofa'));
    expect(() => openNote(note, [])).toThrow(NoteError);
    expect(() => openNote(note, [sameName])).toThrow(/no signature from a known key/);
  });
});
