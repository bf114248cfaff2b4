import { describe, expect, it } from 'vitest';
import { fromBase64, fromHex, toHex } from '../bytes.js';
import { readConformanceJson } from '../test-support/conformance.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import {
  cosignatureMessage,
  cosignerKeyFromSeed,
  cosignNote,
  formatCosignerKey,
  parseCosignerKey,
  verifyCosignature,
} from './cosignature.js';
import { NoteError } from './note-error.js';
import { openNote } from './open-note.js';
import { signNote } from './sign-note.js';
import {
  formatSigningKey,
  parseSigningKey,
  signingKeyFromSeed,
  signingKeyWithName,
  verifierKeyOf,
} from './signing-key.js';
import { formatVerifierKey, parseVerifierKey } from './verifier-key.js';

type Derived = {
  log_seed_hex: string;
  log_skey: string;
  log_vkey: string;
  log_key_id_hex: string;
  checkpoint_text: string;
  signed_checkpoint: string;
  witness_seed_hex: string;
  witness_vkey_cosig_v1: string;
  cosignature_timestamp: number;
  cosignature_signed_message: string;
  cosigned_checkpoint: string;
};

type ReferenceTree = { root_hashes_by_tree_size_hex: Record<string, string> };

const derived = readConformanceJson('derived', 'signed_checkpoint_and_cosignature.json') as Derived;
const reference = readConformanceJson('transparency-dev-merkle', 'rfc6962_reference_tree.json') as ReferenceTree;
const ORIGIN = 'example.com/audit/tenant-a';
const ROOT_8 = fromHex(reference.root_hashes_by_tree_size_hex['8'] ?? '');
const logKey = parseSigningKey(derived.log_skey);
const witness = cosignerKeyFromSeed('witness.example/w1', fromHex(derived.witness_seed_hex));

describe('derived signed checkpoint', () => {
  it('parses the log key', () => {
    expect(toHex(logKey.seed)).toBe(derived.log_seed_hex);
    expect(toHex(logKey.keyId)).toBe(derived.log_key_id_hex);
    expect(logKey.name).toBe(ORIGIN);
    expect(formatVerifierKey(verifierKeyOf(logKey))).toBe(derived.log_vkey);
    expect(formatSigningKey(logKey)).toBe(derived.log_skey);
  });

  it('formats the checkpoint of the size-8 reference tree', () => {
    expect(formatCheckpoint({ origin: ORIGIN, size: 8, rootHash: ROOT_8 })).toBe(derived.checkpoint_text);
  });

  it('signs it byte for byte, also when the key is renamed to the origin', () => {
    expect(signNote(derived.checkpoint_text, [logKey])).toBe(derived.signed_checkpoint);
    const serviceKey = signingKeyFromSeed('audit-ledger', fromHex(derived.log_seed_hex));
    const renamed = signingKeyWithName(serviceKey, ORIGIN);
    expect(toHex(renamed.keyId)).toBe(derived.log_key_id_hex);
    expect(toHex(renamed.publicKey)).toBe(toHex(serviceKey.publicKey));
    expect(toHex(serviceKey.keyId)).not.toBe(derived.log_key_id_hex);
    expect(signNote(derived.checkpoint_text, [renamed])).toBe(derived.signed_checkpoint);
  });

  it('opens and parses it with the log verifier key', () => {
    const opened = openNote(derived.signed_checkpoint, [parseVerifierKey(derived.log_vkey)]);
    const checkpoint = parseCheckpoint(opened.text);
    expect(checkpoint.origin).toBe(ORIGIN);
    expect(checkpoint.size).toBe(8);
    expect(toHex(checkpoint.rootHash)).toBe(toHex(ROOT_8));
  });
});

describe('derived cosignature/v1', () => {
  it('derives the witness key', () => {
    expect(formatCosignerKey(witness)).toBe(derived.witness_vkey_cosig_v1);
    const parsed = parseCosignerKey(derived.witness_vkey_cosig_v1);
    expect(toHex(parsed.publicKey)).toBe(toHex(witness.publicKey));
    expect(toHex(parsed.keyId)).toBe(toHex(witness.keyId));
  });

  it('is not a note verifier key, and a note key is not a cosigner key', () => {
    expect(() => parseVerifierKey(derived.witness_vkey_cosig_v1)).toThrow(NoteError);
    expect(() => parseCosignerKey(derived.log_vkey)).toThrow(NoteError);
  });

  it('signs the documented message', () => {
    expect(cosignatureMessage(derived.checkpoint_text, derived.cosignature_timestamp)).toBe(
      derived.cosignature_signed_message,
    );
  });

  it('reproduces the cosigned checkpoint byte for byte', () => {
    expect(cosignNote(derived.signed_checkpoint, witness, derived.cosignature_timestamp)).toBe(
      derived.cosigned_checkpoint,
    );
  });

  it('still opens with the log key alone, the cosignature being an unknown signature', () => {
    const opened = openNote(derived.cosigned_checkpoint, [parseVerifierKey(derived.log_vkey)]);
    expect(opened.signatures.map((signature) => [signature.name, signature.verified])).toEqual([
      [ORIGIN, true],
      ['witness.example/w1', false],
    ]);
  });

  it('verifies the cosignature and returns its timestamp', () => {
    const opened = openNote(derived.cosigned_checkpoint, [parseVerifierKey(derived.log_vkey)]);
    const line = opened.signatures[1];
    if (line === undefined) throw new Error('missing cosignature line');
    const cosigner = parseCosignerKey(derived.witness_vkey_cosig_v1);
    expect(toHex(line.keyId)).toBe(toHex(cosigner.keyId));
    expect(verifyCosignature(opened.text, line.signature, cosigner)).toBe(derived.cosignature_timestamp);
  });

  it('rejects a cosignature with a changed timestamp, text or length', () => {
    const opened = openNote(derived.cosigned_checkpoint, [parseVerifierKey(derived.log_vkey)]);
    const signature = opened.signatures[1]?.signature ?? new Uint8Array();
    const laterStamp = new Uint8Array(signature);
    laterStamp[7] = (laterStamp[7] ?? 0) + 1;
    expect(() => verifyCosignature(opened.text, laterStamp, witness)).toThrow(/does not verify/);
    expect(() => verifyCosignature(opened.text.replace('8', '9'), signature, witness)).toThrow(/does not verify/);
    expect(() => verifyCosignature(opened.text, signature.subarray(8), witness)).toThrow(NoteError);
    const line = derived.cosigned_checkpoint.trimEnd().split('\n').pop() ?? '';
    expect(fromBase64(line.split(' ')[2] ?? '').byteLength).toBe(4 + 8 + 64);
  });
});
