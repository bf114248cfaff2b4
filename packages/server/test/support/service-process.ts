import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const LISTENING = /Audit Ledger listening on (https?:\/\/[^\s]+)/;
/** Enough output to explain a failure without letting a chatty process grow the test's memory. */
const KEEP_CHARS = 64 * 1024;
/** Safety nets only: a healthy start takes a few seconds, a healthy shutdown less. */
const START_LIMIT_MS = 90_000;
const STOP_LIMIT_MS = 30_000;

export interface ServiceOptions {
  /** PostgreSQL URL; absent runs the embedded store in `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
  adminToken: string;
  signingKey?: string;
  /** Extra label in failure messages, to tell several processes apart. */
  name?: string;
  /** Further arguments for `serve`, e.g. ['--workers', '2']. */
  args?: readonly string[];
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly name: string;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly pid: number;
  /** Resolves when the process has exited, however that happened. */
  readonly exited: Promise<ExitStatus>;
  output(): { stdout: string; stderr: string };
  /** Sends SIGKILL: no shutdown hook runs, exactly like a crash or an OOM kill. */
  kill9(): Promise<ExitStatus>;
  /** Sends SIGTERM and waits for the graceful shutdown. */
  stop(): Promise<ExitStatus>;
}

const running = new Set<ChildProcess>();

function keepTail(buffer: string, chunk: string): string {
  const joined = buffer + chunk;
  return joined.length > KEEP_CHARS ? joined.slice(joined.length - KEEP_CHARS) : joined;
}

function environmentFor(options: ServiceOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AUDIT_LEDGER_ADMIN_TOKEN: options.adminToken, LOG_LEVEL: 'warn' };
  // Inherited settings would silently point the child at another store or key than the test means.
  delete env.DATABASE_URL;
  delete env.AUDIT_LEDGER_SIGNING_KEY;
  delete env.NATS_URL;
  delete env.PORT;
  if (options.databaseUrl !== undefined) env.DATABASE_URL = options.databaseUrl;
  if (options.signingKey !== undefined) env.AUDIT_LEDGER_SIGNING_KEY = options.signingKey;
  return env;
}

/** Starts `audit-ledger serve` on a free port and resolves once it prints its listening line. */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const name = options.name ?? 'service';
  const args = ['--import', 'tsx', CLI, 'serve', '--port', '0', '--host', '127.0.0.1'];
  if (options.dataDir !== undefined) args.push('--data', options.dataDir);
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: environmentFor(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('error', (error) => {
    stderr = keepTail(stderr, `spawn failed: ${error.message}\n`);
  });

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = keepTail(stderr, chunk);
  });

  const exited = new Promise<ExitStatus>((resolve) => {
    // 'close' rather than 'exit': by then the pipes are drained, so a failure message holds the last words.
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const describe = (): string =>
    `${name} (pid ${child.pid ?? '?'})\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} printed no listening line within ${START_LIMIT_MS} ms: ${describe()}`));
    }, START_LIMIT_MS);
    child.stdout.on('data', (chunk: string) => {
      stdout = keepTail(stdout, chunk);
      const match = LISTENING.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/+$/, ''));
      }
    });
    void exited.then((status) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${status.code ?? status.signal}) before listening: ${describe()}`));
    });
  });

  async function signalAndWait(signal: NodeJS.Signals): Promise<ExitStatus> {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const fallback = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(fallback);
    }
  }

  return {
    name,
    url,
    pid: child.pid ?? -1,
    exited,
    output: () => ({ stdout, stderr }),
    kill9: () => signalAndWait('SIGKILL'),
    stop: () => signalAndWait('SIGTERM'),
  };
}

/** Kills every service process this test file started and has not seen exit; for afterAll. */
export async function killAllServices(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
