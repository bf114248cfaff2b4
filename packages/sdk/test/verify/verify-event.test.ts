import {
  formatVerifierKey,
  fromBase64,
  generateSigningKey,
  signingKeyWithName,
  toBase64,
  verifierKeyOf,
  verifyConsistency,
} from '@audit-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditServiceError,
  AuditVerificationError,
  createAuditClient,
  type AuditClient,
  type VerificationFailure,
} from '../../src/index.js';
import { startFlakyProxy, type FlakyProxy } from '../support/flaky-proxy.js';
import { sampleEvent, startLiveService, type LiveService } from '../support/live-service.js';

const TENANT = 'verify-sdk';
let service: LiveService;
let proxy: FlakyProxy;
let key: string;
let client: AuditClient;
let ids: string[];

beforeAll(async () => {
  service = await startLiveService();
  proxy = await startFlakyProxy(service.url);
  key = await service.tenantWithKey(TENANT);
  client = createAuditClient({ url: service.url, apiKey: key, flushOnExit: false });
  ids = Array.from({ length: 25 }, (_, n) => client.record(sampleEvent(n)));
  await client.flush();
});

afterAll(async () => {
  await client.close();
  await proxy.close();
  await service.close();
});

/** A client that reads through the proxy, which alters answers of one route. */
function tamperingClient(path: string, rewrite: (body: string) => string): AuditClient {
  proxy.setPlan((request) =>
    request.path.startsWith(path) ? { kind: 'rewrite', body: rewrite } : { kind: 'pass' },
  );
  return createAuditClient({ url: proxy.url, apiKey: key, flushOnExit: false });
}

async function expectFailure(promise: Promise<unknown>, reason: VerificationFailure): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuditVerificationError);
  expect((error as AuditVerificationError).reason).toBe(reason);
}

function flipFirstByte(base64: string): string {
  const bytes = fromBase64(base64);
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return toBase64(bytes);
}

