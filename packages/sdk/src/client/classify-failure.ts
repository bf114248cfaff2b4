import type { RejectReason } from './delivery-types.js';
import { AuditServiceError, type FieldIssue } from './errors.js';

export type FailureHandling =
  /** Transient: send the same batch again after a back-off (at least retryAfterMs when the service said). */
  | { action: 'retry'; retryAfterMs: number | null }
  /** A 400 that names the bad events: drop exactly those (with their issues), send the rest again at once. */
  | { action: 'drop'; issues: Map<number, FieldIssue[]> }
  /** A refusal of the batch that does not say which event: split it in halves until each bad event is alone. */
  | { action: 'bisect'; reason: RejectReason }
  /** A refusal that no event of the batch can fix (key, tenant, route): reject the whole batch. */
  | { action: 'reject'; reason: RejectReason };

const EVENT_PATH = /^\/events\/(\d+)(\/.*)?$/;

/** The problem's errors[] grouped by the batch index they point at, paths made relative to the event. */
export function issuesByEvent(issues: readonly FieldIssue[], batchLength: number): Map<number, FieldIssue[]> {
  const byEvent = new Map<number, FieldIssue[]>();
  for (const issue of issues) {
    const match = EVENT_PATH.exec(issue.path);
    const index = match?.[1] !== undefined ? Number(match[1]) : Number.NaN;
    if (!Number.isSafeInteger(index) || index >= batchLength) continue;
    const list = byEvent.get(index) ?? [];
    list.push({ path: match?.[2] ?? '', message: issue.message });
    byEvent.set(index, list);
  }
  return byEvent;
}

/** Decides what a failed POST /v1/events means for its batch. Network errors and anything unknown are retried. */
export function classifyFailure(error: unknown, batchLength: number): FailureHandling {
  if (!(error instanceof AuditServiceError)) return { action: 'retry', retryAfterMs: null };
  const { status, problem } = error;
  if (status === 408 || status === 429 || status >= 500) return { action: 'retry', retryAfterMs: error.retryAfterMs };
  if (status === 400) {
    const issues = issuesByEvent(problem?.errors ?? [], batchLength);
    return issues.size > 0 ? { action: 'drop', issues } : { action: 'bisect', reason: 'invalid' };
  }
  if (status === 409) return { action: 'bisect', reason: 'conflict' };
  if (status === 413) return { action: 'bisect', reason: 'refused' };
  return { action: 'reject', reason: 'refused' };
}

/** Full jitter (uniform in [0, ceiling], the ceiling doubling per attempt): spreads retries of many clients. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}
