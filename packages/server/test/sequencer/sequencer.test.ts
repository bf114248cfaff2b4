import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLICE } from '../../src/scheduling/slices.js';
import { createSequencer } from '../../src/sequencer/sequencer.js';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import type { LedgerStore } from '../../src/store/ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';

let store: LedgerStore;

beforeAll(async () => {
  store = createLedgerStore(createPgliteDriver(undefined));
  await store.migrate();
});

afterAll(async () => {
  await store.close();
});

const event = (n: number) => ({ action: 'invoice.update', actor: { id: `u-${n % 3}` }, resource: { type: 'invoice', id: `inv-${n}` } });

describe('sequencer', () => {
  it('drain() also waits for requests still being prepared over several turns of the event loop', async () => {
    // drain() resolves once every submitted event is durable; the callers' own answers follow on a later turn.
    await store.createTenant({ id: 'drain', name: 'Drain', logOrigin: 'example.test/t/drain', createdAt: new Date() });
    const sequencer = createSequencer({ store });
    const sizes = [3 * SLICE + 1, 1, 2 * SLICE];
    const settled: number[] = [];
    const requests = sizes.map((size, r) =>
      sequencer
        .submit('drain', Array.from({ length: size }, (_, n) => event(1000 * r + n)))
        .then((acks) => settled.push(acks.length)),
    );
    await sequencer.drain();
    expect((await store.getHead('drain')).size).toBe(sizes.reduce((a, b) => a + b, 0));
    await Promise.all(requests);
    expect([...settled].sort((a, b) => a - b)).toEqual([...sizes].sort((a, b) => a - b));
  });

  it('answers each request with its own events, contiguous in the log, whatever order preparation finishes in', async () => {
    await store.createTenant({ id: 'mixed', name: 'Mixed', logOrigin: 'example.test/t/mixed', createdAt: new Date() });
    const sequencer = createSequencer({ store });
    const sizes = [5 * SLICE, 1, SLICE + 3, 2];
    const acks = await Promise.all(
      sizes.map((size, r) => sequencer.submit('mixed', Array.from({ length: size }, (_, n) => event(1000 * r + n)))),
    );
    acks.forEach((requestAcks, r) => {
      expect(requestAcks).toHaveLength(sizes[r] as number);
      const seqs = requestAcks.map((ack) => ack.seq);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    });
    const all = acks.flatMap((requestAcks) => requestAcks.map((ack) => ack.seq)).sort((a, b) => a - b);
    expect(all).toEqual(all.map((_, i) => i));
  });

  it('keeps one contiguous log when another writer appends between its writes, and answers retries by id', async () => {
    await store.createTenant({ id: 'shared', name: 'Shared', logOrigin: 'example.test/t/shared', createdAt: new Date() });
    // Two sequencers stand for two service processes: each remembers the head it wrote last, which the other's
    // writes make stale.
    const one = createSequencer({ store });
    const two = createSequencer({ store });
    const seqs: number[] = [];
    for (let round = 0; round < 6; round++) {
      const sequencer = round % 3 === 0 ? two : one;
      const acks = await sequencer.submit('shared', [event(round * 10), event(round * 10 + 1)]);
      seqs.push(...acks.map((ack) => ack.seq));
    }
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect((await store.listHeads('shared')).map((head) => head.size)).toEqual([2, 4, 6, 8, 10, 12]);

    // A producer's id already stored: the same content is answered with the stored entry, other content refused.
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    const [first] = await one.submit('shared', [{ ...event(100), id }]);
    const [again] = await one.submit('shared', [{ ...event(100), id }]);
    expect(again).toEqual(first);
    await expect(one.submit('shared', [{ ...event(101), id }])).rejects.toThrow(/already used for different content/);
    const [fromOther] = await two.submit('shared', [{ ...event(100), id }]);
    expect(fromOther).toEqual(first);
    expect((await store.getHead('shared')).size).toBe(13);
  });
});
