import {
  canonicalJson,
  chainHash,
  consistencyProofFromLeaves,
  formatCheckpoint,
  formatVerifierKey,
  GENESIS_CHAIN_HASH,
  hashLeaf,
  rootFromLeafHashes,
  signingKeyFromSeed,
  signNote,
  toBase64,
  toHex,
  verifierKeyOf,
  type SigningKey,
} from '@audit-ledger/core';
import { describe, expect, it } from 'vitest';
import { RemoteLogError, verifyRemoteLog } from '../../src/log/verify-remote-log.js';

const ORIGIN = 'example.com/audit-ledger/t/acme';
const TOKEN = 'a-log-read-key';
const signer = signingKeyFromSeed(ORIGIN, new Uint8Array(32).fill(7));

function leafText(seq: number, action = 'user.login'): string {
  return canonicalJson({
    id: `0190a5d0-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    tenant: 'acme',
    seq,
    received_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    occurred_at: '2026-01-01T00:00:00Z',
    action,
    actor: { id: `user-${seq % 4}`, type: 'user' },
    resource: { type: 'document', id: `doc-${seq}` },
    outcome: 'success',
    changed_fields: [],
  });
}

const leavesOf = (size: number): string[] => Array.from({ length: size }, (_, seq) => leafText(seq));
const hashesOf = (leaves: readonly string[]): Uint8Array[] => leaves.map((leaf) => hashLeaf(Buffer.from(leaf)));

function checkpointOf(leaves: readonly string[], key: SigningKey = signer, origin = ORIGIN): string {
  return signNote(formatCheckpoint({ origin, size: leaves.length, rootHash: rootFromLeafHashes(hashesOf(leaves)) }), [key]);
}

interface FakeLog {
  /** The log the service's tree, proofs and checkpoint are made of. */
  leaves: string[];
  /** What GET /v1/log/entries serves, when it differs from the tree. */
  served?: string[];
  /** Most entries one answer holds. */
  pageLimit?: number;
  key?: SigningKey;
  origin?: string;
  /** What GET /v1/log/verify answers. */
  selfCheck?: { ok: boolean; failures: { seq: number; reason: string }[] };
}

/** A log service that follows the HTTP contract, built in memory, answering through a fetch function. */
function fakeService(log: FakeLog): { fetch: typeof fetch; requests: string[] } {
  const requests: string[] = [];
  const served = log.served ?? log.leaves;
  const tree = hashesOf(log.leaves);
  const json = (body: unknown, status = 200): Response =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    requests.push(`${url.pathname}${url.search}`);
    const headers = new Headers(init?.headers);
    if (headers.get('authorization') !== `Bearer ${TOKEN}`) {
      return json({ type: 'about:blank', title: 'Unauthenticated', status: 401, detail: 'unknown API key' }, 401);
    }
    const number = (name: string): number => Number(url.searchParams.get(name));
    switch (url.pathname) {
      case '/v1/log/key':
        return new Response(`${formatVerifierKey(verifierKeyOf(log.key ?? signer))}\n`);
      case '/v1/log/checkpoint':
        return new Response(checkpointOf(log.leaves, log.key, log.origin));
      case '/v1/log/entries': {
        const start = number('start');
        const end = Math.min(number('end'), start + (log.pageLimit ?? 1000));
        const entries = [];
        for (let seq = start; seq < end && seq < served.length; seq++) {
          entries.push({ seq, leaf: Buffer.from(served[seq] as string).toString('base64') });
        }
        return json({ entries });
      }
      case '/v1/log/proof/consistency': {
        const hashes = consistencyProofFromLeaves(number('first'), number('second'), tree).map(toBase64);
        return json({ first: number('first'), second: number('second'), hashes });
      }
      case '/v1/log/verify':
        return json({ size: log.leaves.length, checked: log.leaves.length, ...(log.selfCheck ?? { ok: true, failures: [] }) });
      default:
        return json({ title: 'Not found', status: 404, detail: url.pathname }, 404);
    }
  };
  return { fetch: fetchFn as typeof fetch, requests };
}

const verify = (log: FakeLog, options: { trustedCheckpoint?: string; verifierKey?: string; token?: string } = {}) =>
  verifyRemoteLog({ url: 'http://ledger.test', token: options.token ?? TOKEN, fetch: fakeService(log).fetch, ...options });

describe('verifyRemoteLog', () => {
  it('recomputes the leaf hashes, chain and root of an intact log', async () => {
    const leaves = leavesOf(2500);
    const report = await verify({ leaves });
    let chain = GENESIS_CHAIN_HASH;
    for (const hash of hashesOf(leaves)) chain = chainHash(chain, hash);
    expect(report).toEqual({
      ok: true,
      size: 2500,
      checked: 2500,
      failures: [],
      failureCount: 0,
      origin: ORIGIN,
      verifierKey: formatVerifierKey(verifierKeyOf(signer)),
      checkpoint: checkpointOf(leaves),
      rootHash: toBase64(rootFromLeafHashes(hashesOf(leaves))),
      chainHash: toHex(chain),
    });
  });

  it('asks again when the service answers fewer entries than asked for', async () => {
    const service = fakeService({ leaves: leavesOf(40), pageLimit: 7 });
    const report = await verifyRemoteLog({ url: 'http://ledger.test/', token: TOKEN, fetch: service.fetch });
    expect(report).toMatchObject({ ok: true, checked: 40 });
    expect(service.requests.filter((request) => request.startsWith('/v1/log/entries')).length).toBe(6);
  });

  it('finds the first served leaf that the signed tree does not hold', async () => {
    for (const seq of [0, 23, 999, 1000, 1776, 2499]) {
      const leaves = leavesOf(2500);
      const served = [...leaves];
      served[seq] = leafText(seq, 'user.logout');
      const report = await verify({ leaves, served });
      const leaf = { seq, reason: 'leaf does not match the signed tree (checkpoint at size 2500)' };
      const root = { seq: 2499, reason: 'checkpoint at size 2500: root does not match the entries' };
      expect(report.failures, `altered seq ${seq}`).toEqual(seq === 2499 ? [root, leaf] : [leaf, root]);
    }
  });

  it('rejects leaves that are not canonical, out of place, or of another tenant', async () => {
    const leaves = leavesOf(10);
    const served = [...leaves];
    served[2] = JSON.stringify(JSON.parse(leaves[2] as string), null, 1);
    served[5] = leaves[6] as string;
    served[7] = (leaves[7] as string).replace('"tenant":"acme"', '"tenant":"other"');
    const report = await verify({ leaves, served });
    expect(report.failures).toEqual([
      { seq: 2, reason: 'leaf is not canonical JSON (RFC 8785)' },
      { seq: 5, reason: 'entry out of place: the sealed event has seq 6' },
      { seq: 7, reason: 'sealed event belongs to tenant other, not acme' },
      { seq: 9, reason: 'checkpoint at size 10: root does not match the entries' },
    ]);
  });

  it('reports the failures the service finds in its own store', async () => {
    const report = await verify({ leaves: leavesOf(5), selfCheck: { ok: false, failures: [{ seq: 3, reason: 'column actor_id differs from the sealed event' }] } });
    expect(report).toMatchObject({ ok: false, failures: [{ seq: 3, reason: 'service reports: column actor_id differs from the sealed event' }] });
  });

  it('trusts only the given key, named after the origin', async () => {
    const stranger = signingKeyFromSeed(ORIGIN, new Uint8Array(32).fill(9));
    const impostor = await verify({ leaves: leavesOf(5), key: stranger }, { verifierKey: formatVerifierKey(verifierKeyOf(signer)) });
    expect(impostor.failures).toEqual([
      { seq: 4, reason: 'checkpoint at size 5: signature invalid (the note has no signature from a known key)' },
    ]);
    const misnamed = signingKeyFromSeed('example.com/another-log', new Uint8Array(32).fill(7));
    const report = await verify({ leaves: leavesOf(5), key: misnamed });
    expect(report.failures).toEqual([
      { seq: 4, reason: `checkpoint at size 5: the verifier key is named example.com/another-log, but the origin is ${ORIGIN}` },
    ]);
  });

  it('detects a rollback and a fork against a trusted checkpoint', async () => {
    const leaves = leavesOf(300);
    expect(await verify({ leaves: leaves.slice(0, 200) }, { trustedCheckpoint: checkpointOf(leaves) })).toMatchObject({
      ok: false,
      failures: [{ seq: 200, reason: 'log was rolled back: trusted checkpoint has size 300, log now 200' }],
    });

    const forked = [...leaves.slice(0, 150), ...Array.from({ length: 200 }, (_, i) => leafText(150 + i, 'user.delete'))];
    const fork = await verify({ leaves: forked }, { trustedCheckpoint: checkpointOf(leaves) });
    expect(fork.failures.map((failure) => failure.seq)).toEqual([299, 299]);
    expect(fork.failures[0]?.reason).toBe(
      "trusted checkpoint at size 300: root does not match the log's entries (history was rewritten)",
    );
    expect(fork.failures[1]?.reason).toMatch(/^log does not extend the trusted checkpoint at size 300: /);

    expect(await verify({ leaves }, { trustedCheckpoint: checkpointOf(leaves.slice(0, 123)) })).toMatchObject({ ok: true });
  });

  it('throws RemoteLogError when the service cannot be asked', async () => {
    await expect(verify({ leaves: leavesOf(3) }, { token: 'wrong' })).rejects.toThrow(
      new RemoteLogError('GET /v1/log/key answered 401: unknown API key'),
    );
    const unreachable = verifyRemoteLog({ url: 'http://127.0.0.1:9', token: TOKEN });
    await expect(unreachable).rejects.toBeInstanceOf(RemoteLogError);
    await expect(unreachable).rejects.toThrow(/^cannot reach http:\/\/127\.0\.0\.1:9: /);
  });
});
