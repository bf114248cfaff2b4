import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditBufferFullError,
  AuditClientStateError,
  AuditValidationError,
  createAuditClient,
  type AuditClientOptions,
  type DeliveryAck,
  type DeliveryProblem,
} from '../../src/index.js';
import { startFlakyProxy, type FlakyProxy } from '../support/flaky-proxy.js';
import { sampleEvent, startLiveService, type LiveService } from '../support/live-service.js';

let service: LiveService;
let tenantCount = 0;

beforeAll(async () => {
  service = await startLiveService();
});

afterAll(async () => {
  await service.close();
});

async function freshTenant(): Promise<{ tenant: string; key: string }> {
  tenantCount += 1;
  const tenant = `delivery-${tenantCount}`;
  return { tenant, key: await service.tenantWithKey(tenant) };
}

function clientFor(key: string, options: Partial<AuditClientOptions> = {}) {
  const problems: DeliveryProblem[] = [];
  const acks: DeliveryAck[] = [];
  const client = createAuditClient({
    url: service.url,
    apiKey: key,
    flushOnExit: false,
    onError: (problem) => problems.push(problem),
    onDelivered: (delivered) => acks.push(...delivered),
    ...options,
  });
  return { client, problems, acks };
}

function expectEachOnce(stored: string[], expected: string[]): void {
  expect(new Set(stored).size, 'no event is in the log twice').toBe(stored.length);
  expect([...stored].sort()).toEqual([...expected].sort());
}

