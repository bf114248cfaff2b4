export { NOTE_ERROR_CODES, NoteError, type NoteErrorCode } from './note-error.js';
export { isValidKeyName } from './note-text.js';
export { keyIdOf, formatVerifierKey, parseVerifierKey, type VerifierKey } from './verifier-key.js';
export {
  formatSigningKey,
  generateSigningKey,
  parseSigningKey,
  signingKeyFromSeed,
  signingKeyWithName,
  verifierKeyOf,
  type SigningKey,
} from './signing-key.js';
export { MAX_NOTE_SIGNATURES, parseUnverifiedNote, type NoteSignatureLine } from './parse-note.js';
export { openNote, type NoteSignature, type OpenedNote } from './open-note.js';
export { signNote } from './sign-note.js';
export { formatCheckpoint, parseCheckpoint, type Checkpoint, type CheckpointInput } from './checkpoint.js';
export {
  cosignatureMessage,
  cosignerKeyFromSeed,
  cosignerKeyIdOf,
  cosignNote,
  formatCosignerKey,
  parseCosignerKey,
  verifyCosignature,
  type CosignerKey,
  type CosignerSigningKey,
} from './cosignature.js';
