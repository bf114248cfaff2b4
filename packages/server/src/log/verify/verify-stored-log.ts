import { availableParallelism } from 'node:os';
import { isStoredLevel, type VerifierKey } from '@audit-ledger/core';
import type { VerifyReport } from '../../app-context.js';
import type { LedgerStore } from '../../store/ledger-store.js';
import { DEFAULT_MAX_LISTED_FAILURES, FailureList } from './failure-list.js';
import { LogReplay, type Fail, type SignedRoot } from './log-replay.js';
import { inThreadLane, lanePages, type PageLane, type PageSource } from './page-source.js';
import { startPageWorker } from './page-worker-lane.js';
import { signedRootsOf } from './signed-roots.js';
import { checkStoredNodes } from './stored-nodes.js';

export interface VerifyStoredLogOptions {
  /** Keys the log's checkpoints may be signed with; only those named after `origin` count. */
  verifierKeys: readonly VerifierKey[];
  /** The log's C2SP origin, which every checkpoint must carry. */
  origin: string;
  /** Called after each page with the number of entries checked so far. */
  onProgress?: (checked: number) => void;
  /** Entries read per store call. */
  pageSize?: number;
  /** Most failures listed in the report (the lowest seqs are kept); all of them are counted. */
  maxFailures?: number;
  /**
   * Worker threads that read and check pages over connections of their own beside this thread, on PostgreSQL (PGlite
   * always checks in this thread alone); 0: this thread alone. Default: one per available core besides this thread's,
   * for logs of more than 16 pages.
   */
  workers?: number;
}

export interface StoredLogReport extends VerifyReport {
  /** Every failure found, including those beyond the listed ones. */
  failureCount: number;
}

export const DEFAULT_VERIFY_PAGE_SIZE = 2048;

/** Largest level a stored Merkle node of a safe-integer-sized tree can have. */
const MAX_TREE_LEVEL = 53;

/** More threads than this gain nothing: the server and this thread's replay need cores too. */
const MAX_WORKERS = 3;

/** Pages requested ahead per thread: one to check while the server produces the next. */
const PAGES_PER_LANE = 2;

/** Most pages read ahead of the replay, so a slow page holds up a bounded number of others in memory. */
const PAGES_AHEAD = 16;

/**
 * Starting a worker costs about as much as checking ten thousand entries (mostly loading modules), so by default
 * shorter logs are checked in this thread alone.
 */
const MIN_PAGES_FOR_WORKERS = 16;

function bySize<T extends { size: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.size - b.size);
}

function pageSourceFor(store: LedgerStore, tenant: string, workers: number): PageSource {
  const here = inThreadLane(store, tenant);
  const { connectionString } = store;
  // Alone, this thread reads the next page while it checks and replays one, as a single lane can.
  if (connectionString === null || workers <= 0) return lanePages([here], 1, 2);
  const lanes: PageLane[] = [];
  for (let i = 0; i < workers; i++) lanes.push(startPageWorker(connectionString, tenant));
  // Last, so it takes a page only when every worker has its fill: this thread also replays every page.
  lanes.push(here);
  return lanePages(lanes, PAGES_PER_LANE, PAGES_AHEAD);
}

async function defaultWorkers(store: LedgerStore, tenant: string, pageSize: number): Promise<number> {
  if (store.connectionString === null) return 0;
  const size = (await store.getHead(tenant)).size;
  return size > pageSize * MIN_PAGES_FOR_WORKERS ? Math.min(availableParallelism() - 1, MAX_WORKERS) : 0;
}

interface Replayed {
  replay: LogReplay;
  roots: SignedRoot[];
  /** The size of the newest head, including heads written while the entries were read. */
  target: number;
}

