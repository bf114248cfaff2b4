import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { killAllServices, startService, type ServiceProcess } from '../support/service-process.js';
import { expectConsistent, fetchCheckpoint, fetchVerifierKey, type SignedCheckpoint } from './checkpoint-checks.js';
import { createTenantWithKey, readAllEvents, verifyLog } from './ledger-http.js';
import { expectAcksHold, expectAcksMatchRequest, expectContiguousLog, expectOnlyKeyCreation } from './log-checks.js';
import { makeEvent, runWriter, send, type SentRequest } from './write-load.js';

const CLIENTS_PER_PROCESS = 3;
const REQUESTS_PER_CLIENT = 15;
/** Events sent to both processes at the same moment under one id: only one may be sequenced. */
const RACED_EVENTS = 20;
/** Acknowledged events after which each process is asked for a checkpoint while writes continue. */
const MID_CHECKPOINT_AFTER = 200;
const ADMIN_TOKEN = `operator-${randomBytes(16).toString('hex')}`;
const TENANT = 'shared-log';

let database: TestDatabase | undefined;

afterAll(async () => {
  await killAllServices();
  await database?.drop();
});

describe('two service processes on one PostgreSQL database', () => {
  it('sequence one tenant into one contiguous log that both verify and both checkpoint consistently', async () => {
    database = await createTestDatabase('al_two');
    const url = database.url;
    // Started together on a fresh database: migrations, the signing key and the operator token race too.
    const [a, b] = await Promise.all([
      startService({ databaseUrl: url, adminToken: ADMIN_TOKEN, name: 'process A' }),
      startService({ databaseUrl: url, adminToken: ADMIN_TOKEN, name: 'process B' }),
    ]);
    const { key, keyId } = await createTenantWithKey(a.url, ADMIN_TOKEN, TENANT);
    const verifierKey = await fetchVerifierKey(a.url, key);
    expect(await fetchVerifierKey(b.url, key), 'both processes sign with the one stored key').toBe(verifierKey);

    const requests: SentRequest[] = [];
    const checkpoints: Promise<SignedCheckpoint>[] = [];
    let ackedEvents = 0;
    const record = (request: SentRequest): void => {
      requests.push(request);
      if (request.outcome === 'acked') ackedEvents += request.acks.length;
      if (ackedEvents >= MID_CHECKPOINT_AFTER && checkpoints.length === 0) {
        for (const [service, label] of [[a, 'A during writes'], [b, 'B during writes']] as const) {
          const pending = fetchCheckpoint(service.url, key, label, verifierKey);
          // Awaited after the writers finish; until then a failure must not surface as an unhandled rejection.
          pending.catch(() => undefined);
          checkpoints.push(pending);
        }
      }
    };
    const writersOn = (service: ServiceProcess, label: string): Promise<void>[] =>
      Array.from({ length: CLIENTS_PER_PROCESS }, (_, i) => {
        let sent = 0;
        return runWriter({
          url: service.url,
          token: key,
          client: `${label}${i}`,
          keepGoing: () => sent++ < REQUESTS_PER_CLIENT,
          onResult: record,
        });
      });
    const raced: [SentRequest, SentRequest][] = [];
    const racer = async (): Promise<void> => {
      for (let n = 0; n < RACED_EVENTS; n++) {
        const event = makeEvent('race', n);
        const ids = [event.id as string];
        raced.push(await Promise.all([send(a.url, key, 'race-a', event, ids), send(b.url, key, 'race-b', event, ids)]));
      }
    };
    await Promise.all([...writersOn(a, 'a'), ...writersOn(b, 'b'), racer()]);

    const failed = [...requests, ...raced.flat()].filter((request) => request.outcome !== 'acked');
    const failures = failed.map((request) => `${request.client}: ${request.failure ?? ''}`);
    expect(failures, 'requests not acknowledged').toEqual([]);
    requests.forEach(expectAcksMatchRequest);
    for (const [viaA, viaB] of raced) {
      expectAcksMatchRequest(viaA);
      expect(viaB.acks, `one id sent to both processes at once: ${viaA.ids[0]}`).toEqual(viaA.acks);
    }

    const viaA = await readAllEvents(a.url, key);
    const viaB = await readAllEvents(b.url, key);
    expect(viaB.map((event) => [event.seq, event.id])).toEqual(viaA.map((event) => [event.seq, event.id]));
    const seqById = expectContiguousLog(viaA);
    const everyId = new Set([...requests, ...raced.flat()].flatMap((request) => request.ids));
    const produced = expectOnlyKeyCreation(viaA, keyId);
    expect(produced.length, "producers' events in the log = distinct ids sent").toBe(everyId.size);
    expect(produced.filter((event) => !everyId.has(event.id)), 'events in the log that nobody sent').toEqual([]);
    expectAcksHold([...requests, ...raced.flat()], seqById);

    for (const service of [a, b]) {
      const report = await verifyLog(service.url, key);
      const expected = { ok: true, size: viaA.length, failures: [] };
      expect(report, `GET /v1/log/verify via ${service.name}`).toMatchObject(expected);
    }

    expect(checkpoints, 'checkpoints were taken while writes were running').toHaveLength(2);
    checkpoints.push(fetchCheckpoint(a.url, key, 'A after writes', verifierKey));
    checkpoints.push(fetchCheckpoint(b.url, key, 'B after writes', verifierKey));
    const signed = await Promise.all(checkpoints);
    for (const checkpoint of signed) {
      expect(checkpoint.origin).toBe(`localhost/audit-ledger/t/${TENANT}`);
      expect(checkpoint.size).toBeLessThanOrEqual(viaA.length);
    }
    const [, , finalA, finalB] = signed;
    expect(finalA?.size, 'checkpoint from A covers the whole log').toBe(viaA.length);
    expect(finalB?.size, 'checkpoint from B covers the whole log').toBe(viaA.length);
    for (const [i, first] of signed.entries()) {
      for (const second of signed.slice(i + 1)) {
        await expectConsistent(a.url, key, first, second);
        await expectConsistent(b.url, key, first, second);
      }
    }

    await Promise.all([a.stop(), b.stop()]);
  });
});
