import { afterAll, describe, expect, it } from 'vitest';
import type { EventInput } from '@audit-ledger/core';
import type { IngestAck } from '../../src/app-context.js';
import { createQueuedIngest, type QueuedIngest } from '../../src/queue/queued-ingest.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { deferred } from './deferred.js';
import { createTestStream, TEST_NATS_URL } from './nats-test-stream.js';
import { SubmitJournal, type Submit } from './recording-submit.js';
import { sampleEvents, withProducerIds } from './sample-events.js';
import { openPostgresLedger, type TestLedger } from './test-ledger.js';

const TENANTS = ['acme', 'globex', 'initech'] as const;
const REQUESTS = 60;

const stream = createTestStream('sharing');
const cleanups: Array<() => Promise<unknown>> = [];
let database: TestDatabase | undefined;

afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  await database?.drop();
});

/**
 * Holds the first request each process takes until both processes hold one. With one request in hand at a time
 * per process, this only completes if the second request went to the other process.
 */
function firstRequestsMeet(): { hold(submit: Submit): Submit } {
  const arrived = [deferred(), deferred()];
  let joined = 0;
  return {
    hold(submit) {
      const mine = arrived[joined++]!;
      let first = true;
      return async (tenant, events) => {
        if (first) {
          first = false;
          mine.resolve();
          await Promise.all(arrived.map((signal) => signal.promise));
        }
        return submit(tenant, events);
      };
    },
  };
}

describe('two service processes sharing one stream and one PostgreSQL database', () => {
  it('split the queued requests between them and sequence each exactly once', async () => {
    database = await createTestDatabase('al_queue');
    const url = database.url;
    // Each "process" has its own pool, sequencer and NATS connection, as two service processes would.
    const ledgers: TestLedger[] = await Promise.all([openPostgresLedger(url), openPostgresLedger(url)]);
    for (const ledger of ledgers) cleanups.push(() => ledger.close());
    cleanups.push(() => stream.delete());

    const meet = firstRequestsMeet();
    const journal = new SubmitJournal();
    const queues: QueuedIngest[] = [];
    for (const [i, ledger] of ledgers.entries()) {
      const queue = await createQueuedIngest({
        natsUrl: TEST_NATS_URL,
        submit: journal.wrap(meet.hold(ledger.submit), i === 0 ? 'A' : 'B'),
        streamName: stream.streamName,
        subjectPrefix: stream.subjectPrefix,
        concurrency: 1,
      });
      cleanups.push(() => queue.close());
      queues.push(queue);
    }
    const [a, b] = queues as [QueuedIngest, QueuedIngest];

    const requests: Array<{ tenant: string; events: EventInput[]; ids: string[] }> = [];
    const waited: Array<Promise<IngestAck[]>> = [];
    for (let i = 0; i < REQUESTS; i++) {
      const tenant = TENANTS[i % TENANTS.length]!;
      const events = sampleEvents(1 + (i % 4));
      const via = i % 2 === 0 ? a : b;
      if (i % 5 === 0) {
        // A waiter on one process is answered by whichever process sequences its request.
        const withIds = withProducerIds(events);
        requests.push({ tenant, events: withIds, ids: withIds.map((event) => event.id) });
        waited.push(via.enqueueAndWait(tenant, withIds));
      } else {
        const queued = await via.enqueue(tenant, events);
        requests.push({ tenant, events, ids: queued.map((entry) => entry.id) });
      }
    }

    const allIds = requests.flatMap((request) => request.ids);
    const answers = await Promise.all(waited);
    await journal.acked(allIds);

    for (const process of ['A', 'B']) {
      const share = journal.calls.filter((call) => call.by === process);
      expect(share.length, `process ${process} did some of the work`).toBeGreaterThan(0);
    }
    const calls = journal.calls;
    expect(calls.every((call) => call.acks !== null), 'no request failed').toBe(true);
    for (const request of requests) {
      const processed = calls.filter((call) => call.ids[0] === request.ids[0]);
      expect(processed, `request ${request.ids[0]} was processed once`).toHaveLength(1);
      expect(processed[0]!.ids).toEqual(request.ids);
    }
    const waitedRequests = requests.filter((_, i) => i % 5 === 0);
    for (const [i, acks] of answers.entries()) {
      const request = waitedRequests[i]!;
      expect(acks.map((ack) => ack.id)).toEqual(request.ids);
      expect(acks, 'the waiter got the acks of the process that sequenced it').toEqual(
        calls.find((call) => call.ids[0] === request.ids[0])!.acks,
      );
    }

    for (const tenant of TENANTS) {
      const expected = requests.filter((request) => request.tenant === tenant).flatMap((request) => request.ids);
      const stored = await ledgers[0]!.entries(tenant);
      expect([...stored.map((entry) => entry.id)].sort()).toEqual([...expected].sort());
      expect(stored.map((entry) => entry.seq)).toEqual(stored.map((_, i) => i));
      expect(await ledgers[1]!.store.countEvents(tenant)).toBe(expected.length);
    }
  });
});