/** Reads checkpoints, heads and then every entry, and replays the entries against them. */
async function replayEntries(
  store: LedgerStore,
  tenant: string,
  options: VerifyStoredLogOptions,
  pageSize: number,
  source: PageSource,
  keys: readonly VerifierKey[],
  fail: Fail,
): Promise<Replayed> {
  // Checkpoints are read before heads and heads before entries: each is written after what it covers, so a log that
  // grows meanwhile only adds entries beyond what was listed, never a checkpoint or head without its entries.
  const roots = signedRootsOf(await store.listCheckpoints(tenant), keys, options.origin, fail);
  const heads = bySize(await store.listHeads(tenant));
  let target = heads.at(-1)?.size ?? 0;
  const replay = new LogReplay(heads, roots, fail);
  let cursor = 0; // the seq the next page starts at

  /** Checks every entry with seq in [cursor, end), page by page. */
  async function scanTo(end: number): Promise<void> {
    const start = cursor;
    cursor = Math.max(cursor, end);
    for await (const page of source.pages(start, end, pageSize)) {
      replay.replay(page);
      await checkStoredNodes(store, tenant, replay.takeCompleted(), fail);
      options.onProgress?.(replay.rowsSeen);
    }
  }

  replay.checkBoundary();
  await scanTo(target);
  let beyondHead = false;
  for (;;) {
    const more = await store.scanEntryColumns(tenant, cursor, cursor + pageSize);
    if (more.length === 0) break;
    const newest = await store.getHead(tenant);
    if (!beyondHead && newest.size > target) {
      // Written since the heads were read: verify the growth too.
      replay.addHeads(bySize(await store.listHeads(tenant)).filter((head) => head.size > target));
      target = newest.size;
      await scanTo(target);
      continue;
    }
    if (!beyondHead) fail(target, `entries beyond the newest log head (size ${target})`);
    beyondHead = true;
    await scanTo(cursor + pageSize);
  }
  return { replay, roots, target };
}

/**
 * Recomputes a tenant's log from the stored entries and checks everything else stored against it, trusting none of
 * it: each entry's leaf (canonical, matching every column copy), leaf hash and chain link, seq contiguity and
 * received_at order; every stored Merkle node; every log head; every checkpoint's signature, body and root.
 *
 * A problem is reported once, at the first seq it affects (see LogReplay). Entries are checked page by page (on
 * PostgreSQL also by worker threads that each read their own pages) and replayed here in seq order, so the report is
 * the same however the pages were split. Memory stays at the pages read ahead plus O(log n), besides the head and
 * checkpoint lists the store returns whole.
 */
export async function verifyStoredLog(
  store: LedgerStore,
  tenant: string,
  options: VerifyStoredLogOptions,
): Promise<StoredLogReport> {
  const pageSize = options.pageSize ?? DEFAULT_VERIFY_PAGE_SIZE;
  const failures = new FailureList(options.maxFailures ?? DEFAULT_MAX_LISTED_FAILURES);
  const fail = (seq: number, reason: string): void => failures.add(seq, reason);
  const keys = options.verifierKeys.filter((key) => key.name === options.origin);
  if (keys.length === 0) throw new RangeError(`no verifier key is named after the log's origin ${options.origin}`);

  // Workers take a good tenth of a second to start: started before anything is read, they are about ready when the
  // first pages are wanted. The head read for this is only a size hint; the heads listed below are what is checked.
  const workers = options.workers ?? (await defaultWorkers(store, tenant, pageSize));
  const source = pageSourceFor(store, tenant, workers);
  let replayed: Replayed;
  try {
    replayed = await replayEntries(store, tenant, options, pageSize, source, keys, fail);
  } finally {
    await source.close();
  }
  const { replay, roots, target } = replayed;

  const position = replay.position;
  if (position < target) {
    fail(position, `entries ${position}..${target - 1} missing: the newest log head has size ${target}`);
  }

  const grewMeanwhile = (await store.getHead(tenant)).size > target;
  if (!grewMeanwhile) {
    for (const signed of roots) {
      if (signed.size > position) {
        fail(position, `checkpoint at size ${signed.size}: covers entries the log does not have (it has ${position})`);
      }
    }
    // Every row with seq in [0, position) was scanned and counted in rowsSeen; only the rest need counting.
    const outside = await store.countEventsOutside(tenant, 0, position);
    if (outside > 0) fail(position, `${outside} stored entries lie outside seq 0..${position - 1}`);
    for (let level = 1; level <= MAX_TREE_LEVEL; level++) {
      if (!isStoredLevel(level)) continue;
      const beyond = await store.scanNodes(tenant, level, Math.floor(position / 2 ** level), Number.MAX_SAFE_INTEGER);
      const first = beyond[0];
      if (first !== undefined) fail(position, `merkle node level ${level} index ${first.index} lies beyond the log`);
    }
  }

  return {
    ok: failures.count === 0,
    size: target,
    checked: replay.rowsSeen,
    failures: failures.list(),
    failureCount: failures.count,
  };
}
