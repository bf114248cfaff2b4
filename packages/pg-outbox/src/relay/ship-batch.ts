import type { PoolClient } from 'pg';
import { outboxRowToEvent, type EventMapping, type OutboxEvent, type OutboxRow } from './outbox-event.js';
import { claimRows, deleteRows, parkRows, type ParkedRow } from './outbox-queries.js';
import { postEvents, type PostTarget } from './post-events.js';

export interface BatchResult {
  claimed: number;
  shipped: number;
  parked: number;
  /** Requests sent, including those that split a refused batch. */
  posts: number;
  /** Age of the oldest shipped row at claim time, ms. */
  oldestAgeMs: number;
}

/** The service could not take the batch now; the transaction was rolled back and the rows wait for the next try. */
export class RetryLaterError extends Error {
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  constructor(message: string, status: number | null, retryAfterMs: number | null) {
    super(message);
    this.name = 'RetryLaterError';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

// Paths the service gave relative to the request; parked rows keep them relative to their own event.
function ownErrors(errors: ReadonlyArray<{ path: string; message: string }>): Array<{ path: string; message: string }> {
  return errors.map((error) => ({ path: error.path.replace(/^\/events\/\d+/, '') || '/', message: error.message }));
}

interface Item {
  row: OutboxRow;
  event: OutboxEvent;
}

/**
 * One request writes one tenant's log (a platform key's request must not mix tenants), so a claimed batch that spans
 * accounts — one transaction touching two accounts, or two accounts' commits claimed together — goes out as one
 * request per tenant, each keeping the commit order of its rows.
 */
function byTenant(items: Item[]): Item[][] {
  const groups = new Map<string | undefined, Item[]>();
  for (const item of items) {
    const group = groups.get(item.event.tenant);
    if (group === undefined) groups.set(item.event.tenant, [item]);
    else group.push(item);
  }
  return [...groups.values()];
}

/**
 * Ships one batch in one transaction: claim rows (locked), POST them, and only after the service accepted them
 * delete them and COMMIT. A crash anywhere before COMMIT leaves the rows in place; the next relay re-sends the same
 * event ids and the service answers them as retries, so the effect is exactly once.
 *
 * A refused batch (400/409/413: the service wrote nothing) is narrowed down inside the same transaction: events that
 * `errors[].path` names are parked in the dead-letter table with their problem and the rest is sent again; a refusal
 * that names no event splits the batch in halves until the culprit stands alone.
 */
export async function shipBatch(
  client: PoolClient,
  target: PostTarget,
  mapping: EventMapping,
  limit: number,
): Promise<BatchResult> {
  await client.query('BEGIN');
  try {
    const rows = await claimRows(client, limit);
    const result: BatchResult = { claimed: rows.length, shipped: 0, parked: 0, posts: 0, oldestAgeMs: 0 };
    if (rows.length === 0) {
      await client.query('COMMIT');
      return result;
    }
    result.oldestAgeMs = Math.max(...rows.map((row) => row.age_ms));
    const shipped: string[] = [];
    const parked: ParkedRow[] = [];
    const queue: Item[][] = byTenant(rows.map((row) => ({ row, event: outboxRowToEvent(row, mapping) })));
    for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) {
      result.posts += 1;
      const outcome = await postEvents(target, chunk.map((item) => item.event));
      if (outcome.kind === 'accepted') {
        for (const item of chunk) shipped.push(item.row.id);
        continue;
      }
      if (outcome.kind === 'retry') throw new RetryLaterError(outcome.message, outcome.status, outcome.retryAfterMs);
      const named = [...outcome.byIndex.keys()].filter((index) => index < chunk.length);
      if (named.length > 0) {
        const rest: Item[] = [];
        chunk.forEach((item, index) => {
          const errors = outcome.byIndex.get(index);
          if (errors === undefined) rest.push(item);
          else parked.push({ id: item.row.id, status: outcome.status, problem: { ...outcome.problem, errors: ownErrors(errors) } });
        });
        if (rest.length > 0) queue.push(rest);
      } else if (chunk.length === 1) {
        parked.push({ id: chunk[0]!.row.id, status: outcome.status, problem: outcome.problem });
      } else {
        const half = Math.ceil(chunk.length / 2);
        queue.push(chunk.slice(0, half), chunk.slice(half));
      }
    }
    await deleteRows(client, shipped);
    await parkRows(client, parked);
    await client.query('COMMIT');
    result.shipped = shipped.length;
    result.parked = parked.length;
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
