import { setImmediate as nextTurn } from 'node:timers/promises';

/** A clock a test moves by hand, in milliseconds. */
export function manualClock(): { now(): number; set(ms: number): void } {
  let current = 0;
  return {
    now: () => current,
    set(ms) {
      current = ms;
    },
  };
}

/**
 * Holds back the answers of a fake store: while held, an answer already computed waits, as the answer of a query on
 * its way does.
 */
export class AnswerGate {
  private gate: Promise<void> | null = null;

  /** Resolves at once unless answers are held. */
  async pass(): Promise<void> {
    if (this.gate !== null) await this.gate;
  }

  /** Holds answers until the returned function is called. */
  hold(): () => void {
    let open = (): void => undefined;
    this.gate = new Promise<void>((resolve) => (open = resolve));
    return () => {
      this.gate = null;
      open();
    };
  }
}

/** Lets work a use started in the background run: its query goes out in the next turn and its answer is taken in. */
export async function backgroundWorkRuns(): Promise<void> {
  await nextTurn();
  await nextTurn();
}
