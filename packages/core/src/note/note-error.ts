export const NOTE_ERROR_CODES = {
  /** The note, key or checkpoint text does not follow its format. */
  MALFORMED: 'malformed',
  /** A signature from a known key does not verify: the whole note is rejected. */
  INVALID_SIGNATURE: 'invalid-signature',
  /** No signature from a known key: the note's text must not be trusted. */
  UNVERIFIED: 'unverified',
  /** Two different public keys were given for the same key name and ID. */
  AMBIGUOUS_KEY: 'ambiguous-key',
} as const;

export type NoteErrorCode = (typeof NOTE_ERROR_CODES)[keyof typeof NOTE_ERROR_CODES];

export class NoteError extends Error {
  override readonly name = 'NoteError';

  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
  }
}
