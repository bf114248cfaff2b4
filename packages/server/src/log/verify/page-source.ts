import type { LedgerStore } from '../../store/ledger-store.js';
import { checkEntryRows, type CheckedPage } from './checked-page.js';
import { EntryChecker } from './entry-check.js';

/** One thread that reads and checks pages: this one, or a worker (see page-worker-lane.ts). */
export interface PageLane {
  read(start: number, end: number): Promise<CheckedPage>;
  /** Resolves once the lane can take pages (a worker has started); rejects if it never will. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Reads pages through the store itself and checks them in this thread. */
export function inThreadLane(store: LedgerStore, tenant: string): PageLane {
  const checker = new EntryChecker(tenant);
  return {
    ready: Promise.resolve(),
    read: async (start, end) => checkEntryRows(await store.scanEntryRows(tenant, start, end), checker),
    close: async () => undefined,
  };
}

/** Where the replay gets its pages from. */
export interface PageSource {
  /** The entries with seq in [start, end), checked row by row, as pages of `pageSize` in seq order. */
  pages(start: number, end: number, pageSize: number): AsyncGenerator<CheckedPage>;
  close(): Promise<void>;
}

/**
 * Pages read and checked ahead by several lanes. Each lane pulls the next page as soon as it has fewer than
 * `perLane` outstanding, so every lane gets work in proportion to its speed (this thread, which also replays, takes
 * fewer; a worker still starting takes none yet); pages wait to be replayed in order, at most `window` ahead of it.
 */
export function lanePages(lanes: readonly PageLane[], perLane: number, window: number): PageSource {
  const outstanding = lanes.map(() => 0);
  const ready = lanes.map(() => false);
  let failure: Error | null = null;
  let wake: () => void = () => undefined;
  lanes.forEach((lane, index) => {
    lane.ready.then(
      () => {
        ready[index] = true;
        wake();
      },
      (error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
        wake();
      },
    );
  });

  return {
    async *pages(start, end, pageSize) {
      const count = Math.ceil(Math.max(end - start, 0) / pageSize);
      const requested: Array<Promise<CheckedPage>> = [];
      let replayed = 0;
      let stopped = false;

      const pull = (): void => {
        lanes.forEach((lane, index) => {
          while (
            !stopped &&
            ready[index] === true &&
            (outstanding[index] as number) < perLane &&
            requested.length < count &&
            requested.length - replayed < window
          ) {
            const from = start + requested.length * pageSize;
            const page = lane.read(from, Math.min(end, from + pageSize));
            outstanding[index] = (outstanding[index] as number) + 1;
            const settled = (): void => {
              outstanding[index] = (outstanding[index] as number) - 1;
              pull();
            };
            // Also marks a failure as handled until the replay reaches the page and meets it there.
            page.then(settled, settled);
            requested.push(page);
          }
        });
      };

      try {
        for (; replayed < count; replayed++) {
          wake = pull;
          pull();
          // Until a lane is ready (this thread's is at once) the next page may not be requested yet.
          while (requested[replayed] === undefined) {
            if (failure !== null) throw failure;
            await new Promise<void>((resolve) => {
              wake = () => {
                pull();
                resolve();
              };
            });
          }
          if (failure !== null) throw failure;
          yield await (requested[replayed] as Promise<CheckedPage>);
        }
      } finally {
        stopped = true;
        wake = () => undefined;
      }
    },
    async close() {
      await Promise.all(lanes.map((lane) => lane.close()));
    },
  };
}
