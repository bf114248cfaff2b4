import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPrivacyHarness, type PrivacyHarness, type StoreName } from '../privacy/privacy-harness.js';

type View = Record<string, any>;

const at = (minute: number): string => new Date(Date.UTC(2026, 10, 20, 9, minute)).toISOString();

/** The life of one invoice, as an application (or the outbox triggers) records it. */
function invoiceHistory(id: string): Record<string, unknown>[] {
  const base = { actor: { id: 'clerk-1', name: 'Ysolde Parrak' }, resource: { type: 'invoice', id } };
  return [
    { ...base, action: 'invoice.create', occurred_at: at(1), changes: { before: null, after: { status: 'draft', total: 100, lines: 2 } } },
    { ...base, action: 'invoice.update', occurred_at: at(2), changes: { before: { status: 'draft', total: 100 }, after: { status: 'sent', total: 120 } } },
    { ...base, action: 'invoice.read', occurred_at: at(3) },
    { ...base, action: 'invoice.update', occurred_at: at(4), changes: { before: { lines: 2 }, after: {} } },
    { ...base, action: 'invoice.delete', occurred_at: at(5), changes: { before: { status: 'sent', total: 120 }, after: null } },
  ];
}

describe.each<StoreName>(['PGlite', 'PostgreSQL'])('GET /v1/resources/{type}/{id}/state on %s', (storeName) => {
  const tenant = 'ledgerco';
  let h: PrivacyHarness;
  let writer: string;
  let reader: string;
  let piiReader: string;
  let stranger: string;
  const acks: { id: string; seq: number }[] = [];

  beforeAll(async () => {
    h = await openPrivacyHarness(storeName);
    await h.createTenant(tenant);
    await h.createTenant('elsewhere');
    [writer, reader, piiReader, stranger] = await Promise.all([
      h.mintKey(tenant, ['events:write']),
      h.mintKey(tenant, ['events:read']),
      h.mintKey(tenant, ['events:read:pii']),
      h.mintKey('elsewhere', ['events:read', 'events:read:pii']),
    ]);
    acks.push(...(await h.write(writer, invoiceHistory('inv-7'))));
    // Another invoice's events must not leak into inv-7's state.
    await h.write(writer, [{ ...invoiceHistory('inv-8')[0], changes: { before: null, after: { status: 'void' } } }]);
  });

  afterAll(async () => {
    await h?.close();
  });

  const state = (path: string, token: string) => h.call({ method: 'GET', url: `/v1/resources/${path}` }, token);

  it('replays the whole history: a delete leaves no state, and says which event changed it last', async () => {
    const response = await state('invoice/inv-7/state', reader);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      tenant,
      resource: { type: 'invoice', id: 'inv-7' },
      at: null,
      state: null,
      exists: false,
      changes: 4,
      events: 5,
      last_change: { seq: acks[4]!.seq, id: acks[4]!.id, action: 'invoice.delete', occurred_at: at(5), actor_id: 'clerk-1' },
    });
  });

  it('answers the state as of an instant: masked without events:read:pii, in clear with it, and records that read', async () => {
    const masked = (await state(`invoice/inv-7/state?at=${at(4)}`, reader)).json<View>();
    // Change values are personal data by default: the reader sees which fields exist, not their values.
    expect(masked).toMatchObject({ exists: true, changes: 3, events: 4, state: { status: '[masked]', total: '[masked]' } });
    expect(Object.keys(masked.state as object).sort()).toEqual(['status', 'total']);

    const clear = (await state(`invoice/inv-7/state?at=${encodeURIComponent(at(2))}`, piiReader)).json<View>();
    expect(clear).toMatchObject({ at: at(2), exists: true, changes: 2, events: 2, state: { status: 'sent', total: 120, lines: 2 } });
    const recorded = await h.json<View>({ method: 'GET', url: '/v1/events?action=audit.events.read&limit=1' }, reader);
    expect(recorded.events[0]).toMatchObject({
      resource: { type: 'invoice', id: 'inv-7' },
      metadata: { count: 2, filter: { resource_type: 'invoice', resource_id: 'inv-7', at: at(2) } },
    });
  });

  it('is 404 for a resource no event names, in this tenant, and 400 for a malformed instant', async () => {
    expect((await state('invoice/inv-404/state', reader)).statusCode).toBe(404);
    expect((await state(`invoice/inv-7/state?at=${at(0)}`, reader)).statusCode).toBe(404);
    const foreign = await state('invoice/inv-7/state', stranger);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toContain('clerk-1');
    const malformed = await state('invoice/inv-7/state?at=yesterday', reader);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