describe('delivery to the real service', () => {
  it('delivers every recorded event once, in full batches, with ids fixed at record time', async () => {
    const { tenant, key } = await freshTenant();
    const { client, acks, problems } = clientFor(key, { batchSize: 100 });
    const ids = Array.from({ length: 1000 }, (_, n) => client.record(sampleEvent(n)));
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/.test(id))).toBe(true);
    await client.flush();
    const stats = client.stats();
    expect(stats).toMatchObject({ recorded: 1000, delivered: 1000, failed: 0, retries: 0, buffered: 0, inFlight: 0 });
    // 1000 events recorded in one go at batchSize 100: exactly ten full requests.
    expect(stats.requests).toBe(10);
    expect(problems).toEqual([]);
    expectEachOnce(await service.storedIds(tenant), ids);
    expect(new Set(acks.map((ack) => ack.seq)).size).toBe(1000);
    expect(acks.every((ack) => ack.status === 'sequenced')).toBe(true);
    await client.close();
  });

  it('with a platform key, sends each tenant its own events, interleaved as they were recorded', async () => {
    tenantCount += 1;
    const tenants = [`platform-a-${tenantCount}`, `platform-b-${tenantCount}`, `platform-c-${tenantCount}`];
    const { client, problems } = clientFor(await service.platformKey(), { batchSize: 40 });
    const expected = new Map<string, string[]>(tenants.map((tenant) => [tenant, []]));
    for (let n = 0; n < 300; n++) {
      const tenant = tenants[(n * 7) % 3] as string;
      expected.get(tenant)?.push(client.record({ ...sampleEvent(n), tenant }));
    }
    await client.flush();
    expect(problems).toEqual([]);
    expect(client.stats()).toMatchObject({ recorded: 300, delivered: 300, failed: 0 });
    for (const tenant of tenants) expectEachOnce(await service.storedIds(tenant), expected.get(tenant) ?? []);
    await client.close();
  });

  it('sends a partial batch once it has lingered, without flush()', async () => {
    const { tenant, key } = await freshTenant();
    const { client, acks } = clientFor(key, { lingerMs: 20 });
    const ids = [client.record(sampleEvent(1)), client.record(sampleEvent(2)), client.record(sampleEvent(3))];
    while (acks.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(client.stats().requests).toBe(1);
    expectEachOnce(await service.storedIds(tenant), ids);
    await client.close();
  });

  it('gathers a steady stream into batches over lingerMs rather than sending what arrived during each answer', async () => {
    const { key } = await freshTenant();
    const { client } = clientFor(key, { lingerMs: 200 });
    // 300 events, one every millisecond or so: longer than one linger, and far longer than one round trip.
    const started = Date.now();
    for (let n = 0; n < 300; n++) {
      client.record(sampleEvent(n));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const lingers = (Date.now() - started) / 200;
    await client.flush();
    const stats = client.stats();
    expect(stats.delivered).toBe(300);
    // About one request per linger (and the flush). Sending a partial batch whenever an answer came back took one
    // request per round trip: dozens here.
    expect(stats.requests, `${stats.requests} requests over ${lingers.toFixed(1)} lingers`).toBeLessThanOrEqual(Math.ceil(lingers) + 2);
  });

  it('keeps the event as it was at record time and fills occurred_at then', async () => {
    const { key } = await freshTenant();
    const { client } = clientFor(key);
    const event = sampleEvent(1);
    const before = new Date().toISOString();
    const id = client.record(event);
    event.resource.id = 'changed-after-record';
    await client.flush();
    const stored = await client.events.get(id);
    expect(stored.resource.id).toBe('inv-1');
    expect(stored.occurred_at >= before && stored.occurred_at <= stored.received_at).toBe(true);
    await client.close();
  });

  it('reads a resource\'s state replayed from what was recorded about it', async () => {
    const { key } = await freshTenant();
    const { client } = clientFor(key);
    const resource = { type: 'invoice', id: 'inv-state' };
    const first = '2026-11-20T09:00:00.000Z';
    client.record({ action: 'invoice.create', actor: { id: 'u-1' }, resource, occurred_at: first, changes: { before: null, after: { status: 'draft', total: 10 } } });
    client.record({ action: 'invoice.update', actor: { id: 'u-2' }, resource, occurred_at: '2026-11-20T10:00:00.000Z', changes: { before: { status: 'draft' }, after: { status: 'sent' } } });
    await client.flush();
    // The key reads personal data (change values are personal), so the state is in clear.
    expect(await client.events.state(resource)).toMatchObject({ state: { status: 'sent', total: 10 }, exists: true, changes: 2, at: null });
    expect(await client.events.state(resource, { at: new Date(first) })).toMatchObject({ state: { status: 'draft', total: 10 }, changes: 1, at: first });
    await expect(client.events.state({ type: 'invoice', id: 'never-recorded' })).rejects.toMatchObject({ status: 404 });
    await client.close();
  });

  it('close() delivers what is buffered, then record() throws a clear error', async () => {
    const { tenant, key } = await freshTenant();
    const { client } = clientFor(key, { lingerMs: 60_000 });
    const ids = Array.from({ length: 5 }, (_, n) => client.record(sampleEvent(n)));
    await client.close();
    expectEachOnce(await service.storedIds(tenant), ids);
    expect(client.closed).toBe(true);
    expect(() => client.record(sampleEvent(9))).toThrow(AuditClientStateError);
    expect(() => client.record(sampleEvent(9))).toThrow(/closed/);
  });

  it('flush() covers only what was recorded before it, and resolves at once when nothing is pending', async () => {
    const { key } = await freshTenant();
    const { client } = clientFor(key);
    await client.flush();
    client.record(sampleEvent(1));
    const flushed = client.flush();
    client.record(sampleEvent(2));
    await flushed;
    expect(client.stats().delivered).toBeGreaterThanOrEqual(1);
    await client.close();
    expect(client.stats().delivered).toBe(2);
  });
});

