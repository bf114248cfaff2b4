import { LedgerError } from '../errors.js';

/**
 * A request the sequencer refused for what it contains (an id reused for different content, invalid input) fails
 * the same way on every delivery, so it is terminated and reported. Anything else (the store unreachable, a lock
 * timeout) may pass on a later delivery, so the message is kept: an audit event is never dropped on a hunch.
 */
export function isPermanentFailure(error: unknown): boolean {
  return error instanceof LedgerError && error.status >= 400 && error.status < 500 && error.code !== 'RATE_LIMITED';
}

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 30_000;

/** Exponential back-off by delivery count, so an outage of the store is not met with a storm of retries. */
export function redeliveryDelayMs(deliveryCount: number): number {
  const exponent = Math.max(0, Math.min(deliveryCount - 1, 10));
  return Math.min(FIRST_RETRY_MS * 2 ** exponent, LONGEST_RETRY_MS);
}
