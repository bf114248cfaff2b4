import { LedgerError } from '../errors.js';
import type { ReadEvents } from '../privacy/event-reader.js';
import type { EventFilter, LedgerStore, StoredEvent } from '../store/ledger-store.js';
import { toRetracedNode, type RetracedNode } from './event-node.js';
import { decodeSearchCursor, encodeSearchCursor, searchFingerprint } from './search-cursor.js';
import { hasResidual, type ResidualConditions, type RetracedSearch } from './search-query.js';

/** Most results in one page (`last`), as for `GET /v1/events`. */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 20;
/**
 * Matches counted for `totalCount` before the count stops, like Elasticsearch's default `track_total_hits` that
 * Retraced itself ran on: beyond it the count reads 10,000 while paging with cursors still reaches every event.
 */
export const COUNT_LIMIT = 10_000;
/** Events read to answer one search before giving up and asking for a narrower one. */
export const SCAN_LIMIT = 100_000;
const CHUNK = 1000;

/** The store to search and the privacy reader that turns stored entries into views (decrypted or masked). */
export interface SearchDeps {
  store: LedgerStore;
  read: ReadEvents;
}

export interface SearchRequest {
  tenant: string;
  search: RetracedSearch;
  last: number;
  /** The cursor of the last edge of the previous page, or absent/empty for the first page. */
  before?: string;
  personalData: boolean;
}

export interface SearchResult {
  totalCount: number;
  pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean };
  edges: Array<{ cursor: string; node: RetracedNode }>;
  /** Whether the page shows personal data in clear, and under which data keys: such a read is itself recorded. */
  revealed: boolean;
  dataKeyIds: string[];
}

function matches(node: RetracedNode, residual: ResidualConditions): boolean {
  if (residual.action !== undefined && node.action !== residual.action) return false;
  if (residual.crud !== undefined && node.crud !== residual.crud) return false;
  if (residual.externalId !== undefined && node.external_id !== residual.externalId) return false;
  if (residual.receivedFrom !== undefined || residual.receivedTo !== undefined) {
    const received = Date.parse(node.received);
    if (residual.receivedFrom !== undefined && received < residual.receivedFrom) return false;
    if (residual.receivedTo !== undefined && received >= residual.receivedTo) return false;
  }
  if (residual.actorName !== undefined && !(node.actor?.name ?? '').toLowerCase().includes(residual.actorName)) {
    return false;
  }
  if (residual.description !== undefined && !(node.description ?? '').toLowerCase().includes(residual.description)) {
    return false;
  }
  return true;
}

/**
 * Walks the tenant's events newest first from below `beforeSeq`, in chunks through the store's indexed filters,
 * handing each event that also meets the residual conditions to `take` until it returns false. received_at never
 * decreases along a log, so the walk ends at the first event received before a `received:` start.
 */
async function walk(
  deps: SearchDeps,
  request: SearchRequest,
  beforeSeq: number | undefined,
  chunk: number,
  take: (row: StoredEvent) => boolean,
): Promise<'done' | 'exhausted' | 'scan-limit'> {
  const { search, tenant } = request;
  // Only a name condition needs personal data in clear, and then only for a caller allowed to see it.
  const clear = request.personalData && search.residual.actorName !== undefined;
  let below = beforeSeq;
  let scanned = 0;
  for (;;) {
    const filter: EventFilter = { ...search.filter, limit: chunk, ...(below !== undefined ? { beforeSeq: below } : {}) };
    const rows = await deps.store.queryEvents(tenant, filter);
    const views = hasResidual(search) ? (await deps.read(tenant, rows, clear)).events : [];
    for (const [index, row] of rows.entries()) {
      const view = views[index];
      if (view !== undefined) {
        const node = toRetracedNode(view);
        const { receivedFrom } = search.residual;
        if (receivedFrom !== undefined && Date.parse(node.received) < receivedFrom) return 'exhausted';
        if (!matches(node, search.residual)) continue;
      }
      if (!take(row)) return 'done';
    }
    scanned += rows.length;
    const last = rows.at(-1);
    if (rows.length < chunk || last === undefined) return 'exhausted';
    if (scanned >= SCAN_LIMIT) return 'scan-limit';
    below = last.seq;
  }
}

const tooBroad = (): LedgerError =>
  new LedgerError(
    'VALIDATION_FAILED',
    `the search reads more than ${SCAN_LIMIT} events for one page; narrow it with action:, actor.id:, target.id: ` +
      'or created:',
    [
      {
        path: '/variables/query',
        message: 'is too broad for its crud:, received:, description:, actor.name: or external_id: terms',
      },
    ],
  );

async function countMatches(deps: SearchDeps, request: SearchRequest): Promise<number> {
  if (Object.keys(request.search.filter).length === 0 && !hasResidual(request.search)) {
    return Math.min((await deps.store.getHead(request.tenant)).size, COUNT_LIMIT);
  }
  let count = 0;
  await walk(deps, request, undefined, CHUNK, () => ++count < COUNT_LIMIT);
  return count;
}

/**
 * Retraced's search over one tenant's log: `last` events before the `before` cursor, newest first.
 * `hasPreviousPage` says whether older events remain (the client then pages on from the last edge's cursor);
 * `totalCount` counts every match up to COUNT_LIMIT.
 */
export async function searchEvents(deps: SearchDeps, request: SearchRequest): Promise<SearchResult> {
  if (!Number.isSafeInteger(request.last) || request.last < 1 || request.last > MAX_PAGE_SIZE) {
    throw new LedgerError('VALIDATION_FAILED', 'the page size is out of range', [
      { path: '/variables/last', message: `must be between 1 and ${MAX_PAGE_SIZE}` },
    ]);
  }
  const fingerprint = searchFingerprint(request.tenant, request.search);
  const beforeSeq =
    request.before === undefined || request.before === '' ? undefined : decodeSearchCursor(request.before, fingerprint);

  const page: StoredEvent[] = [];
  let older = false;
  // Without residual conditions every row read is a result, so one row beyond the page is all the walk needs.
  const chunk = hasResidual(request.search) ? CHUNK : request.last + 1;
  const outcome =
    beforeSeq === 0
      ? 'exhausted'
      : await walk(deps, request, beforeSeq, chunk, (row) => {
          if (page.length === request.last) {
            older = true;
            return false;
          }
          page.push(row);
          return true;
        });
  if (outcome === 'scan-limit') {
    // A partial page still lets the client page on from its last edge; an empty one would stall it.
    if (page.length === 0) throw tooBroad();
    older = true;
  }
  const read = await deps.read(request.tenant, page, request.personalData);
  const edges = read.events.map((view, index) => ({
    cursor: encodeSearchCursor((page[index] as StoredEvent).seq, fingerprint),
    node: toRetracedNode(view),
  }));
  return {
    totalCount: await countMatches(deps, request),
    pageInfo: { hasPreviousPage: older, hasNextPage: beforeSeq !== undefined },
    edges,
    revealed: read.revealed,
    dataKeyIds: read.dataKeyIds,
  };
}
