import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllServices, startService, type ServiceProcess } from '../support/service-process.js';
import { call, createTenantWithKey, forEachLimited, readAllEvents, verifyLog } from '../system/ledger-http.js';
import { expectAcksHold, expectAcksMatchRequest, expectContiguousLog } from '../system/log-checks.js';
import { makeEvent, send, type SentRequest } from '../system/write-load.js';

const ADMIN_TOKEN = `operator-${randomBytes(16).toString('hex')}`;
const TENANT = 'flooded';
/** Invalid requests, sent by FLOOD_CLIENTS at once while one valid producer writes VALID_REQUESTS. */
const FLOOD_REQUESTS = 2000;
const FLOOD_CLIENTS = 8;
const VALID_REQUESTS = 60;
/** The marker every flooding event carries, so the log can be searched for any that got in. */
const FLOOD_ACTOR = 'flood-actor';

let dataDir: string | undefined;

afterAll(async () => {
  await killAllServices();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

function floodEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    action: 'flood.attempt',
    actor: { id: FLOOD_ACTOR },
    resource: { type: 'document', id: 'flood-doc' },
    ...overrides,
  };
}

/** An event whose metadata nests `depth` objects deep, as text: JSON.stringify itself would run out of stack. */
function deeplyNested(depth: number): string {
  const event = JSON.stringify(floodEvent({ metadata: { deep: '@' } }));
  return event.replace('"@"', `${'{"d":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`);
}

interface RawRequest {
  kind: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** What the service must answer. */
  expected: number[];
}

const json = { 'content-type': 'application/json' };

/** One invalid request of each kind, by turns; `key` is the tenant's real key (so bodies get past authentication). */
function floodRequest(n: number, key: string): RawRequest {
  const bearer = { ...json, authorization: `Bearer ${key}` };
  const body = (value: unknown): string => JSON.stringify(value);
  const kinds: Array<() => RawRequest> = [
    () => ({ kind: 'malformed JSON', path: '/v1/events', headers: bearer, body: '{"action": "user.login", "actor": {', expected: [400] }),
    () => ({ kind: 'trailing garbage', path: '/v1/events', headers: bearer, body: `${body(floodEvent())}}}`, expected: [400] }),
    () => ({ kind: 'no token', path: '/v1/events', headers: json, body: body(floodEvent()), expected: [401] }),
    () => ({
      kind: 'unknown key',
      path: '/v1/events',
      headers: { ...json, authorization: `Bearer alk_${randomBytes(8).toString('hex')}_${'A'.repeat(43)}` },
      body: body(floodEvent()),
      expected: [401],
    }),
    () => ({
      kind: 'forged secret',
      path: '/v1/events',
      headers: { ...json, authorization: `Bearer ${key.slice(0, 21)}${'B'.repeat(43)}` },
      body: body(floodEvent()),
      expected: [401],
    }),
    () => ({ kind: 'garbage token', path: '/v1/events', headers: { ...json, authorization: 'Bearer \u00ff\u00fe' }, body: body(floodEvent()), expected: [401] }),
    () => ({ kind: 'missing actor', path: '/v1/events', headers: bearer, body: body(floodEvent({ actor: undefined })), expected: [400] }),
    () => ({ kind: 'bad action', path: '/v1/events', headers: bearer, body: body(floodEvent({ action: 'Not An Action' })), expected: [400] }),
    () => ({ kind: 'NUL in a string', path: '/v1/events', headers: bearer, body: body(floodEvent({ metadata: { note: 'a\u0000b' } })), expected: [400] }),
    () => ({
      kind: 'lone surrogate',
      path: '/v1/events',
      headers: bearer,
      // Written out as an escape: JSON.stringify would escape it the same way.
      body: `{"action":"flood.attempt","actor":{"id":"${FLOOD_ACTOR}"},"resource":{"type":"d","id":"x"},"metadata":{"s":"\\ud800"}}`,
      expected: [400],
    }),
    () => ({ kind: 'deep nesting', path: '/v1/events', headers: bearer, body: deeplyNested(5_000), expected: [400] }),
    () => ({
      kind: 'far future',
      path: '/v1/events',
      headers: bearer,
      body: body(floodEvent({ occurred_at: new Date(Date.now() + 3_600_000).toISOString() })),
      expected: [400],
    }),
    () => ({
      kind: 'one bad event spoils the batch',
      path: '/v1/events',
      headers: bearer,
      body: body({ events: [floodEvent(), floodEvent(), floodEvent({ resource: 'not an object' })] }),
      expected: [400],
    }),
    () => ({ kind: 'empty batch', path: '/v1/events', headers: bearer, body: body({ events: [] }), expected: [400] }),
    () => ({ kind: 'batch too large', path: '/v1/events', headers: bearer, body: body({ events: Array.from({ length: 1001 }, () => floodEvent()) }), expected: [400] }),
    () => ({ kind: 'another tenant', path: '/v1/events', headers: bearer, body: body(floodEvent({ tenant: 'someone-else' })), expected: [400] }),
    () => ({ kind: 'not JSON', path: '/v1/events', headers: { ...bearer, 'content-type': 'text/plain' }, body: 'hello', expected: [415] }),
    () => ({ kind: 'proto pollution', path: '/v1/events', headers: bearer, body: '{"__proto__":{"admin":true},"action":"flood.attempt"}', expected: [400] }),
  ];
  // A few bodies beyond the size limit (10 MiB by default): enough to prove they are cut off, few enough to stay quick.
  if (n % 500 === 499) {
    return { kind: 'oversized body', path: '/v1/events', headers: bearer, body: Buffer.alloc(11 * 1024 * 1024, 0x20), expected: [413] };
  }
  return (kinds[n % kinds.length] as () => RawRequest)();
}

