import type { VerifyFailure } from '../../app-context.js';

export const DEFAULT_MAX_LISTED_FAILURES = 100;

/** Failures kept in seq order with a bounded list, so a log rewritten from its first entry does not exhaust memory. */
export class FailureList {
  private items: Array<VerifyFailure & { order: number }> = [];
  private added = 0;

  constructor(private readonly limit: number) {}

  add(seq: number, reason: string): void {
    this.items.push({ seq, reason, order: this.added });
    this.added += 1;
    if (this.items.length >= this.limit * 2) this.trim();
  }

  get count(): number {
    return this.added;
  }

  list(): VerifyFailure[] {
    this.trim();
    return this.items.map(({ seq, reason }) => ({ seq, reason }));
  }

  private trim(): void {
    this.items.sort((a, b) => a.seq - b.seq || a.order - b.order);
    this.items.length = Math.min(this.items.length, this.limit);
  }
}