describe('verifyEvent', () => {
  it('proves an event is in the signed log', async () => {
    const id = ids[7] as string;
    const result = await client.verifyEvent(id);
    const { seq } = await client.events.get(id);
    expect(result).toMatchObject({ id, seq, tenant: TENANT });
    expect(result.checkpoint.size).toBeGreaterThan(seq);
    expect(result.checkpoint.origin).toBe(`localhost/audit-ledger/t/${TENANT}`);
    expect(result.leafHash).toBe(result.event.leaf_hash);
    expect(result.proof.length).toBeGreaterThan(0);
  });

  it('passes with the right key pinned and for a reader who sees personal data masked', async () => {
    const pinned = service.ctx.verifierKey(TENANT);
    const readerKey = (await fetch(`${service.url}/v1/tenants/${TENANT}/api-keys`, {
      method: 'POST',
      headers: { authorization: 'Bearer alo_sdk-tests-operator-token', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader', scopes: ['events:read', 'log:read'] }),
    }).then((response) => response.json())) as { key: string };
    const reader = createAuditClient({ url: service.url, apiKey: readerKey.key, verifierKey: pinned, flushOnExit: false });
    const result = await reader.verifyEvent(ids[3] as string);
    expect(result.personalDataChecked).toBe(false);
    expect(result.event.actor.name).toBe('[masked]');
    expect(result.checkpoint.verifierKey).toBe(pinned);
    await reader.close();
  });

  it('waits for a checkpoint that covers a just-written event', async () => {
    const id = client.record(sampleEvent(100));
    await client.flush();
    const result = await client.verifyEvent(id);
    expect(result.checkpoint.size).toBeGreaterThan(result.seq);
  });

  it('fails when the pinned key is not the one that signed the log', async () => {
    const origin = `localhost/audit-ledger/t/${TENANT}`;
    const impostor = formatVerifierKey(verifierKeyOf(signingKeyWithName(generateSigningKey('x'), origin)));
    await expectFailure(client.verifyEvent(ids[1] as string, { verifierKey: impostor }), 'checkpoint-signature');
  });

  it("fails when the key is another tenant's (another log's origin)", async () => {
    await service.tenantWithKey('verify-other');
    const otherKey = service.ctx.verifierKey('verify-other');
    await expectFailure(client.verifyEvent(ids[1] as string, { verifierKey: otherKey }), 'checkpoint-signature');
  });

  it('fails when the inclusion proof is altered on the way', async () => {
    const tampered = tamperingClient('/v1/log/proof/inclusion', (body) => {
      const proof = JSON.parse(body) as { hashes: string[] };
      proof.hashes[0] = flipFirstByte(proof.hashes[0] as string);
      return JSON.stringify(proof);
    });
    await expectFailure(tampered.verifyEvent(ids[5] as string), 'inclusion-proof');
    await tampered.close();
  });

  it('fails when the checkpoint root is altered (the signature no longer matches)', async () => {
    const tampered = tamperingClient('/v1/log/checkpoint', (note) => {
      const lines = note.split('\n');
      lines[2] = flipFirstByte(lines[2] as string);
      return lines.join('\n');
    });
    await expectFailure(tampered.verifyEvent(ids[5] as string), 'checkpoint-signature');
    await tampered.close();
  });

  it('fails when the leaf is altered', async () => {
    const tampered = tamperingClient('/v1/log/entries', (body) => {
      const page = JSON.parse(body) as { entries: { leaf: string }[] };
      const leaf = Buffer.from(page.entries[0]?.leaf ?? '', 'base64').toString('utf8').replace('inv-', 'INV-');
      (page.entries[0] as { leaf: string }).leaf = Buffer.from(leaf).toString('base64');
      return JSON.stringify(page);
    });
    await expectFailure(tampered.verifyEvent(ids[5] as string), 'leaf-mismatch');
    await tampered.close();
  });

  it('fails when the event as served says something its leaf does not', async () => {
    const tampered = tamperingClient('/v1/events/', (body) => body.replace('"outcome":"success"', '"outcome":"denied"'));
    await expectFailure(tampered.verifyEvent(ids[5] as string), 'content-mismatch');
    await tampered.close();
  });

  it('throws AuditServiceError with the problem document for an unknown id', async () => {
    const error = await client.verifyEvent('0190a4c2-0000-7000-8000-000000000000').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditServiceError);
    expect((error as AuditServiceError).status).toBe(404);
    expect((error as AuditServiceError).problem).toMatchObject({ status: 404, title: 'Not found' });
  });
});

describe('query helpers', () => {
  it('pages through events with cursors, newest first, never repeating one', async () => {
    const pages = [];
    for await (const page of client.events.list({ action: 'invoice.*', limit: 10 })) pages.push(page);
    const seen = pages.flatMap((page) => page.events.map((event) => event.id));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.at(-1)?.nextCursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(ids.length);
    const seqs = pages.flatMap((page) => page.events.map((event) => event.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const one = [];
    for await (const event of client.events.iterate({ resource_id: 'inv-4' })) one.push(event.id);
    expect(one).toEqual([ids[4]]);
  });

  it('reads checkpoints, entries and proofs that verify with core', async () => {
    const first = await client.log.checkpoint();
    client.record(sampleEvent(200));
    await client.flush();
    const second = await client.log.checkpoint();
    expect(second.size).toBeGreaterThan(first.size);
    const proof = await client.log.consistencyProof(first.size, second.size);
    expect(() => verifyConsistency(first.size, second.size, proof.hashes, first.rootHash, second.rootHash)).not.toThrow();
    const entries = await client.log.entries(0, 3);
    expect(entries.map((entry) => entry.seq)).toEqual([0, 1, 2]);
    expect(await client.log.key()).toBe(service.ctx.verifierKey(TENANT));
    const inclusion = await client.log.inclusionProof(2, second.size);
    expect(inclusion).toMatchObject({ index: 2, size: second.size });
  });
});