describe('invalid and conflicting events', () => {
  it('with validateBeforeSend, reports invalid events without sending them and delivers the rest', async () => {
    const { tenant, key } = await freshTenant();
    const { client, problems } = clientFor(key, { validateBeforeSend: true });
    const good = [client.record(sampleEvent(1)), client.record(sampleEvent(2))];
    const bad = client.record(sampleEvent(3, { action: 'Not An Action' }));
    good.push(client.record(sampleEvent(4)));
    await client.close();
    expectEachOnce(await service.storedIds(tenant), good);
    expect(client.stats().rejected).toEqual({ invalid: 1, conflict: 0, refused: 0 });
    expect(client.stats().requests).toBe(1);
    const [problem] = problems;
    expect(problem).toMatchObject({ kind: 'rejected', reason: 'invalid', events: [{ id: bad }] });
    expect(problem?.kind === 'rejected' && problem.error).toBeInstanceOf(AuditValidationError);
    expect((problem as { error: AuditValidationError }).error.issues).toEqual([
      expect.objectContaining({ path: '/action' }),
    ]);
  });

  it('splits a batch the service rejects with 400, rejecting exactly the invalid events, and resends the rest', async () => {
    const { tenant, key } = await freshTenant();
    const { client, problems } = clientFor(key);
    const expected: string[] = [];
    const rejected: string[] = [];
    for (let n = 0; n < 40; n++) {
      if (n % 9 === 4) rejected.push(client.record(sampleEvent(n, { actor: { id: '' } })));
      else expected.push(client.record(sampleEvent(n)));
    }
    await client.close();
    expectEachOnce(await service.storedIds(tenant), expected);
    expect(client.stats().rejected.invalid).toBe(rejected.length);
    // One refused request, then one that succeeds: every bad event is found from the first refusal.
    expect(client.stats().requests).toBe(2);
    const reported = problems.flatMap((problem) => (problem.kind === 'rejected' ? problem.events.map((e) => e.id) : []));
    expect(reported.sort()).toEqual([...rejected].sort());
  });

  it('finds every invalid event of a batch even beyond the 100 errors one refusal names', async () => {
    const { tenant, key } = await freshTenant();
    const { client } = clientFor(key);
    const expected: string[] = [];
    for (let n = 0; n < 300; n++) {
      // Two errors each (empty actor id, bad outcome): the service's answer names only the first 50 events.
      if (n % 2 === 0) client.record(sampleEvent(n, { actor: { id: '' }, outcome: 'maybe' }));
      else expected.push(client.record(sampleEvent(n)));
    }
    await client.close();
    expectEachOnce(await service.storedIds(tenant), expected);
    expect(client.stats()).toMatchObject({ requests: 2, rejected: { invalid: 150 }, delivered: 150 });
  });

  it('rejects an event naming another tenant (a rule only the service knows) without losing its batch', async () => {
    const { tenant, key } = await freshTenant();
    const { client, problems } = clientFor(key);
    const good = [client.record(sampleEvent(1)), client.record(sampleEvent(2))];
    const foreign = client.record(sampleEvent(3, { tenant: 'somebody-else' }));
    good.push(client.record(sampleEvent(4)));
    await client.close();
    expectEachOnce(await service.storedIds(tenant), good);
    expect(problems).toEqual([expect.objectContaining({ kind: 'rejected', reason: 'invalid', events: [expect.objectContaining({ id: foreign })] })]);
    expect((problems[0] as { error: AuditValidationError }).error.issues[0]?.path).toBe('/tenant');
  });

  it('reports an id reused with different content (409) as a conflict and delivers the others', async () => {
    const { tenant, key } = await freshTenant();
    const { client, problems } = clientFor(key);
    const reused = client.record(sampleEvent(1));
    await client.flush();
    const others = Array.from({ length: 9 }, (_, n) => client.record(sampleEvent(10 + n)));
    client.record(sampleEvent(2, { id: reused }));
    // The same id with the same content is not a conflict: the service answers with the original position.
    client.record({ ...sampleEvent(1), id: reused, occurred_at: (await client.events.get(reused)).occurred_at });
    await client.close();
    expectEachOnce(await service.storedIds(tenant), [reused, ...others]);
    expect(client.stats().rejected.conflict).toBe(1);
    expect(client.stats().delivered).toBe(11);
    expect(problems).toEqual([expect.objectContaining({ kind: 'rejected', reason: 'conflict' })]);
  });
});

