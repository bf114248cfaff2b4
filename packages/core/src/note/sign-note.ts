import { concatBytes, toBase64, utf8 } from '../bytes.js';
import { ed25519Sign } from './ed25519.js';
import { NoteError } from './note-error.js';
import { assertKeyName, assertNoteText } from './note-text.js';
import type { SigningKey } from './signing-key.js';

/** One signature line: em dash, space, key name, space, base64(key ID || signature), newline. */
export function signatureLine(name: string, keyId: Uint8Array, signature: Uint8Array): string {
  assertKeyName(name);
  if (keyId.byteLength !== 4) throw new NoteError('malformed', 'key ID must be 4 bytes');
  return `\u2014 ${name} ${toBase64(concatBytes(keyId, signature))}\n`;
}

/** Signs `text` (which must end in a newline) with every key, in order, as a C2SP signed note. */
export function signNote(text: string, keys: readonly SigningKey[]): string {
  assertNoteText(text);
  if (keys.length === 0) throw new NoteError('malformed', 'a note needs at least one signature');
  const message = utf8.encode(text);
  const lines = keys.map((key) => signatureLine(key.name, key.keyId, ed25519Sign(key.seed, message)));
  return `${text}\n${lines.join('')}`;
}
