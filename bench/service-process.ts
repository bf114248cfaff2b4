import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackChild } from './child-processes.js';
import { freePort } from './free-port.js';

export interface ServiceTarget {
  /** PostgreSQL database URL; absent: the embedded store in `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
  /** Where the service's stdout/stderr go. */
  logFile: string;
  /** Directory for a V8 CPU profile of the service (node --cpu-prof), written when it stops. */
  cpuProfileDir?: string;
  /** Further environment for the service, e.g. AUDIT_LEDGER_ENCRYPTION. */
  env?: Readonly<Record<string, string>>;
  /** Further arguments for `serve`, e.g. ['--workers', '2']. */
  args?: readonly string[];
}

export interface RunningService {
  url: string;
  adminToken: string;
  logFile: string;
  /** The service's process id, e.g. to read the CPU time it used. */
  pid: number;
  stop(): Promise<void>;
}

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
// The build output, as `npm start` runs it: from the sources, tsx would also stand between the service and every
// module its verification worker threads load.
const CLI = path.join(REPO_ROOT, 'packages/server/dist/cli/main.js');
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/**
 * Runs `audit-ledger serve` as its own process, the way users run it, so the numbers include HTTP parsing and the
 * service's own event loop and do not compete with the bench's clients for one.
 */
export async function startService(target: ServiceTarget): Promise<RunningService> {
  if (!existsSync(CLI)) throw new Error('packages are not built yet: run `npm run build` first');
  const port = await freePort();
  const adminToken = `bench-operator-${randomBytes(16).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...target.env, AUDIT_LEDGER_ADMIN_TOKEN: adminToken };
  delete env.DATABASE_URL;
  delete env.PORT;
  if (target.databaseUrl !== undefined) env.DATABASE_URL = target.databaseUrl;

  const nodeArgs = target.cpuProfileDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', target.cpuProfileDir] : [];
  // The same V8 flag as `npm start` and the audit-ledger command (see the server README).
  const args = [...nodeArgs, '--max-semi-space-size=8', CLI, 'serve', '--port', String(port), '--host', '127.0.0.1'];
  if (target.dataDir !== undefined) args.push('--data', target.dataDir);
  args.push(...(target.args ?? []));

  const log = openSync(target.logFile, 'w');
  const child = trackChild(spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', log, log] }));
  closeSync(log);

  const state: { exited: string | null } = { exited: null };
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exited = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (state.exited !== null) throw new Error(`the service stopped during start-up (${state.exited}):\n${tail(target.logFile)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not answer /healthz within ${START_TIMEOUT_MS / 1000} s:\n${tail(target.logFile)}`);
    }
    const healthy = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    await sleep(200);
  }

  return {
    url,
    adminToken,
    logFile: target.logFile,
    pid: child.pid ?? 0,
    async stop() {
      if (state.exited !== null) return;
      // SIGTERM lets the service drain and close cleanly, which is also when node writes a --cpu-prof profile.
      child.kill('SIGTERM');
      const stopped = await Promise.race([exit.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}