describe('retries through a flaky network', () => {
  let proxy: FlakyProxy;

  beforeAll(async () => {
    proxy = await startFlakyProxy(service.url);
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('retries lost requests, lost answers, 503 and 429 until delivered, without duplicates', async () => {
    const { tenant, key } = await freshTenant();
    const faults = ['pass', 'reset-after', 'unavailable', 'pass', 'reset-before', 'rate-limited', 'reset-after'] as const;
    proxy.setPlan(({ index }) => {
      const kind = faults[index % faults.length] ?? 'pass';
      if (kind === 'rate-limited') return { kind, retryAfterSeconds: 0 };
      return { kind };
    });
    const { client, problems } = clientFor(key, {
      url: proxy.url,
      batchSize: 50,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });
    const ids = Array.from({ length: 1000 }, (_, n) => client.record(sampleEvent(n)));
    await client.close();
    const stats = client.stats();
    expect(stats).toMatchObject({ delivered: 1000, failed: 0, dropped: { overflow: 0, evicted: 0, shutdown: 0 } });
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.retries).toBe(stats.requests - 20);
    // The service processed some batches whose answers were lost; their retries must not write them twice.
    const lostAnswers = proxy.log.filter((entry) => entry.fault === 'reset-after' && entry.method === 'POST');
    expect(lostAnswers.length).toBeGreaterThan(0);
    expectEachOnce(await service.storedIds(tenant), ids);
    expect(problems.every((problem) => problem.kind === 'retrying')).toBe(true);
  });

  it('waits at least as long as Retry-After says before trying again', async () => {
    const { tenant, key } = await freshTenant();
    const start = proxy.log.length;
    proxy.setPlan(({ index }) => (index === start ? { kind: 'rate-limited', retryAfterSeconds: 1 } : { kind: 'pass' }));
    const { client } = clientFor(key, { url: proxy.url, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
    const id = client.record(sampleEvent(1));
    await client.close();
    const [limited, retried] = proxy.log.slice(start);
    expect(limited?.fault).toBe('rate-limited');
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expectEachOnce(await service.storedIds(tenant), [id]);
  });

  it('gives up after retry.maxAttempts and reports the events as failed', async () => {
    const { tenant, key } = await freshTenant();
    proxy.setPlan(() => ({ kind: 'unavailable' }));
    const { client, problems } = clientFor(key, { url: proxy.url, retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 } });
    const ids = [client.record(sampleEvent(1)), client.record(sampleEvent(2))];
    await client.flush();
    expect(client.stats()).toMatchObject({ failed: 2, delivered: 0, retries: 2, requests: 3 });
    const failed = problems.find((problem) => problem.kind === 'failed');
    expect(failed?.kind === 'failed' && failed.events.map((event) => event.id)).toEqual(ids);
    await client.close();
    expect(await service.storedIds(tenant)).toEqual([]);
  });

  it('close({ timeoutMs }) stops retrying and counts what is left as dropped for shutdown', async () => {
    const { key } = await freshTenant();
    proxy.setPlan(() => ({ kind: 'unavailable' }));
    const { client, problems } = clientFor(key, { url: proxy.url, retry: { baseDelayMs: 10, maxDelayMs: 20 } });
    for (let n = 0; n < 5; n++) client.record(sampleEvent(n));
    await client.close({ timeoutMs: 100 });
    expect(client.stats()).toMatchObject({ delivered: 0, dropped: { shutdown: 5 }, buffered: 0, inFlight: 0 });
    expect(problems.some((problem) => problem.kind === 'dropped' && problem.reason === 'shutdown')).toBe(true);
  });
});

describe('overflow policies', () => {
  // record() never sends inline, so 15 synchronous records meet a buffer of 10 before anything leaves it.
  it('drop-newest keeps the first events and counts the rest', async () => {
    const { tenant, key } = await freshTenant();
    const { client, problems } = clientFor(key, { maxBuffered: 10, overflow: 'drop-newest' });
    const ids = Array.from({ length: 15 }, (_, n) => client.record(sampleEvent(n)));
    await client.close();
    expectEachOnce(await service.storedIds(tenant), ids.slice(0, 10));
    expect(client.stats()).toMatchObject({ recorded: 15, delivered: 10, dropped: { overflow: 5, evicted: 0 } });
    const dropped = problems.flatMap((problem) => (problem.kind === 'dropped' ? problem.events.map((e) => e.id) : []));
    expect(dropped).toEqual(ids.slice(10));
  });

  it('drop-oldest keeps the latest events and counts the evicted ones', async () => {
    const { tenant, key } = await freshTenant();
    const { client, problems } = clientFor(key, { maxBuffered: 10, overflow: 'drop-oldest' });
    const ids = Array.from({ length: 15 }, (_, n) => client.record(sampleEvent(n)));
    await client.close();
    expectEachOnce(await service.storedIds(tenant), ids.slice(5));
    expect(client.stats()).toMatchObject({ recorded: 15, delivered: 10, dropped: { overflow: 0, evicted: 5 } });
    const dropped = problems.flatMap((problem) => (problem.kind === 'dropped' ? problem.events.map((e) => e.id) : []));
    expect(dropped).toEqual(ids.slice(0, 5));
  });

  it('throw refuses the event with AuditBufferFullError and keeps nothing of it', async () => {
    const { tenant, key } = await freshTenant();
    const { client } = clientFor(key, { maxBuffered: 10, overflow: 'throw' });
    const ids = Array.from({ length: 10 }, (_, n) => client.record(sampleEvent(n)));
    expect(() => client.record(sampleEvent(11))).toThrow(AuditBufferFullError);
    await client.close();
    expectEachOnce(await service.storedIds(tenant), ids);
    expect(client.stats()).toMatchObject({ recorded: 10, delivered: 10, dropped: { overflow: 0, evicted: 0 } });
  });
});
