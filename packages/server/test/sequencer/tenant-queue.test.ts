import { describe, expect, it } from 'vitest';
import { TenantQueue, type QueuedRequest } from '../../src/sequencer/tenant-queue.js';

describe('TenantQueue', () => {
  it('gathers requests that arrive during a write into the next write, never splitting one', async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const firstWriteHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new TenantQueue<number, number[]>(async (group: QueuedRequest<number, number[]>[]) => {
      writes.push(group.flatMap((request) => [...request.items]));
      if (writes.length === 1) await firstWriteHeld;
      for (const request of group) request.resolve([...request.items]);
    }, 5);

    const first = queue.submit([1]);
    const rest = [queue.submit([2, 3]), queue.submit([4, 5]), queue.submit([6, 7, 8])];
    release();
    expect(await first).toEqual([1]);
    expect(await Promise.all(rest)).toEqual([[2, 3], [4, 5], [6, 7, 8]]);
    // [2,3]+[4,5] fit under 5 items; [6,7,8] would not, so it goes alone.
    expect(writes).toEqual([[1], [2, 3, 4, 5], [6, 7, 8]]);
  });

  it('writes a request larger than the limit on its own and rejects a failed group without stopping', async () => {
    let calls = 0;
    const queue = new TenantQueue<number, string>(async (group) => {
      calls += 1;
      if (calls === 1) throw new Error('store unavailable');
      for (const request of group) request.resolve(`ok:${request.items.length}`);
    }, 2);
    const failed = queue.submit([1, 2, 3]);
    await expect(failed).rejects.toThrow('store unavailable');
    await expect(queue.submit([9])).resolves.toBe('ok:1');
    await queue.idle();
    expect(calls).toBe(2);
  });
});
