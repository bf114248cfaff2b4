import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, openHarness, type Harness } from './http-harness.js';

let h: Harness;
let writer: string;

beforeAll(async () => {
  h = await openHarness();
  await h.createTenant('acme');
  writer = (await h.mintKey('acme', ['events:write'])).key;
});

afterAll(async () => {
  await h.close();
});

async function write(events: Record<string, unknown>[]): Promise<string[]> {
  const response = await h.call({ method: 'POST', url: '/v1/events', payload: { events } }, writer);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ events: { id: string }[] }>().events.map((e) => e.id);
}

interface Listed {
  id: string;
  seq: number;
  action: string;
  actor: { id: string; type?: string };
  resource: { type: string; id: string };
}

interface Page {
  events: Listed[];
  next_cursor: string | null;
}

/**
 * The entries the service itself writes when the operator mints a tenant's keys: one `audit.key.created` per key, in
 * minting order, newest first as a page lists them.
 */
function keyCreations(keyIds: readonly string[]): unknown[] {
  return [...keyIds].reverse().map((id) =>
    expect.objectContaining({
      action: 'audit.key.created',
      actor: expect.objectContaining({ id: 'operator' }),
      resource: expect.objectContaining({ type: 'api_key', id }),
    }),
  );
}

describe('personal data', () => {
  let id: string;
  let masked: Record<string, unknown>;
  let clear: Record<string, unknown>;

  beforeAll(async () => {
    [id] = (await write([
      event({
        actor: { id: 'user-7', name: 'Grace Hopper', email: 'grace@example.com' },
        context: { ip: '198.51.100.4', user_agent: 'curl/8', request_id: 'req-9' },
        changes: { before: { email: 'old@example.com', plan: 'free' }, after: { email: 'new@example.com', plan: 'pro' } },
      }),
    ])) as [string];
    const reader = (await h.mintKey('acme', ['events:read'])).key;
    // events:read:pii reads on its own: it is events:read with personal data in clear.
    const piiReader = (await h.mintKey('acme', ['events:read:pii'])).key;
    masked = (await h.call({ method: 'GET', url: `/v1/events/${id}` }, reader)).json();
    clear = (await h.call({ method: 'GET', url: `/v1/events/${id}` }, piiReader)).json();
    // Reads that reveal personal data are themselves recorded in the log (audit.events.read), so list the event's action.
    const listed = '/v1/events?action=document.update';
    const listedMasked = (await h.call({ method: 'GET', url: listed }, reader)).json<{ events: unknown[] }>();
    const listedClear = (await h.call({ method: 'GET', url: listed }, piiReader)).json<{ events: unknown[] }>();
    expect(listedMasked.events[0]).toEqual(masked);
    expect(listedClear.events[0]).toEqual(clear);
  });

  it('is masked for readers without events:read:pii, keeping ids and changed fields', () => {
    expect(masked).toMatchObject({
      actor: { id: 'user-7', name: '[masked]', email: '[masked]' },
      context: { ip: '[masked]', user_agent: '[masked]', request_id: 'req-9' },
      changes: { before: { email: '[masked]', plan: '[masked]' }, after: { email: '[masked]', plan: '[masked]' } },
      changed_fields: ['email', 'plan'],
    });
    expect(JSON.stringify(masked)).not.toMatch(/Grace|grace@|198\.51|curl|old@|new@/);
  });

  it('is shown to readers with events:read:pii, which reads on its own', () => {
    expect(clear).toMatchObject({
      actor: { id: 'user-7', name: 'Grace Hopper', email: 'grace@example.com' },
      context: { ip: '198.51.100.4', user_agent: 'curl/8' },
      changes: { before: { email: 'old@example.com' }, after: { email: 'new@example.com' } },
    });
  });

  it('does not change the hashes a reader sees', () => {
    expect(masked['leaf_hash']).toBe(clear['leaf_hash']);
    expect(masked['chain_hash']).toBe(clear['chain_hash']);
  });
});

