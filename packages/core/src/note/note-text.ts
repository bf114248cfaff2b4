import { NoteError } from './note-error.js';

// C2SP signed-note: notes are valid UTF-8 without ASCII control characters other than newline, and key names are
// non-empty with no Unicode spaces and no plus (the separator of the key encodings).

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000B-\u001F]/;
const INVALID_NAME_CHAR = /[\p{White_Space}+\u0000-\u001F]/u;

/** True when the string encodes as UTF-8 and holds no control character but newline. */
export function isNoteSafe(text: string): boolean {
  return !LONE_SURROGATE.test(text) && !CONTROL_EXCEPT_NEWLINE.test(text);
}

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !LONE_SURROGATE.test(name) && !INVALID_NAME_CHAR.test(name);
}

export function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    const reason = 'it must be non-empty, without spaces or "+"';
    throw new NoteError('malformed', `invalid key name ${JSON.stringify(name)}: ${reason}`);
  }
}

/** Note text: non-empty, ending in a newline, safe to sign. */
export function assertNoteText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteError('malformed', 'note text must end with a newline');
  if (!isNoteSafe(text)) throw new NoteError('malformed', 'note text must be UTF-8 without control characters');
}

/** Decodes note bytes, refusing invalid UTF-8 instead of replacing it. */
export function decodeNote(note: string | Uint8Array): string {
  if (typeof note === 'string') return note;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
  } catch {
    throw new NoteError('malformed', 'note is not valid UTF-8');
  }
}
