import { equalBytes, openNote, parseCheckpoint, type VerifierKey } from '@audit-ledger/core';
import type { CheckpointRecord } from '../../store/ledger-store.js';
import type { Fail, SignedRoot } from './log-replay.js';

function bySize<T extends { size: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.size - b.size);
}

/**
 * Checks each stored checkpoint's signature, origin and columns against its signed note, and returns the sizes and
 * roots of those whose signature holds, by ascending size, for the replay to compare with the tree.
 */
export function signedRootsOf(
  records: readonly CheckpointRecord[],
  keys: readonly VerifierKey[],
  origin: string,
  fail: Fail,
): SignedRoot[] {
  const signed: SignedRoot[] = [];
  for (const record of bySize(records)) {
    const label = `checkpoint at size ${record.size}`;
    const seq = Math.max(record.size - 1, 0);
    let text: string;
    try {
      text = openNote(record.note, keys).text;
    } catch (error) {
      fail(seq, `${label}: signature invalid (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    let checkpoint;
    try {
      checkpoint = parseCheckpoint(text);
    } catch (error) {
      fail(seq, `${label}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (checkpoint.origin !== origin) {
      fail(seq, `${label}: origin ${checkpoint.origin} is not the log's origin ${origin}`);
      continue;
    }
    if (checkpoint.size !== record.size) fail(seq, `${label}: the signed note says size ${checkpoint.size}`);
    if (!equalBytes(checkpoint.rootHash, record.rootHash)) fail(seq, `${label}: root_hash column differs from the signed note`);
    signed.push({ size: checkpoint.size, rootHash: checkpoint.rootHash });
  }
  return bySize(signed);
}
