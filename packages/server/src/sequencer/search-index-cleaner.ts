import { sqlStateOf } from '../store/sql-driver.js';

export interface SearchIndexCleanerOptions {
  /** Cleans the pending lists (LedgerStore.cleanSearchIndex). */
  clean: () => Promise<number>;
  /** Longest time new entries wait in a pending list; a run starts this long after the first append since the last. */
  intervalMs?: number;
  /** A run failed; `stopped` when it was refused for lack of ownership of the index, after which no run follows. */
  onError?: (error: unknown, stopped: boolean) => void;
}

export interface SearchIndexCleaner {
  /** Events were appended: schedule a run unless one is scheduled or running. */
  markWritten(): void;
  /** No further runs; waits for one in progress. */
  stop(): Promise<void>;
}

const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Keeps the full-text index's pending list short in the background. An insert that finds the list full merges it
 * into the index while it holds its log's lock, which made one write in every few hundred events take 20 ms longer and
 * everything queued behind it wait too. Cleaning a few times a second on the side leaves the list short enough that
 * no write fills it. Without ownership of the index the database refuses, and the service goes on as before.
 */
export function createSearchIndexCleaner(options: SearchIndexCleanerOptions): SearchIndexCleaner {
  const intervalMs = options.intervalMs ?? 200;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function run(): Promise<void> {
    // A run still going (the timer fired before it ended) finishes first; runs never overlap.
    await running;
    timer = null;
    if (stopped) return;
    try {
      await options.clean();
    } catch (error) {
      if (sqlStateOf(error) === INSUFFICIENT_PRIVILEGE) stopped = true;
      options.onError?.(error, stopped);
    }
  }

  return {
    markWritten() {
      // Appends while a run is scheduled are covered by it; appends during a run schedule the next one.
      if (stopped || timer !== null) return;
      timer = setTimeout(() => {
        const job: Promise<void> = run().finally(() => {
          if (running === job) running = null;
        });
        running = job;
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
