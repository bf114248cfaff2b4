import { validateEventBody } from '@audit-ledger/core';
import { issuesByEvent } from './classify-failure.js';
import type { FieldIssue } from './errors.js';

/**
 * Finds the invalid events of a batch with the service's own validator (core's): per index, what is wrong, with
 * paths relative to the event. It costs about as much CPU as the service's own check, which is why the client runs
 * it before sending only when asked to, and otherwise only on a batch the service has refused.
 */
export function findInvalidEvents(jsons: readonly string[]): Map<number, FieldIssue[]> {
  let remaining: { event: unknown; index: number }[];
  try {
    remaining = jsons.map((json, index) => ({ event: JSON.parse(json) as unknown, index }));
  } catch {
    return new Map();
  }
  const found = new Map<number, FieldIssue[]>();
  // The validator reports at most 100 errors per body: repeat on the rest until it finds none.
  while (remaining.length > 0) {
    const result = validateEventBody({ events: remaining.map((item) => item.event) }, { maxBatch: remaining.length });
    if (result.ok) break;
    const byEvent = issuesByEvent(result.errors, remaining.length);
    if (byEvent.size === 0) break;
    for (const [at, issues] of byEvent) found.set((remaining[at] as { index: number }).index, issues);
    remaining = remaining.filter((_, at) => !byEvent.has(at));
  }
  return found;
}
