import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventInput } from '@audit-ledger/core';
import type { IngestAck } from '../../src/app-context.js';
import { LedgerError } from '../../src/errors.js';
import { createQueuedIngest, type QueuedIngest, type QueuedIngestOptions } from '../../src/queue/queued-ingest.js';
import { deferred } from './deferred.js';
import { createTestStream, TEST_NATS_URL, type TestStream } from './nats-test-stream.js';
import { SubmitJournal, type Submit } from './recording-submit.js';
import { sampleEvents, withProducerIds } from './sample-events.js';
import { openPgliteLedger, type TestLedger } from './test-ledger.js';

/** Short, so a held message comes back quickly; the tests wait for the redelivery itself, not for a time. */
const ACK_WAIT_MS = 1_000;

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  // Newest first: queues close before the stream they use.
  while (cleanups.length > 0) await cleanups.pop()!();
});

let sharedLedger: Promise<TestLedger> | undefined;

afterAll(async () => {
  await (await sharedLedger)?.close();
});

/** One store for the file (each test writes its own tenant): opening PGlite is the slow part of these tests. */
function openLedger(): Promise<TestLedger> {
  sharedLedger ??= openPgliteLedger();
  return sharedLedger;
}

function openStream(label: string): TestStream {
  const stream = createTestStream(label);
  cleanups.push(() => stream.delete());
  return stream;
}

async function openQueue(
  stream: TestStream,
  submit: Submit,
  extra: Partial<QueuedIngestOptions> = {},
): Promise<QueuedIngest> {
  const queue = await createQueuedIngest({
    natsUrl: TEST_NATS_URL,
    submit,
    streamName: stream.streamName,
    subjectPrefix: stream.subjectPrefix,
    ackWaitMs: ACK_WAIT_MS,
    ...extra,
  });
  cleanups.push(() => queue.close());
  return queue;
}

function expectStoredOnce(stored: ReadonlyArray<{ id: string; seq: number }>, ids: readonly string[]): void {
  expect([...stored.map((entry) => entry.id)].sort()).toEqual([...ids].sort());
  expect(stored.map((entry) => entry.seq)).toEqual(stored.map((_, i) => i));
}

describe('queued ingest redelivery', () => {
  it('redelivers a request held by a consumer that stops without acking, losing and duplicating nothing', async () => {
    const ledger = await openLedger();
    const stream = openStream('crash');

    // Process A sequences its first request, then stalls before the ack, as if it died right after the write.
    const written = deferred<{ ids: string[]; acks: IngestAck[] }>();
    const stall = deferred();
    let stalled = false;
    const a = await openQueue(
      stream,
      async (tenant, events) => {
        const acks = await ledger.submit(tenant, events);
        if (stalled) return acks;
        stalled = true;
        written.resolve({ ids: events.map((event) => event.id ?? ''), acks });
        await stall.promise;
        return acks;
      },
      { concurrency: 1 },
    );
    // Runs before A's close if the test fails early, so the cleanup does not wait on the stall forever.
    cleanups.push(async () => stall.resolve());

    const requests: EventInput[][] = Array.from({ length: 5 }, () => sampleEvents(2));
    const queued = [];
    for (const events of requests) queued.push(...(await a.enqueue('crash-tenant', events)));
    const allIds = queued.map((entry) => entry.id);

    const held = await written.promise;
    // Closing now stops A from taking more work; the request it holds stays unacknowledged.
    const aClosed = a.close();

    const journal = new SubmitJournal();
    await openQueue(stream, journal.wrap(ledger.submit), { concurrency: 4 });
    await journal.acked(allIds);

    const redelivered = journal.callsWith(held.ids[0]!);
    expect(redelivered.length, 'B sequenced the request A held').toBeGreaterThanOrEqual(1);
    expect(redelivered[0]!.acks, 'the redelivery is a retry: the seqs A wrote come back').toEqual(held.acks);
    expectStoredOnce(await ledger.entries('crash-tenant'), allIds);
    expect(await ledger.store.countEvents('crash-tenant')).toBe(allIds.length);

    stall.resolve();
    await aClosed;
    expectStoredOnce(await ledger.entries('crash-tenant'), allIds);
  });

  it('retries a request whose sequencing failed for a transient reason, and answers its waiter', async () => {
    const ledger = await openLedger();
    const stream = openStream('transient');
    let outage = true;
    const journal = new SubmitJournal();
    const submit = journal.wrap(async (tenant, events) => {
      if (outage) {
        outage = false;
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      }
      return ledger.submit(tenant, events);
    });
    const reports: string[] = [];
    const queue = await openQueue(stream, submit, { onError: (message) => reports.push(message) });

    const acks = await queue.enqueueAndWait('flaky-tenant', sampleEvents(3));
    expect(acks.map((ack) => ack.seq)).toEqual([0, 1, 2]);
    expect(journal.calls.filter((call) => call.acks === null)).toHaveLength(1);
    expect(reports.some((message) => message.includes('will be redelivered'))).toBe(true);
    expectStoredOnce(
      await ledger.entries('flaky-tenant'),
      acks.map((ack) => ack.id),
    );
  });

  it('tells a waiter UNAVAILABLE when sequencing takes too long, and still sequences the request', async () => {
    const ledger = await openLedger();
    const stream = openStream('slow');
    const release = deferred();
    const journal = new SubmitJournal();
    const submit = journal.wrap(async (tenant, events) => {
      await release.promise;
      return ledger.submit(tenant, events);
    });
    const queue = await openQueue(stream, submit, { ackWaitMs: 60_000 });

    const events = withProducerIds(sampleEvents(2));
    let caught: unknown;
    try {
      await queue.enqueueAndWait('slow-tenant', events, {}, 200);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LedgerError);
    expect((caught as LedgerError).code).toBe('UNAVAILABLE');
    expect((caught as LedgerError).message).toContain('queued');

    release.resolve();
    await journal.acked(events.map((event) => event.id));
    expect(await ledger.store.countEvents('slow-tenant')).toBe(2);
  });

  it('lets the requests in hand finish and be acked when it closes', async () => {
    const ledger = await openLedger();
    const stream = openStream('drain');
    const inHand = deferred();
    const release = deferred();
    const queue = await openQueue(stream, async (tenant, events) => {
      inHand.resolve();
      await release.promise;
      return ledger.submit(tenant, events);
    });
    const queued = await queue.enqueue('drain-tenant', sampleEvents(2));
    await inHand.promise;

    const closed = queue.close();
    release.resolve();
    await closed;
    expectStoredOnce(
      await ledger.entries('drain-tenant'),
      queued.map((entry) => entry.id),
    );

    // Acked before the close finished: a new consumer finds nothing to redeliver.
    const after = new SubmitJournal();
    const second = await openQueue(stream, after.wrap(ledger.submit));
    const probe = await second.enqueueAndWait('drain-tenant', sampleEvents(1));
    expect(probe.map((ack) => ack.seq)).toEqual([2]);
    expect(after.calls.flatMap((call) => call.ids)).toEqual(probe.map((ack) => ack.id));

    await expect(queue.enqueue('drain-tenant', sampleEvents(1))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
