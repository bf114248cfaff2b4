import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';

export interface SupervisorOptions {
  /** Worker processes to keep running. */
  count: number;
  /** Called once, when every first-generation worker listens: the address they share. */
  onListening(address: AddressInfo | { address: string; port: number }): void;
  /** One line for the operator (a worker that died, a shutdown that had to force). */
  log(message: string): void;
  /** How long a graceful shutdown may take before the remaining workers are killed. */
  stopTimeoutMs?: number;
}

/** A worker that dies sooner than this after its start counts as failing at start-up. */
const EARLY_EXIT_MS = 10_000;
/** After this many early deaths in a row the configuration is taken to be broken: the service stops. */
const MAX_EARLY_EXITS = 5;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/**
 * Runs `count` copies of this process as cluster workers sharing one listening port, replaces any that dies, and
 * stops them all on SIGTERM or SIGINT. Every worker is a complete service: the log lock in PostgreSQL already keeps
 * several processes on one database from forking or gapping a log, so the workers need no coordination of their own.
 * Resolves with the exit code for the primary.
 *
 * The workers accept connections themselves (SCHED_NONE), rather than the primary accepting each one and passing it
 * to a worker (node:cluster's round-robin default). With round robin, a connection the primary is handing to a worker
 * at the moment that worker dies is neither closed nor given to another: its client waits for an answer that never
 * comes. Accepted by the worker itself, it is reset by the kernel when the worker dies, which a producer sees at once
 * and answers by sending again.
 */
export function superviseWorkers(options: SupervisorOptions): Promise<number> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const started = new Map<Worker, number>();
  let listening = 0;
  let announced = false;
  let stopping = false;
  let earlyExits = 0;
  let exitCode = 0;

  return new Promise<number>((resolve) => {
    const fork = (): void => {
      const worker = cluster.fork();
      started.set(worker, Date.now());
    };

    const stopAll = (code: number): void => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      if (started.size === 0) return resolve(exitCode);
      for (const worker of started.keys()) worker.process.kill('SIGTERM');
      const timeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
      setTimeout(() => {
        if (started.size === 0) return;
        options.log(`${started.size} worker(s) still running after ${timeoutMs} ms; killing them`);
        for (const worker of started.keys()) worker.process.kill('SIGKILL');
      }, timeoutMs).unref();
    };

    cluster.on('listening', (_worker, address) => {
      listening += 1;
      if (!announced && listening >= options.count) {
        announced = true;
        options.onListening(address);
      }
    });

    cluster.on('exit', (worker, code, signal) => {
      const startedAt = started.get(worker) ?? Date.now();
      started.delete(worker);
      if (stopping) {
        if (started.size === 0) resolve(exitCode);
        return;
      }
      const how = signal !== null ? `signal ${signal}` : `code ${code}`;
      earlyExits = Date.now() - startedAt < EARLY_EXIT_MS ? earlyExits + 1 : 0;
      if (earlyExits >= MAX_EARLY_EXITS) {
        options.log(`worker ${worker.process.pid} exited (${how}); ${earlyExits} workers in a row died at start-up, stopping`);
        stopAll(1);
        return;
      }
      options.log(`worker ${worker.process.pid} exited (${how}); starting another`);
      fork();
    });

    process.on('SIGTERM', () => stopAll(0));
    process.on('SIGINT', () => stopAll(0));
    for (let i = 0; i < options.count; i++) fork();
  });
}
