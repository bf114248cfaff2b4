import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuditClient } from '../../src/index.js';
import { startLiveService, type LiveService } from '../support/live-service.js';

const CHILD = fileURLToPath(new URL('./spool-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

let service: LiveService;
let directory: string;

beforeAll(async () => {
  service = await startLiveService();
  directory = mkdtempSync(join(tmpdir(), 'audit-spool-kill-'));
});

afterAll(async () => {
  await service.close();
  rmSync(directory, { recursive: true, force: true });
});

it('every event a killed process reported as recorded reaches the service exactly once after replay', async () => {
  const key = await service.tenantWithKey('spool-kill');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, service.url, key, directory], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  // Kill once enough has been recorded that deliveries are under way.
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      // Complete lines only: the piece after the last newline is a line still being written (or nothing).
      if (stdout.split('\n').length - 1 > 1500) resolve();
    });
    void exited.then((status) => reject(new Error(`child exited early (${String(status)}): ${stderr}`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  // Whatever the pipe still held was written before the kill, so it counts; a torn last line does not.
  const printed = stdout.split('\n').filter((line) => /^[0-9a-f-]{36}$/.test(line));
  expect(printed.length).toBeGreaterThan(1500);

  const deliveredByChild = new Set(await service.storedIds('spool-kill'));
  const client = createAuditClient({ url: service.url, apiKey: key, spool: { directory }, flushOnExit: false });
  await client.close();
  const stats = client.stats();
  // The kill left undelivered events behind, or this test would prove nothing about replay.
  expect(printed.filter((id) => !deliveredByChild.has(id)).length).toBeGreaterThan(0);
  expect(stats.replayed).toBeGreaterThan(0);
  expect(stats).toMatchObject({ failed: 0, rejected: { invalid: 0, conflict: 0, refused: 0 } });

  const stored = await service.storedIds('spool-kill');
  const counts = new Map<string, number>();
  for (const id of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
  const missing = printed.filter((id) => !counts.has(id));
  const duplicated = [...counts].filter(([, count]) => count > 1);
  expect(missing).toEqual([]);
  expect(duplicated).toEqual([]);
  expect(readdirSync(directory).filter((name) => name.startsWith('segment-'))).toEqual([]);
});