describe('paging', () => {
  it('walks 250 events 100 at a time, newest first, never skipping or repeating while more are written', async () => {
    await h.createTenant('paging');
    const pagingWriterKey = await h.mintKey('paging', ['events:write']);
    const readerKey = await h.mintKey('paging', ['events:read']);
    const pagingWriter = pagingWriterKey.key;
    const reader = readerKey.key;
    const writeBatch = async (count: number, tag: string) => {
      const response = await h.call(
        { method: 'POST', url: '/v1/events', payload: { events: Array.from({ length: count }, () => event({ metadata: { tag } })) } },
        pagingWriter,
      );
      expect(response.statusCode, response.body).toBe(201);
      return response.json<{ events: { id: string }[] }>().events.map((e) => e.id);
    };
    const original = await writeBatch(250, 'original');

    const seen: Listed[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/events?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`;
      // A write lands between every two pages, and another races each page request.
      const [answer] = await Promise.all([h.call({ method: 'GET', url }, reader), writeBatch(7, `racing-${pages}`)]);
      expect(answer.statusCode, answer.body).toBe(200);
      const page = answer.json<Page>();
      seen.push(...page.events);
      cursor = page.next_cursor;
      pages += 1;
      await writeBatch(5, `between-${pages}`);
    } while (cursor !== null);

    expect(pages).toBe(3);
    const seqs = seen.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    // The first page may already hold events that raced it; below them, nothing written later shows up.
    const originals = seen.filter((e) => original.includes(e.id)).map((e) => e.id);
    expect(originals).toEqual([...original].reverse());
    // Oldest of all: the service's records of the two keys being minted (seq 0 and 1), which the walk reaches too.
    expect(seen.slice(-2)).toEqual(keyCreations([pagingWriterKey.id, readerKey.id]));
    expect(seen.slice(-2).map((e) => e.seq)).toEqual([1, 0]);
    expect(seen.slice(-252, -2).map((e) => e.id)).toEqual([...original].reverse());
    // Everything else the walk saw is a producer event: the racing and in-between writes, none of the service's own.
    expect(seen.slice(0, -2).filter((e) => e.action !== 'document.update')).toEqual([]);
  });

  it('ends with next_cursor null when the last page is exactly full', async () => {
    await h.createTenant('exact');
    const writerKey = await h.mintKey('exact', ['events:write']);
    const readerKey = await h.mintKey('exact', ['events:read']);
    const [w, r] = [writerKey.key, readerKey.key];
    // Six entries: the two keys' audit.key.created records (seq 0 and 1), then four producer events (seq 2 to 5).
    await h.call({ method: 'POST', url: '/v1/events', payload: { events: Array.from({ length: 4 }, () => event()) } }, w);
    const first = (await h.call({ method: 'GET', url: '/v1/events?limit=2' }, r)).json<Page>();
    expect(first.events.map((e) => [e.seq, e.action])).toEqual([[5, 'document.update'], [4, 'document.update']]);
    expect(first.next_cursor).not.toBeNull();
    const second = (await h.call({ method: 'GET', url: `/v1/events?limit=2&cursor=${first.next_cursor}` }, r)).json<Page>();
    expect(second.events.map((e) => [e.seq, e.action])).toEqual([[3, 'document.update'], [2, 'document.update']]);
    expect(second.next_cursor).not.toBeNull();
    const third = (await h.call({ method: 'GET', url: `/v1/events?limit=2&cursor=${second.next_cursor}` }, r)).json<Page>();
    expect(third.events).toEqual(keyCreations([writerKey.id, readerKey.id]));
    expect(third.events.map((e) => e.seq)).toEqual([1, 0]);
    expect(third.next_cursor).toBeNull();
  });

  it('keeps the filters across pages and allows a different page size', async () => {
    await h.createTenant('filtered');
    const writerKey = await h.mintKey('filtered', ['events:write']);
    const readerKey = await h.mintKey('filtered', ['events:read']);
    const [w, r] = [writerKey.key, readerKey.key];
    const events = Array.from({ length: 9 }, (_, i) => event({ actor: { id: i % 3 === 0 ? 'alice' : 'bob' } }));
    const written = await h.call({ method: 'POST', url: '/v1/events', payload: { events } }, w);
    // The two keys' audit.key.created records take seq 0 and 1, so the producer's nine events are seq 2 to 10.
    expect(written.json<{ events: { seq: number }[] }>().events.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const meta = (await h.call({ method: 'GET', url: '/v1/events?action=audit.key.created' }, r)).json<Page>();
    expect(meta).toEqual({ events: keyCreations([writerKey.id, readerKey.id]), next_cursor: null });
    expect(meta.events.map((e) => e.seq)).toEqual([1, 0]);
    const first = (await h.call({ method: 'GET', url: '/v1/events?actor_id=alice&limit=2' }, r)).json<Page>();
    expect(first.events.map((e) => e.seq)).toEqual([8, 5]);
    const rest = await h.call({ method: 'GET', url: `/v1/events?actor_id=alice&limit=50&cursor=${first.next_cursor}` }, r);
    expect(rest.json<Page>()).toEqual({ events: [expect.objectContaining({ seq: 2 })], next_cursor: null });
    const otherQuery = await h.call({ method: 'GET', url: `/v1/events?actor_id=bob&cursor=${first.next_cursor}` }, r);
    expect(otherQuery.statusCode).toBe(400);
  });

  it('refuses a cursor of another tenant', async () => {
    const r = (await h.mintKey('filtered', ['events:read'])).key;
    const other = (await h.mintKey('exact', ['events:read'])).key;
    const cursor = (await h.call({ method: 'GET', url: '/v1/events?limit=1' }, r)).json<Page>().next_cursor;
    expect(cursor).not.toBeNull();
    expect((await h.call({ method: 'GET', url: `/v1/events?limit=1&cursor=${cursor}` }, other)).statusCode).toBe(400);
  });
});
