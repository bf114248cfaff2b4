import { describe, expect, it } from 'vitest';
import type { CheckedPage } from '../../src/log/verify/checked-page.js';
import { lanePages, type PageLane } from '../../src/log/verify/page-source.js';

/** A page that only says which range it was read for. */
function pageOf(start: number, end: number): CheckedPage {
  return {
    count: end - start,
    seqs: Float64Array.from({ length: end - start }, (_, i) => start + i),
    receivedAtMs: new Float64Array(end - start),
    leafHashes: new Uint8Array(0),
    chainHashes: new Uint8Array(0),
    flags: new Uint8Array(0),
    unusual: [],
    entryFailures: [],
  };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** A lane whose reads the test completes, in any order, with `answer` or `fail`. */
class ManualLane implements PageLane {
  readonly reads: Array<{ start: number; end: number; page: Deferred<CheckedPage> }> = [];
  readonly started = deferred<void>();
  closed = false;

  constructor(startedAlready = true) {
    if (startedAlready) this.started.resolve();
  }

  get ready(): Promise<void> {
    return this.started.promise;
  }

  read(start: number, end: number): Promise<CheckedPage> {
    const page = deferred<CheckedPage>();
    this.reads.push({ start, end, page });
    return page.promise;
  }

  answer(index: number): void {
    const read = this.reads[index] ?? expect.unreachable();
    read.page.resolve(pageOf(read.start, read.end));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function collect(pages: AsyncGenerator<CheckedPage>, into: number[]): Promise<void> {
  for await (const page of pages) into.push(page.seqs[0] as number, page.count);
}

describe('lanePages', () => {
  it('hands pages over in seq order, however the lanes finish them, and keeps each lane to its share', async () => {
    const worker = new ManualLane();
    const here = new ManualLane();
    const source = lanePages([worker, here], 2, 16);
    const seen: number[] = [];
    const done = collect(source.pages(10, 60, 10), seen);
    await tick();
    // Each lane pulls up to two pages, the first lanes first.
    expect(worker.reads.map((read) => [read.start, read.end])).toEqual([[10, 20], [20, 30]]);
    expect(here.reads.map((read) => [read.start, read.end])).toEqual([[30, 40], [40, 50]]);
    here.answer(1);
    here.answer(0);
    await tick();
    expect(seen).toEqual([]);
    // A lane that finishes a page pulls the next one at once.
    expect(here.reads.map((read) => read.start)).toEqual([30, 40, 50]);
    worker.answer(1);
    worker.answer(0);
    here.answer(2);
    await done;
    expect(seen).toEqual([10, 10, 20, 10, 30, 10, 40, 10, 50, 10]);
    await source.close();
    expect(worker.closed && here.closed).toBe(true);
  });

  it('reads no more than `window` pages ahead of the one being replayed', async () => {
    const lane = new ManualLane();
    const source = lanePages([lane], 10, 3);
    const pages = source.pages(0, 100, 1);
    const first = pages.next();
    await tick();
    expect(lane.reads).toHaveLength(3);
    lane.answer(0);
    lane.answer(1);
    await first;
    await tick();
    expect(lane.reads).toHaveLength(3);
    await pages.return(undefined);
  });

  it('gives a lane no page before it has started, and starts without it', async () => {
    const starting = new ManualLane(false);
    const here = new ManualLane();
    const source = lanePages([starting, here], 1, 4);
    const seen: number[] = [];
    const done = collect(source.pages(0, 4, 1), seen);
    await tick();
    expect(starting.reads).toHaveLength(0);
    here.answer(0);
    await tick();
    expect(here.reads.map((read) => read.start)).toEqual([0, 1]);
    starting.started.resolve();
    await tick();
    expect(starting.reads.map((read) => read.start)).toEqual([2]);
    here.answer(1);
    starting.answer(0);
    await tick();
    expect(here.reads.map((read) => read.start)).toEqual([0, 1, 3]);
    here.answer(2);
    await done;
    expect(seen).toEqual([0, 1, 1, 1, 2, 1, 3, 1]);
  });

  it('fails with the error of a page that could not be read', async () => {
    const lane = new ManualLane();
    const source = lanePages([lane], 2, 4);
    const seen: number[] = [];
    const done = collect(source.pages(0, 30, 10), seen);
    await tick();
    lane.answer(0);
    lane.reads[1]?.page.reject(new Error('connection lost'));
    await expect(done).rejects.toThrow('connection lost');
    expect(seen).toEqual([0, 10]);
  });

  it('fails when a lane cannot start, rather than going on without it', async () => {
    const broken = new ManualLane(false);
    const here = new ManualLane();
    const source = lanePages([broken, here], 1, 1);
    const done = collect(source.pages(0, 30, 10), []);
    await tick();
    broken.started.reject(new Error('worker could not load'));
    here.answer(0);
    await expect(done).rejects.toThrow('worker could not load');
  });
});
