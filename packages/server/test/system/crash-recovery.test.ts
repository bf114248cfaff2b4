import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { killAllServices, startService, type ServiceOptions } from '../support/service-process.js';
import { call, createTenantWithKey, expectStatus, forEachLimited, readAllEvents, verifyLog } from './ledger-http.js';
import { expectAcksHold, expectAcksMatchRequest, expectContiguousLog, expectOnlyKeyCreation } from './log-checks.js';
import { runWriter, send, type SentRequest } from './write-load.js';

const CLIENTS = 4;
/** Acknowledged events after which the process is killed; the writers are still sending when it happens. */
const KILL_AFTER_EVENTS = 500;
const ADMIN_TOKEN = `operator-${randomBytes(16).toString('hex')}`;

const databases: TestDatabase[] = [];
const dataDirs: string[] = [];

afterAll(async () => {
  await killAllServices();
  await Promise.all(databases.map((database) => database.drop()));
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface StoreTarget {
  name: string;
  open(): Promise<Pick<ServiceOptions, 'databaseUrl' | 'dataDir'>>;
}

const targets: StoreTarget[] = [
  {
    name: 'PostgreSQL',
    async open() {
      const database = await createTestDatabase('al_crash');
      databases.push(database);
      return { databaseUrl: database.url };
    },
  },
  {
    name: 'the embedded store',
    async open() {
      const dir = await mkdtemp(path.join(tmpdir(), 'al-crash-'));
      dataDirs.push(dir);
      return { dataDir: path.join(dir, 'data') };
    },
  },
];

describe.each(targets)('kill -9 in the middle of writes, on $name', (target) => {
  it('loses nothing acknowledged, keeps one verifiable log, and accepts the unanswered requests again', async () => {
    const store = await target.open();
    const first = await startService({ ...store, adminToken: ADMIN_TOKEN, name: 'first run' });
    const { key, keyId } = await createTenantWithKey(first.url, ADMIN_TOKEN, 'crash-test');

    const requests: SentRequest[] = [];
    let ackedEvents = 0;
    let killed: ReturnType<typeof first.kill9> | null = null;
    await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        runWriter({
          url: first.url,
          token: key,
          client: `c${i}`,
          keepGoing: () => true,
          onResult(request) {
            requests.push(request);
            if (request.outcome === 'acked') ackedEvents += request.acks.length;
            if (ackedEvents >= KILL_AFTER_EVENTS && killed === null) {
              // A little jitter so the kill lands anywhere in the next write, sometimes between commit and answer.
              killed = new Promise((resolve) => setTimeout(resolve, Math.random() * 30)).then(() => first.kill9());
            }
          },
        }),
      ),
    );
    expect(killed, `the service stopped answering before the kill:\n${first.output().stderr}`).not.toBeNull();
    expect((await first.exited).signal).toBe('SIGKILL');

    const rejected = requests.filter((request) => request.outcome === 'rejected');
    expect(rejected.map((request) => request.failure), 'requests refused while the service was up').toEqual([]);
    const acked = requests.filter((request) => request.outcome === 'acked');
    const unanswered = requests.filter((request) => request.outcome === 'unanswered');
    acked.forEach(expectAcksMatchRequest);
    expect(unanswered).toHaveLength(CLIENTS);

    const second = await startService({ ...store, adminToken: ADMIN_TOKEN, name: 'after the crash' });

    const lost: string[] = [];
    await forEachLimited(
      acked.flatMap((request) => request.acks),
      16,
      async (ack) => {
        const answer = await call(second.url, 'GET', `/v1/events/${ack.id}`, { token: key });
        const event = answer.json as { seq?: unknown; leaf_hash?: unknown } | undefined;
        if (answer.status !== 200 || event?.seq !== ack.seq || event.leaf_hash !== ack.leaf_hash) {
          lost.push(`${ack.id} acked at seq ${ack.seq}: ${answer.status} ${answer.text.slice(0, 200)}`);
        }
      },
    );
    expect(lost, `acknowledged events missing or moved after kill -9 on ${target.name}`).toEqual([]);

    const afterCrash = await readAllEvents(second.url, key);
    const seqAfterCrash = expectContiguousLog(afterCrash);
    expectAcksHold(acked, seqAfterCrash);
    const verified = await verifyLog(second.url, key);
    expect(verified).toMatchObject({ ok: true, size: afterCrash.length, failures: [] });

    const retried: SentRequest[] = [];
    for (const request of unanswered) {
      const again = await send(second.url, key, request.client, request.body, request.ids);
      expect(again.outcome, `retry of ${request.ids.length} unanswered events: ${again.failure ?? ''}`).toBe('acked');
      expectAcksMatchRequest(again);
      for (const ack of again.acks) {
        // An unanswered request may still have committed before the kill; then its retry names the same seq.
        const before = seqAfterCrash.get(ack.id);
        if (before !== undefined) expect(ack.seq, `retry of committed ${ack.id}`).toBe(before);
      }
      retried.push(again);
    }

    const final = await readAllEvents(second.url, key);
    const seqFinal = expectContiguousLog(final);
    const everyId = new Set(requests.flatMap((request) => request.ids));
    const produced = expectOnlyKeyCreation(final, keyId);
    expect(produced.length, "producers' events in the log = distinct ids ever sent").toBe(everyId.size);
    expect(produced.filter((event) => !everyId.has(event.id)), 'events in the log that nobody sent').toEqual([]);
    expectAcksHold([...acked, ...retried], seqFinal);
    const reverified = await verifyLog(second.url, key);
    expect(reverified).toMatchObject({ ok: true, size: final.length, failures: [] });

    const health = await call(second.url, 'GET', '/healthz');
    expectStatus(health, 200, 'GET /healthz after recovery');
    await second.stop();
  });
});
