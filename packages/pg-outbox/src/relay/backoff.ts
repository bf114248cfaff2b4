export interface Backoff {
  /** The delay before the next attempt; grows with each failure in a row. */
  next(hintMs?: number | null): number;
  reset(): void;
}

/** Exponential backoff with full jitter, so several relays that failed together do not retry together. */
export function createBackoff(initialMs: number, maxMs: number, random: () => number = Math.random): Backoff {
  let failures = 0;
  return {
    next(hintMs) {
      const ceiling = Math.min(maxMs, initialMs * 2 ** failures);
      failures += 1;
      const jittered = ceiling / 2 + (random() * ceiling) / 2;
      // The service's Retry-After is a floor, still capped so a silly value cannot park the relay for hours.
      return Math.min(maxMs, Math.max(jittered, hintMs ?? 0));
    },
    reset() {
      failures = 0;
    },
  };
}