describe('a service process under a flood of invalid requests', () => {
  it('stays up, stores every acknowledged event at its seq, and stores nothing invalid', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'al-flood-'));
    // Every bad token must reach authentication here, so the per-address throttle of failed authentications (which
    // would answer 429 to this address, the valid producer's too) is off; it has tests of its own.
    process.env.AUDIT_LEDGER_AUTH_FAILURE_LIMIT = '0';
    let service: ServiceProcess;
    try {
      service = await startService({ dataDir, adminToken: ADMIN_TOKEN, name: 'flooded service' });
    } finally {
      delete process.env.AUDIT_LEDGER_AUTH_FAILURE_LIMIT;
    }
    const { key } = await createTenantWithKey(service.url, ADMIN_TOKEN, TENANT);

    let flooding = true;
    const healthFailures: string[] = [];
    let healthChecks = 0;
    const health = (async () => {
      while (flooding) {
        try {
          const answer = await call(service.url, 'GET', '/healthz');
          if (answer.status !== 200) healthFailures.push(`${answer.status} ${answer.text.slice(0, 200)}`);
        } catch (error) {
          healthFailures.push(String(error));
        }
        healthChecks++;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();

    const unexpected: string[] = [];
    const answered = new Map<string, number>();
    const flood = forEachLimited(
      Array.from({ length: FLOOD_REQUESTS }, (_, n) => n),
      FLOOD_CLIENTS,
      async (n) => {
        const request = floodRequest(n, key);
        try {
          const response = await fetch(`${service.url}${request.path}`, {
            method: 'POST',
            headers: request.headers,
            ...(request.body !== undefined ? { body: request.body } : {}),
          });
          const text = await response.text();
          answered.set(request.kind, (answered.get(request.kind) ?? 0) + 1);
          if (!request.expected.includes(response.status)) {
            unexpected.push(`${request.kind}: ${response.status} ${text.slice(0, 200)}`);
          } else if (!(response.headers.get('content-type') ?? '').startsWith('application/problem+json')) {
            unexpected.push(`${request.kind}: ${response.status} without a problem document`);
          }
        } catch (error) {
          // The service may close the connection of a body it refuses to read; anything else is a failure.
          if (request.kind !== 'oversized body') unexpected.push(`${request.kind}: ${String(error)}`);
        }
      },
    );

    const valid: SentRequest[] = [];
    const producer = (async () => {
      for (let n = 0; n < VALID_REQUESTS; n++) {
        const events = Array.from({ length: 1 + (n % 4) }, (_, i) => makeEvent('producer', n * 4 + i));
        const body = events.length === 1 ? events[0] : { events };
        valid.push(await send(service.url, key, 'producer', body, events.map((event) => event.id as string)));
      }
    })();

    await Promise.all([flood, producer]);
    flooding = false;
    await health;

    expect(unexpected, 'invalid requests answered otherwise than the contract says').toEqual([]);
    expect([...answered.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(FLOOD_REQUESTS * 0.99);
    expect(healthFailures, 'healthz answers other than 200 during the flood').toEqual([]);
    expect(healthChecks).toBeGreaterThan(0);
    const notAcked = valid.filter((request) => request.outcome !== 'acked').map((request) => request.failure);
    expect(notAcked, 'valid writes that were not acknowledged').toEqual([]);
    for (const request of valid) expectAcksMatchRequest(request);

    const stored = await readAllEvents(service.url, key);
    const seqById = expectContiguousLog(stored);
    expectAcksHold(valid, seqById);
    const ackedIds = new Set(valid.flatMap((request) => request.acks.map((ack) => ack.id)));
    // Besides the producer's events the log holds only the service's own record of minting the key.
    const unacknowledged = stored.filter((event) => !ackedIds.has(event.id)).map((event) => event['action']);
    expect(unacknowledged, 'stored events nobody was told of').toEqual(['audit.key.created']);
    expect(stored.length).toBe(ackedIds.size + 1);
    expect(stored.filter((event) => JSON.stringify(event).includes(FLOOD_ACTOR)), 'flooding events in the log').toEqual([]);

    const verified = await verifyLog(service.url, key);
    expect(verified).toMatchObject({ ok: true, size: stored.length, checked: stored.length, failures: [] });
    const alive = await Promise.race([service.exited.then(() => false), Promise.resolve(true)]);
    expect(alive, 'the service process is still running').toBe(true);
    await service.stop();
  });
});
