import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { killAllServices, startService } from '../support/service-process.js';
import { call, createTenantWithKey, expectStatus, readAllEvents, verifyLog } from './ledger-http.js';
import { expectAcksHold, expectAcksMatchRequest, expectContiguousLog, expectOnlyKeyCreation } from './log-checks.js';
import { runWriter, send, type SentRequest } from './write-load.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ADMIN_TOKEN = `operator-${randomBytes(16).toString('hex')}`;
const WRITERS = 6;
/** Acknowledged events after which one worker is killed while the writers keep sending. */
const KILL_AFTER_EVENTS = 300;
const REQUESTS_PER_WRITER = 20;

let database: TestDatabase | undefined;
const dataDirs: string[] = [];

afterAll(async () => {
  await killAllServices();
  await database?.drop();
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function temporaryDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'al-workers-'));
  dataDirs.push(dir);
  return dir;
}

/**
 * The pids of a process's cluster workers: its children running `serve`. Other children are not counted, such as the
 * esbuild process tsx starts in the primary when its transform cache is cold.
 */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const { stdout } = await run('pgrep', ['-P', String(pid), '-f', 'serve']);
    return stdout.split('\n').filter((line) => line.trim() !== '').map(Number).sort((a, b) => a - b);
  } catch (error) {
    // pgrep exits 1 when nothing matches.
    if ((error as { code?: unknown }).code === 1) return [];
    throw error;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('serve --workers', () => {
  it('refuses the embedded store, which one process at a time may open, with a clear message', async () => {
    const dir = await temporaryDir();
    const env: NodeJS.ProcessEnv = { ...process.env, AUDIT_LEDGER_ADMIN_TOKEN: ADMIN_TOKEN };
    delete env.DATABASE_URL;
    const failure = await run(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', '--data', dir, '--workers', '2'], {
      env,
    }).then(
      () => null,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('--workers needs PostgreSQL (DATABASE_URL)');
    const badCount = await run(process.execPath, ['--import', 'tsx', CLI, 'serve', '--workers', 'many'], { env }).then(
      () => null,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(badCount?.stderr).toContain("option '--workers <n>' argument 'many' is invalid");
  });

  it('shares one port and one log between workers, replaces a killed worker without losing an acknowledged event, and stops them all on SIGTERM', async () => {
    database = await createTestDatabase('al_workers');
    const service = await startService({
      databaseUrl: database.url,
      dataDir: await temporaryDir(),
      adminToken: ADMIN_TOKEN,
      args: ['--workers', '2'],
      name: 'serve --workers 2',
    });
    expect(service.output().stdout).toContain('(PostgreSQL, 2 worker processes)');
    const workers = await waitFor('two workers', async () => {
      const found = await childrenOf(service.pid);
      return found.length === 2 ? found : undefined;
    });
    const { key, keyId } = await createTenantWithKey(service.url, ADMIN_TOKEN, 'workers');

    const requests: SentRequest[] = [];
    let ackedEvents = 0;
    let killedWorker: number | null = null;
    await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => {
        let sent = 0;
        return runWriter({
          url: service.url,
          token: key,
          client: `w${i}`,
          keepGoing: () => sent++ < REQUESTS_PER_WRITER,
          onResult(request) {
            requests.push(request);
            if (request.outcome === 'acked') ackedEvents += request.acks.length;
            if (ackedEvents >= KILL_AFTER_EVENTS && killedWorker === null) {
              killedWorker = workers[0] as number;
              process.kill(killedWorker, 'SIGKILL');
            }
          },
        });
      }),
    );
    expect(killedWorker, 'a worker was killed during the writes').not.toBeNull();
    const replaced = await waitFor('a replacement worker', async () => {
      const found = await childrenOf(service.pid);
      return found.length === 2 && !found.includes(killedWorker as number) ? found : undefined;
    });
    expect(replaced).toContain(workers[1]);
    expect(service.output().stderr).toContain(`worker ${killedWorker} exited (signal SIGKILL); starting another`);

    // A request cut off by the kill fails at once (its connection is reset); none may be left waiting for an answer.
    const leftWaiting = requests.filter((request) => request.outcome === 'unanswered' && /TimeoutError/.test(request.failure ?? ''));
    expect(leftWaiting.map((request) => request.failure), 'requests left without an answer').toEqual([]);
    const rejected = requests.filter((request) => request.outcome === 'rejected');
    expect(rejected.map((request) => request.failure), 'requests refused').toEqual([]);
    const acked = requests.filter((request) => request.outcome === 'acked');
    acked.forEach(expectAcksMatchRequest);
    // Requests cut off by the kill are sent again, as a producer would; then every event sent is in the log once.
    const retried: SentRequest[] = [];
    for (const request of requests.filter((r) => r.outcome === 'unanswered')) {
      const again = await send(service.url, key, request.client, request.body, request.ids);
      expect(again.outcome, `retry after the kill: ${again.failure ?? ''}`).toBe('acked');
      retried.push(again);
    }

    const events = await readAllEvents(service.url, key);
    const seqById = expectContiguousLog(events);
    expectAcksHold([...acked, ...retried], seqById);
    const everyId = new Set(requests.flatMap((request) => request.ids));
    const produced = expectOnlyKeyCreation(events, keyId);
    expect(produced.length, "producers' events in the log = distinct ids sent").toBe(everyId.size);
    expect(await verifyLog(service.url, key)).toMatchObject({ ok: true, size: events.length, failures: [] });
    expectStatus(await call(service.url, 'GET', '/healthz'), 200, 'GET /healthz');

    const status = await service.stop();
    expect(status).toEqual({ code: 0, signal: null });
    for (const pid of replaced) {
      expect(() => process.kill(pid, 0), `worker ${pid} is gone after the primary stopped`).toThrow();
    }
  });
});
