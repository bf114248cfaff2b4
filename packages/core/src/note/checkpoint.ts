import { fromBase64, toBase64 } from '../bytes.js';
import { HASH_SIZE } from '../merkle/hash.js';
import { NoteError } from './note-error.js';
import { isNoteSafe } from './note-text.js';

/** The body of a C2SP tlog-checkpoint: a log's identity and its Merkle tree head at one size. */
export type Checkpoint = { origin: string; size: number; rootHash: Uint8Array; extensions: string[] };

export type CheckpointInput = { origin: string; size: number; rootHash: Uint8Array; extensions?: readonly string[] };

const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;

function malformed(reason: string): NoteError {
  return new NoteError('malformed', `malformed checkpoint: ${reason}`);
}

function isLine(line: string): boolean {
  return line.length > 0 && !line.includes('\n') && isNoteSafe(line);
}

/** `<origin>\n<size>\n<base64 root>\n` followed by any extension lines: the note text to sign. */
export function formatCheckpoint(checkpoint: CheckpointInput): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (!isLine(origin)) throw malformed('the origin must be one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw malformed(`invalid tree size ${size}`);
  if (rootHash.byteLength !== HASH_SIZE) throw malformed(`the root hash must be ${HASH_SIZE} bytes`);
  if (!extensions.every(isLine)) throw malformed('extension lines must be non-empty single lines');
  return [origin, String(size), toBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

/** Parses checkpoint note text (the text of a verified note, without signatures), strictly. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!isNoteSafe(text)) throw malformed('it must be UTF-8 without control characters other than newline');
  if (!text.endsWith('\n')) throw malformed('it must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    throw malformed('fewer than three lines');
  }
  if (origin === '') throw malformed('empty origin');
  if (!TREE_SIZE.test(sizeText)) {
    throw malformed(`tree size ${JSON.stringify(sizeText)} is not a decimal without leading zeros`);
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed(`tree size ${sizeText} is too large`);
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(rootText);
  } catch {
    throw malformed('the root hash is not base64');
  }
  if (rootHash.byteLength !== HASH_SIZE) throw malformed(`the root hash must be ${HASH_SIZE} bytes`);
  if (extensions.some((line) => line === '')) throw malformed('empty extension line');
  return { origin, size, rootHash, extensions };
}
