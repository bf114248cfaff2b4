import { describe, expect, it } from 'vitest';
import { toBase64, toHex } from '../bytes.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { NoteError } from './note-error.js';

const ROOT = new Uint8Array(32).map((_, i) => i);
const ROOT_B64 = toBase64(ROOT);

describe('formatCheckpoint', () => {
  it('writes origin, size, root and extension lines', () => {
    expect(formatCheckpoint({ origin: 'example.com/log', size: 0, rootHash: ROOT })).toBe(
      `example.com/log\n0\n${ROOT_B64}\n`,
    );
    expect(formatCheckpoint({ origin: 'o', size: 12, rootHash: ROOT, extensions: ['ext one', 'two'] })).toBe(
      `o\n12\n${ROOT_B64}\next one\ntwo\n`,
    );
  });

  it('refuses what could not be parsed back', () => {
    const bad = [
      { origin: '', size: 1, rootHash: ROOT },
      { origin: 'a\nb', size: 1, rootHash: ROOT },
      { origin: 'a\u0007', size: 1, rootHash: ROOT },
      { origin: 'o', size: -1, rootHash: ROOT },
      { origin: 'o', size: 1.5, rootHash: ROOT },
      { origin: 'o', size: 2 ** 53, rootHash: ROOT },
      { origin: 'o', size: 1, rootHash: ROOT.subarray(1) },
      { origin: 'o', size: 1, rootHash: ROOT, extensions: [''] },
      { origin: 'o', size: 1, rootHash: ROOT, extensions: ['a\nb'] },
    ];
    for (const checkpoint of bad) expect(() => formatCheckpoint(checkpoint)).toThrow(NoteError);
  });
});

describe('parseCheckpoint', () => {
  it('round-trips what formatCheckpoint writes', () => {
    const size = Number.MAX_SAFE_INTEGER;
    const text = formatCheckpoint({ origin: 'example.com/log', size, rootHash: ROOT, extensions: ['x'] });
    const parsed = parseCheckpoint(text);
    expect(parsed.origin).toBe('example.com/log');
    expect(parsed.size).toBe(size);
    expect(toHex(parsed.rootHash)).toBe(toHex(ROOT));
    expect(parsed.extensions).toEqual(['x']);
  });

  it.each([
    ['no final newline', `o\n1\n${ROOT_B64}`],
    ['two lines', 'o\n1\n'],
    ['empty origin', `\n1\n${ROOT_B64}\n`],
    ['leading zero', `o\n01\n${ROOT_B64}\n`],
    ['sign', `o\n+1\n${ROOT_B64}\n`],
    ['negative', `o\n-1\n${ROOT_B64}\n`],
    ['space in size', `o\n 1\n${ROOT_B64}\n`],
    ['hex size', `o\n0x1\n${ROOT_B64}\n`],
    ['size beyond 2^53', `o\n9007199254740992\n${ROOT_B64}\n`],
    ['root not base64', `o\n1\n${ROOT_B64.replace('A', '*')}\n`],
    ['root without padding', `o\n1\n${ROOT_B64.replace(/=$/, '')}\n`],
    ['root of 31 bytes', `o\n1\n${toBase64(ROOT.subarray(1))}\n`],
    ['empty root', 'o\n1\n\n'],
    ['empty extension line', `o\n1\n${ROOT_B64}\n\nx\n`],
    ['trailing blank line', `o\n1\n${ROOT_B64}\n\n`],
    ['control character', `o\u0001\n1\n${ROOT_B64}\n`],
    ['carriage return', `o\r\n1\n${ROOT_B64}\n`],
  ])('rejects %s', (_, text) => {
    expect(() => parseCheckpoint(text)).toThrow(NoteError);
  });
});
