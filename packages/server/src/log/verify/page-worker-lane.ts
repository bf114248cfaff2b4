import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CheckedPage } from './checked-page.js';
import type { PageReply, PageRequest, PageWorkerSetup } from './page-messages.js';
import type { PageLane } from './page-source.js';

// From the TypeScript sources (tsx, vitest) the worker is page-worker.ts, after tsc page-worker.js, beside this file.
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_FILE = new URL(FROM_SOURCES ? './page-worker.ts' : './page-worker.js', import.meta.url);

/** The module of tsx's API that registers its TypeScript loader in the calling thread, found through its exports. */
function tsxRegisterModule(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: { './esm/api': { import: { default: string } } };
  };
  return new URL(exports['./esm/api'].import.default, pathToFileURL(manifest)).href;
}

/**
 * On Node 20 a worker thread cannot load a .ts file through the loader `--import tsx` gave this process, and under
 * vitest there is no such loader at all; so from the TypeScript sources the worker registers tsx itself and only then
 * loads page-worker.ts. After tsc it loads page-worker.js directly.
 */
function startWorker(setup: PageWorkerSetup): Worker {
  if (!FROM_SOURCES) return new Worker(WORKER_FILE, { workerData: setup });
  const code =
    `import(${JSON.stringify(tsxRegisterModule())})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_FILE.href)}); });`;
  return new Worker(code, { eval: true, workerData: setup });
}

interface Waiting {
  resolve(page: CheckedPage): void;
  reject(error: Error): void;
}

function failure(error: { message: string; code: string | undefined }): Error {
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

/**
 * A worker thread that reads pages over a PostgreSQL connection of its own and checks them, so that decoding rows,
 * parsing leaves and hashing them run beside this thread; only the compact CheckedPage crosses back.
 */
export function startPageWorker(connectionString: string, tenant: string): PageLane {
  const thread = startWorker({ connectionString, tenant });
  const waiting = new Map<number, Waiting>();
  let nextId = 0;
  let closing = false;
  let stoppedBy: Error | null = null;
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  let markReady: () => void = () => undefined;
  let failStart: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failStart = reject;
  });
  // A lane closed before its worker started rejects `ready` when nobody may be waiting for it any more.
  ready.catch(() => undefined);

  const stop = (error: Error): void => {
    stoppedBy ??= error;
    failStart(error);
    for (const request of waiting.values()) request.reject(error);
    waiting.clear();
  };

  thread.on('message', (reply: PageReply) => {
    if ('ready' in reply) {
      markReady();
      return;
    }
    const request = waiting.get(reply.id);
    if (request === undefined) return;
    waiting.delete(reply.id);
    if ('error' in reply) request.reject(failure(reply.error));
    else request.resolve(reply.page);
  });
  thread.on('error', stop);
  thread.on('exit', (code) => {
    if (!closing) stop(new Error(`a verification worker stopped (exit code ${code})`));
  });

  return {
    ready,
    read(start, end) {
      return new Promise<CheckedPage>((resolve, reject) => {
        if (stoppedBy !== null) {
          reject(stoppedBy);
          return;
        }
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        thread.postMessage({ kind: 'page', id, start, end } satisfies PageRequest);
      });
    },
    async close() {
      closing = true;
      stop(new Error('verification ended'));
      thread.postMessage({ kind: 'close' } satisfies PageRequest);
      await exited;
    },
  };
}
