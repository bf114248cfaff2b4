import type { EventInput } from '@audit-ledger/core';
import type { IngestAck } from '../../src/app-context.js';

export type Submit = (tenant: string, events: readonly EventInput[]) => Promise<IngestAck[]>;

export interface SubmitCall {
  /** Which wrapped submit (which simulated process) made the call. */
  by: string;
  tenant: string;
  ids: string[];
  acks: IngestAck[] | null;
  error: unknown;
}

/**
 * Records every call of the submits it wraps, so a test can wait for the consumers to reach a state (an event,
 * not a clock) and count how often each request was processed, across several simulated processes.
 */
export class SubmitJournal {
  readonly calls: SubmitCall[] = [];
  private readonly waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];

  wrap(inner: Submit, by = 'process'): Submit {
    return async (tenant, events) => {
      const call: SubmitCall = { by, tenant, ids: events.map((event) => event.id ?? ''), acks: null, error: undefined };
      try {
        call.acks = await inner(tenant, events);
        return call.acks;
      } catch (error) {
        call.error = error;
        throw error;
      } finally {
        this.calls.push(call);
        this.wake();
      }
    };
  }

  /** Resolves once every id has been acknowledged by some call. */
  acked(ids: readonly string[]): Promise<void> {
    return this.until(() => {
      const done = new Set(this.calls.filter((call) => call.acks !== null).flatMap((call) => call.ids));
      return ids.every((id) => done.has(id));
    });
  }

  /** Calls that carried this event id, whatever their outcome. */
  callsWith(id: string): SubmitCall[] {
    return this.calls.filter((call) => call.ids.includes(id));
  }

  private until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ ready, resolve }));
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.ready()) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
