import type { Outcome, ResourceState, StoredEventView } from '@audit-ledger/core';
import { AuditProtocolError } from '../client/errors.js';
import type { HttpTransport } from '../client/http-transport.js';

/** Filters of GET /v1/events; all optional, combined with AND. */
export interface EventFilter {
  actor_id?: string;
  /** An exact action, or a prefix ending in `.*` (`user.*`). */
  action?: string;
  resource_type?: string;
  resource_id?: string;
  outcome?: Outcome;
  /** occurred_at at or after (RFC 3339, or a Date). */
  from?: string | Date;
  /** occurred_at before (RFC 3339, or a Date). */
  to?: string | Date;
  /** Full-text search (personal data is not searchable). */
  q?: string;
  /** Page size, 1..1000 (service default 100). */
  limit?: number;
  /** Start after this page: the nextCursor of an earlier page. */
  cursor?: string;
  /** The tenant to read; defaults to the client's tenant (required with a platform key). */
  tenant?: string;
}

export interface EventPage {
  /** Newest first. Personal data reads "[masked]" unless the key has events:read:pii. */
  events: StoredEventView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface EventsApi {
  /** Pages of matching events, newest first, following the cursors until the last page. */
  list(filter?: EventFilter): AsyncIterableIterator<EventPage>;
  /** One page, for callers that keep the cursor themselves (e.g. across HTTP requests of their own UI). */
  page(filter?: EventFilter): Promise<EventPage>;
  /** Every matching event, one at a time, across pages. */
  iterate(filter?: EventFilter): AsyncIterableIterator<StoredEventView>;
  /** The event with this id; throws AuditServiceError with status 404 when there is none. */
  get(id: string, options?: { tenant?: string }): Promise<StoredEventView>;
  /**
   * A resource's state replayed from the changes its events recorded, now or as of `at`; throws AuditServiceError
   * with status 404 when no event names the resource.
   */
  state(resource: { type: string; id: string }, options?: { at?: string | Date; tenant?: string }): Promise<ResourceStateView>;
}

/** GET /v1/resources/{type}/{id}/state: the replayed state, and which resource, tenant and instant it is for. */
export interface ResourceStateView extends ResourceState {
  tenant: string;
  resource: { type: string; id: string };
  /** The instant asked for, or null: now. */
  at: string | null;
}

function instant(value: string | Date | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}

export function createEventsApi(http: HttpTransport, defaultTenant: string | undefined): EventsApi {
  async function page(filter: EventFilter = {}): Promise<EventPage> {
    const body = await http.json<{ events?: unknown; next_cursor?: unknown }>({
      method: 'GET',
      path: '/v1/events',
      query: {
        tenant: filter.tenant ?? defaultTenant,
        actor_id: filter.actor_id,
        action: filter.action,
        resource_type: filter.resource_type,
        resource_id: filter.resource_id,
        outcome: filter.outcome,
        from: instant(filter.from),
        to: instant(filter.to),
        q: filter.q,
        limit: filter.limit,
        cursor: filter.cursor,
      },
    });
    if (!Array.isArray(body.events) || (body.next_cursor !== null && typeof body.next_cursor !== 'string')) {
      throw new AuditProtocolError('GET /v1/events answered without events[] and next_cursor');
    }
    return { events: body.events as StoredEventView[], nextCursor: body.next_cursor };
  }

  async function* list(filter: EventFilter = {}): AsyncIterableIterator<EventPage> {
    let cursor = filter.cursor;
    for (;;) {
      const next = await page(cursor === undefined ? filter : { ...filter, cursor });
      yield next;
      if (next.nextCursor === null) return;
      cursor = next.nextCursor;
    }
  }

  async function* iterate(filter: EventFilter = {}): AsyncIterableIterator<StoredEventView> {
    for await (const each of list(filter)) yield* each.events;
  }

  return {
    list,
    page,
    iterate,
    async get(id, options = {}) {
      return http.json<StoredEventView>({
        method: 'GET',
        path: `/v1/events/${encodeURIComponent(id)}`,
        query: { tenant: options.tenant ?? defaultTenant },
      });
    },
    async state(resource, options = {}) {
      const body = await http.json<ResourceStateView>({
        method: 'GET',
        path: `/v1/resources/${encodeURIComponent(resource.type)}/${encodeURIComponent(resource.id)}/state`,
        query: { tenant: options.tenant ?? defaultTenant, at: instant(options.at) },
      });
      if (typeof body.exists !== 'boolean' || typeof body.changes !== 'number') {
        throw new AuditProtocolError('GET /v1/resources/{type}/{id}/state answered without exists and changes');
      }
      return body;
    },
  };
}
