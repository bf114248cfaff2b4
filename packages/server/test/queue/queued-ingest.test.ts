import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventInput } from '@audit-ledger/core';
import { LedgerError } from '../../src/errors.js';
import { createQueuedIngest, type QueuedIngest } from '../../src/queue/queued-ingest.js';
import { createTestStream, TEST_NATS_URL } from './nats-test-stream.js';
import { SubmitJournal } from './recording-submit.js';
import { sampleEvent, sampleEvents, withProducerIds } from './sample-events.js';
import { openPgliteLedger, type TestLedger } from './test-ledger.js';

const stream = createTestStream('ingest');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Fixture {
  ledger: TestLedger;
  journal: SubmitJournal;
  queue: QueuedIngest;
  reports: Array<{ message: string; error: unknown }>;
}

let fixture: Promise<Fixture> | undefined;

/** Built inside the first test that needs it, so a NATS or store outage fails the tests instead of skipping them. */
function setup(): Promise<Fixture> {
  fixture ??= (async () => {
    const ledger = await openPgliteLedger();
    const journal = new SubmitJournal();
    const reports: Fixture['reports'] = [];
    const queue = await createQueuedIngest({
      natsUrl: TEST_NATS_URL,
      submit: journal.wrap(ledger.submit),
      streamName: stream.streamName,
      subjectPrefix: stream.subjectPrefix,
      onError: (message, error) => reports.push({ message, error }),
    });
    return { ledger, journal, queue, reports };
  })();
  return fixture;
}

afterAll(async () => {
  if (fixture === undefined) return;
  const { queue, ledger } = await fixture;
  await queue.close();
  await ledger.close();
  await stream.delete();
});

async function rejection(promise: Promise<unknown>): Promise<LedgerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LedgerError);
    return error as LedgerError;
  }
  throw new Error('expected a rejection');
}

function expectOnce(ids: readonly string[], stored: ReadonlyArray<{ id: string; seq: number }>): void {
  const storedIds = stored.map((entry) => entry.id);
  for (const id of ids) expect(storedIds.filter((storedId) => storedId === id), `event ${id}`).toHaveLength(1);
  expect(new Set(storedIds).size, 'no id is stored twice').toBe(storedIds.length);
  expect(stored.map((entry) => entry.seq)).toEqual(stored.map((_, i) => i));
}

