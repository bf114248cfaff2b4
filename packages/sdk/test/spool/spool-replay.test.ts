import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEventId } from '@audit-ledger/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditClientStateError, createAuditClient, type DeliveryProblem } from '../../src/index.js';
import { startFlakyProxy, type FlakyProxy } from '../support/flaky-proxy.js';
import { sampleEvent, startLiveService, type LiveService } from '../support/live-service.js';

let service: LiveService;
let proxy: FlakyProxy;
let tenantCount = 0;
const directories: string[] = [];

beforeAll(async () => {
  service = await startLiveService();
  proxy = await startFlakyProxy(service.url);
});

afterAll(async () => {
  await proxy.close();
  await service.close();
});

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function spoolDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'audit-spool-'));
  directories.push(directory);
  return directory;
}

async function freshTenant(): Promise<{ tenant: string; key: string }> {
  tenantCount += 1;
  const tenant = `spool-${tenantCount}`;
  return { tenant, key: await service.tenantWithKey(tenant) };
}

const segmentsIn = (directory: string): string[] => readdirSync(directory).filter((name) => name.startsWith('segment-'));

describe('the on-disk spool', () => {
  it('replays what an earlier client could not deliver, each event exactly once', async () => {
    const { tenant, key } = await freshTenant();
    const directory = spoolDirectory();
    proxy.setPlan(() => ({ kind: 'unavailable' }));
    const first = createAuditClient({
      url: proxy.url,
      apiKey: key,
      spool: { directory },
      flushOnExit: false,
      retry: { baseDelayMs: 5, maxDelayMs: 10 },
    });
    const ids = Array.from({ length: 50 }, (_, n) => first.record(sampleEvent(n)));
    expect(first.stats().spooled).toBe(50);
    await first.close({ timeoutMs: 50 });
    expect(first.stats()).toMatchObject({ delivered: 0, dropped: { shutdown: 50 }, spooled: 50 });
    expect(segmentsIn(directory).length).toBeGreaterThan(0);

    const second = createAuditClient({ url: service.url, apiKey: key, spool: { directory }, flushOnExit: false });
    expect(second.stats().spooled).toBe(50);
    await second.flush();
    expect(second.stats()).toMatchObject({ replayed: 50, delivered: 50, spooled: 0 });
    await second.close();
    const stored = await service.storedIds(tenant);
    expect(stored.sort()).toEqual([...ids].sort());
    expect(segmentsIn(directory)).toEqual([]);
  });

  it('retires delivered events: after close a healthy spool holds no segment files', async () => {
    const { key } = await freshTenant();
    const directory = spoolDirectory();
    // Small segments, so several are rotated out and deleted along the way.
    const client = createAuditClient({
      url: service.url,
      apiKey: key,
      spool: { directory, maxSegmentBytes: 4096 },
      flushOnExit: false,
      batchSize: 20,
    });
    for (let n = 0; n < 200; n++) client.record(sampleEvent(n));
    expect(segmentsIn(directory).length).toBeGreaterThan(1);
    await client.flush();
    expect(client.stats()).toMatchObject({ delivered: 200, spooled: 0 });
    await client.close();
    expect(readdirSync(directory)).toEqual([]);
  });

  it('skips a torn last line (a write cut short by a kill) and replays the complete ones', async () => {
    const { tenant, key } = await freshTenant();
    const directory = spoolDirectory();
    const events = [1, 2, 3].map((n) => ({ ...sampleEvent(n), id: newEventId(), occurred_at: new Date().toISOString() }));
    const torn = JSON.stringify({ ...sampleEvent(4), id: newEventId() }).slice(0, 40);
    writeFileSync(join(directory, 'segment-0000000000000007.jsonl'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n${torn}`);
    const problems: DeliveryProblem[] = [];
    const client = createAuditClient({
      url: service.url,
      apiKey: key,
      spool: { directory },
      flushOnExit: false,
      onError: (problem) => problems.push(problem),
    });
    await client.close();
    expect((await service.storedIds(tenant)).sort()).toEqual(events.map((e) => e.id).sort());
    expect(problems).toEqual([expect.objectContaining({ kind: 'spool', message: expect.stringMatching(/1 incomplete/) })]);
    // New segments continue after the highest number found, never reusing a name.
    expect(readdirSync(directory)).toEqual([]);
  });

  it('refuses a second client on a directory in use, and takes over a lock left by a dead process', async () => {
    const { key } = await freshTenant();
    const directory = spoolDirectory();
    const first = createAuditClient({ url: service.url, apiKey: key, spool: { directory }, flushOnExit: false });
    expect(() => createAuditClient({ url: service.url, apiKey: key, spool: { directory }, flushOnExit: false })).toThrow(
      AuditClientStateError,
    );
    await first.close();
    // A pid that cannot be running: the lock of a process that was killed.
    writeFileSync(join(directory, 'lock'), '2147483646\n');
    const second = createAuditClient({ url: service.url, apiKey: key, spool: { directory }, flushOnExit: false });
    expect(readFileSync(join(directory, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    await second.close();
  });

  it('keeps events the service refused for good in rejected.jsonl next to the spool', async () => {
    const { key } = await freshTenant();
    const directory = spoolDirectory();
    const client = createAuditClient({ url: service.url, apiKey: key, spool: { directory }, flushOnExit: false });
    const bad = client.record(sampleEvent(1, { action: 'NOT VALID' }));
    client.record(sampleEvent(2));
    await client.close();
    const lines = readFileSync(join(directory, 'rejected.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line) as { reason: string; event: { id: string } })).toEqual([
      expect.objectContaining({ reason: 'invalid', event: expect.objectContaining({ id: bad }) }),
    ]);
    expect(segmentsIn(directory)).toEqual([]);
  });
});
