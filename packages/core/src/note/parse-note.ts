import { fromBase64 } from '../bytes.js';
import { NoteError } from './note-error.js';
import { decodeNote, isNoteSafe, isValidKeyName } from './note-text.js';

/** A signature line, not yet checked against any key. `signature` excludes the 4-byte key ID. */
export type NoteSignatureLine = { name: string; keyId: Uint8Array; signature: Uint8Array };

/** Well above the 16 the spec requires verifiers to accept, and the cap the Go implementation applies. */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 ';

function malformed(reason: string): NoteError {
  return new NoteError('malformed', `malformed note: ${reason}`);
}

/**
 * Splits a signed note into its text and signature lines, checking the format only. The text must not be trusted
 * before a signature over it has been verified (see openNote).
 */
export function parseUnverifiedNote(note: string | Uint8Array): { text: string; signatures: NoteSignatureLine[] } {
  const message = decodeNote(note);
  if (!isNoteSafe(message)) throw malformed('it must be UTF-8 without control characters other than newline');
  // The text may itself hold blank lines, so only the last one separates it from the signatures.
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block === '') throw malformed('no signatures');
  if (!block.endsWith('\n')) throw malformed('the last signature line does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = lines.map((line, i): NoteSignatureLine => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed(`signature line ${i + 1} does not start with an em dash`);
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) throw malformed(`signature line ${i + 1} has no signature`);
    const name = rest.slice(0, space);
    if (!isValidKeyName(name)) throw malformed(`signature line ${i + 1} has an invalid key name`);
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(rest.slice(space + 1));
    } catch {
      throw malformed(`signature line ${i + 1} is not base64`);
    }
    if (bytes.byteLength < 5) throw malformed(`signature line ${i + 1} is too short`);
    return { name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) };
  });
  return { text, signatures };
}
