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
});
