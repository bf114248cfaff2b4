import { equalBytes, toHex, utf8 } from '../bytes.js';
import { ed25519Verify } from './ed25519.js';
import { NoteError } from './note-error.js';
import { parseUnverifiedNote, type NoteSignatureLine } from './parse-note.js';
import type { VerifierKey } from './verifier-key.js';

export type NoteSignature = NoteSignatureLine & { verified: boolean };

export type OpenedNote = { text: string; signatures: NoteSignature[] };

function knownKeyFor(signature: NoteSignatureLine, verifiers: readonly VerifierKey[]): VerifierKey | undefined {
  const matches = verifiers.filter((key) => key.name === signature.name && equalBytes(key.keyId, signature.keyId));
  const [known] = matches;
  if (known !== undefined && matches.some((key) => !equalBytes(key.publicKey, known.publicKey))) {
    throw new NoteError('ambiguous-key', `several keys named ${signature.name} with ID ${toHex(signature.keyId)}`);
  }
  return known;
}

/**
 * Parses a signed note and verifies the signatures of known keys (matched by name and key ID). Signatures of unknown
 * keys are returned unverified; a failing signature of a known key, or no verified one at all, rejects the note.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly VerifierKey[]): OpenedNote {
  const { text, signatures } = parseUnverifiedNote(note);
  const message = utf8.encode(text);
  const checked = signatures.map((line): NoteSignature => {
    const key = knownKeyFor(line, verifiers);
    if (key === undefined) return { ...line, verified: false };
    if (!ed25519Verify(key.publicKey, message, line.signature)) {
      throw new NoteError('invalid-signature', `the signature of ${line.name} (${toHex(line.keyId)}) does not verify`);
    }
    return { ...line, verified: true };
  });
  if (!checked.some((signature) => signature.verified)) {
    throw new NoteError('unverified', 'the note has no signature from a known key');
  }
  return { text, signatures: checked };
}
