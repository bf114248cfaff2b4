import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSearchIndexCleaner } from './search-index-cleaner.js';

/** A clean() whose calls stay open until released, so a test decides when a run ends. */
function controlledClean() {
  const pending: Array<() => void> = [];
  const clean = vi.fn(
    () =>
      new Promise<number>((resolve) => {
        pending.push(() => resolve(1));
      }),
  );
  return { clean, finishAll: () => pending.splice(0).forEach((finish) => finish()) };
}

describe('search index cleaner', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs once per interval however many appends came in, and not at all without appends', async () => {
    const { clean, finishAll } = controlledClean();
    const cleaner = createSearchIndexCleaner({ clean, intervalMs: 200 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(clean).not.toHaveBeenCalled();

    for (let i = 0; i < 50; i++) cleaner.markWritten();
    await vi.advanceTimersByTimeAsync(199);
    expect(clean).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(clean).toHaveBeenCalledTimes(1);
    finishAll();
    await vi.advanceTimersByTimeAsync(1000);
    expect(clean).toHaveBeenCalledTimes(1);
    await cleaner.stop();
  });

  it('never overlaps runs: appends during a slow run are cleaned after it ends', async () => {
    const { clean, finishAll } = controlledClean();
    const cleaner = createSearchIndexCleaner({ clean, intervalMs: 100 });
    cleaner.markWritten();
    await vi.advanceTimersByTimeAsync(100);
    expect(clean).toHaveBeenCalledTimes(1);
    cleaner.markWritten();
    await vi.advanceTimersByTimeAsync(500);
    expect(clean).toHaveBeenCalledTimes(1);
    finishAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(clean).toHaveBeenCalledTimes(2);
    finishAll();
    await cleaner.stop();
  });

  it('stops for good when the database refuses for lack of ownership, and reports it once', async () => {
    const refused = Object.assign(new Error('must be owner of index'), { code: '42501', severity: 'ERROR' });
    const clean = vi.fn(() => Promise.reject(refused));
    const onError = vi.fn();
    const cleaner = createSearchIndexCleaner({ clean, intervalMs: 10, onError });
    cleaner.markWritten();
    await vi.advanceTimersByTimeAsync(10);
    for (let i = 0; i < 5; i++) {
      cleaner.markWritten();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(clean).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(refused, true);
    await cleaner.stop();
  });

  it('keeps going after other failures', async () => {
    const clean = vi.fn(() => Promise.reject(new Error('connection reset')));
    const onError = vi.fn();
    const cleaner = createSearchIndexCleaner({ clean, intervalMs: 10, onError });
    for (let i = 0; i < 3; i++) {
      cleaner.markWritten();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(clean).toHaveBeenCalledTimes(3);
    expect(onError.mock.calls.map(([, stopped]) => stopped)).toEqual([false, false, false]);
    await cleaner.stop();
  });

  it('waits on stop for a run in progress, and runs nothing after', async () => {
    const { clean, finishAll } = controlledClean();
    const cleaner = createSearchIndexCleaner({ clean, intervalMs: 10 });
    cleaner.markWritten();
    await vi.advanceTimersByTimeAsync(10);
    let stopped = false;
    const stopping = cleaner.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finishAll();
    await stopping;
    cleaner.markWritten();
    await vi.advanceTimersByTimeAsync(100);
    expect(clean).toHaveBeenCalledTimes(1);
  });
});
