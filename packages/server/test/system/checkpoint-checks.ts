import { fromBase64, openNote, parseCheckpoint, parseVerifierKey, verifyConsistency } from '@audit-ledger/core';
import { expect } from 'vitest';
import { call, expectStatus } from './ledger-http.js';

export interface SignedCheckpoint {
  /** Which process served it, for failure messages. */
  from: string;
  note: string;
  origin: string;
  size: number;
  rootHash: Uint8Array;
}

export async function fetchVerifierKey(baseUrl: string, token: string): Promise<string> {
  const answer = await call(baseUrl, 'GET', '/v1/log/key', { token });
  expectStatus(answer, 200, 'GET /v1/log/key');
  return answer.text.trim();
}

/** Fetches the newest checkpoint and opens it with the verifier key; throws unless the signature holds. */
export async function fetchCheckpoint(
  baseUrl: string,
  token: string,
  from: string,
  verifierKey: string,
): Promise<SignedCheckpoint> {
  const answer = await call(baseUrl, 'GET', '/v1/log/checkpoint', { token });
  expectStatus(answer, 200, `GET /v1/log/checkpoint from ${from}`);
  expect(answer.contentType).toMatch(/^text\/plain/);
  const opened = openNote(answer.text, [parseVerifierKey(verifierKey)]);
  const checkpoint = parseCheckpoint(opened.text);
  return { from, note: answer.text, origin: checkpoint.origin, size: checkpoint.size, rootHash: checkpoint.rootHash };
}

/**
 * The smaller checkpoint's tree is a prefix of the larger's: equal sizes must have equal roots, otherwise the
 * consistency proof served by `proofUrl` must lead from one root to the other.
 */
export async function expectConsistent(
  proofUrl: string,
  token: string,
  a: SignedCheckpoint,
  b: SignedCheckpoint,
): Promise<void> {
  const [older, newer] = a.size <= b.size ? [a, b] : [b, a];
  const label = `${older.from} (size ${older.size}) vs ${newer.from} (size ${newer.size})`;
  if (older.size === newer.size) {
    const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
    expect(hex(older.rootHash), `roots of ${label}`).toBe(hex(newer.rootHash));
    return;
  }
  expect(older.size, `${label}: a checkpoint of the empty tree proves nothing here`).toBeGreaterThan(0);
  const path = `/v1/log/proof/consistency?first=${older.size}&second=${newer.size}`;
  const answer = await call(proofUrl, 'GET', path, { token });
  expectStatus(answer, 200, `consistency proof for ${label}`);
  const proof = answer.json as { first: number; second: number; hashes: string[] };
  expect(proof.first).toBe(older.size);
  expect(proof.second).toBe(newer.size);
  expect(() =>
    verifyConsistency(older.size, newer.size, proof.hashes.map(fromBase64), older.rootHash, newer.rootHash),
  ).not.toThrow();
}