describe('queued ingest', () => {
  it('queues a request under ids given before publishing and sequences it later', async () => {
    const { queue, journal, ledger } = await setup();
    const before = await stream.lastSequence();
    const queued = await queue.enqueue('acme', sampleEvents(3));

    expect(queued).toHaveLength(3);
    for (const entry of queued) {
      expect(entry.status).toBe('queued');
      expect(entry.id).toMatch(UUID);
    }
    expect(await stream.lastSequence(), 'one message for the whole request').toBe(before + 1);

    const ids = queued.map((entry) => entry.id);
    await journal.acked(ids);
    const call = journal.callsWith(ids[0]!);
    expect(call.map((c) => c.ids), 'the request is sequenced as one').toEqual([ids]);
    const stored = await ledger.entries('acme');
    expectOnce(ids, stored);
  });

  it('answers enqueueAndWait with the seqs and leaf hashes the log assigned', async () => {
    const { queue, ledger } = await setup();
    const producerId = randomUUID();
    const events = [sampleEvent({ id: producerId }), sampleEvent(), sampleEvent()];
    const acks = await queue.enqueueAndWait('wait-tenant', events);

    expect(acks.map((ack) => ack.seq)).toEqual([0, 1, 2]);
    expect(acks[0]!.id).toBe(producerId);
    for (const ack of acks) {
      const stored = await ledger.store.getEventById('wait-tenant', ack.id);
      expect(stored?.seq).toBe(ack.seq);
      expect(Buffer.from(stored!.leafHash).toString('hex')).toBe(ack.leafHash);
    }
  });

  it('lets JetStream drop a retried publish of the same request, and stores its events once', async () => {
    const { queue, journal, ledger } = await setup();
    const events = withProducerIds(sampleEvents(2));
    const before = await stream.lastSequence();

    const first = await queue.enqueue('retry-tenant', events);
    const second = await queue.enqueue('retry-tenant', events);
    expect(second).toEqual(first);
    expect(await stream.lastSequence(), 'the second publish was a duplicate').toBe(before + 1);

    const ids = events.map((event) => event.id);
    await journal.acked(ids);
    // A later request that carries one of the ids again (a new message) is a retry for the sequencer.
    const again = await queue.enqueueAndWait('retry-tenant', [events[0]!]);
    expect(again.map((ack) => ack.seq)).toEqual([0]);
    expect(await stream.lastSequence()).toBe(before + 2);

    const stored = await ledger.entries('retry-tenant');
    expect(stored).toHaveLength(2);
    expectOnce(ids, stored);
    expect(await ledger.store.countEvents('retry-tenant')).toBe(2);
  });

  it('gives a waiter whose publish was a duplicate the acks of the queued copy', async () => {
    const { queue } = await setup();
    const events = withProducerIds(sampleEvents(2));
    const first = await queue.enqueueAndWait('dup-wait', events);
    const second = await queue.enqueueAndWait('dup-wait', events);
    expect(second).toEqual(first);
  });

  it('reports a conflicting request to its waiter as 409 and writes none of its events', async () => {
    const { queue, ledger, reports } = await setup();
    const taken = sampleEvent({ id: randomUUID() });
    const [original] = await queue.enqueueAndWait('conflict-tenant', [taken]);

    const innocent = sampleEvent({ id: randomUUID() });
    const changed: EventInput = { ...taken, action: 'document.delete' };
    const error = await rejection(queue.enqueueAndWait('conflict-tenant', [innocent, changed]));
    expect(error.code).toBe('CONFLICT');
    expect(error.status).toBe(409);
    expect(error.message).toContain(taken.id);

    const report = reports.find((entry) => entry.message.includes('conflict-tenant'));
    expect(report, 'the rejection is reported').toBeDefined();
    expect((report!.error as LedgerError).code).toBe('CONFLICT');

    const stored = await ledger.entries('conflict-tenant');
    expect(stored.map((entry) => entry.id)).toEqual([taken.id]);
    expect(Buffer.from(stored[0]!.leafHash).toString('hex')).toBe(original!.leafHash);

    // The same id alone again: JetStream drops the publish as a duplicate, and the answer is still 409.
    const alone = await rejection(queue.enqueueAndWait('conflict-tenant', [changed]));
    expect(alone.code).toBe('CONFLICT');
  });

  it('carries a thousand-event request in one compressed message', async () => {
    const { queue, ledger } = await setup();
    const events = sampleEvents(1000, {
      context: {
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)'.repeat(13),
        reason: 'routine maintenance of the customer record '.repeat(20),
      },
    });
    expect(Buffer.byteLength(JSON.stringify(events)), 'larger than one NATS message').toBeGreaterThan(1024 * 1024);
    const before = await stream.lastSequence();

    const acks = await queue.enqueueAndWait('bulk-tenant', events);
    expect(acks.map((ack) => ack.seq)).toEqual(events.map((_, i) => i));
    expect(await stream.lastSequence(), 'it went through the stream').toBe(before + 1);
    expect(await ledger.store.countEvents('bulk-tenant')).toBe(1000);
  });

  it('sequences directly a request that does not fit one message even compressed', async () => {
    const { queue, ledger } = await setup();
    const events = Array.from({ length: 400 }, () =>
      sampleEvent({ metadata: { noise: randomBytes(3000).toString('base64') } }),
    );
    const before = await stream.lastSequence();

    const queued = await queue.enqueue('huge-tenant', events);
    expect(await stream.lastSequence(), 'nothing was published').toBe(before);
    const stored = await ledger.entries('huge-tenant');
    expectOnce(
      queued.map((entry) => entry.id),
      stored,
    );
  });

  it('refuses a tenant id that is not a plain subject token', async () => {
    const { queue } = await setup();
    for (const tenant of ['a.b', 'a*', '>', 'Upper', '']) {
      const error = await rejection(queue.enqueue(tenant, [sampleEvent()]));
      expect(error.code).toBe('BAD_REQUEST');
    }
  });

  it('queues nothing for an empty request', async () => {
    const { queue } = await setup();
    const before = await stream.lastSequence();
    expect(await queue.enqueue('acme', [])).toEqual([]);
    expect(await queue.enqueueAndWait('acme', [])).toEqual([]);
    expect(await stream.lastSequence()).toBe(before);
  });
});
