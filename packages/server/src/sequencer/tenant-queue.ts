/**
 * Group commit for one tenant's log: requests that arrive while a write is in flight are gathered and written
 * together by the next one, so many small requests cost one transaction and one lock acquisition.
 */
export interface QueuedRequest<Item, Result> {
  items: readonly Item[];
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export type BatchWriter<Item, Result> = (requests: QueuedRequest<Item, Result>[]) => Promise<void>;

export class TenantQueue<Item, Result> {
  private readonly pending: QueuedRequest<Item, Result>[] = [];
  private draining: Promise<void> | null = null;

  constructor(
    private readonly write: BatchWriter<Item, Result>,
    private readonly maxItemsPerWrite: number,
  ) {}

  submit(items: readonly Item[]): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.draining ??= this.drain().finally(() => {
        this.draining = null;
      });
    });
  }

  /** Resolves when everything submitted so far has been written or rejected. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.takeGroup();
      try {
        await this.write(group);
      } catch (error) {
        for (const request of group) request.reject(error);
      }
    }
  }

  /** At least one request, then more while they fit under the item limit. */
  private takeGroup(): QueuedRequest<Item, Result>[] {
    const group: QueuedRequest<Item, Result>[] = [];
    let items = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      if (group.length > 0 && items + next.items.length > this.maxItemsPerWrite) break;
      group.push(this.pending.shift()!);
      items += next.items.length;
    }
    return group;
  }
}
