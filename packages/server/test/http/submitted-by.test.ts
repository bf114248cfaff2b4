import { fromBase64, utf8 } from '@audit-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPrivacyHarness, OPERATOR, type PrivacyHarness, type StoreName } from '../privacy/privacy-harness.js';

type View = Record<string, any>;

describe.each<StoreName>(['PGlite', 'PostgreSQL'])('submitted_by on %s', (storeName) => {
  const tenant = 'stampco';
  let h: PrivacyHarness;
  const keys: Record<'first' | 'second' | 'reader' | 'log', { id: string; key: string }> = {} as never;

  async function mint(scopes: string[]): Promise<{ id: string; key: string }> {
    return h.json({ method: 'POST', url: `/v1/tenants/${tenant}/api-keys`, payload: { name: 'stamp test', scopes } }, OPERATOR, 201);
  }

  beforeAll(async () => {
    h = await openPrivacyHarness(storeName);
    await h.createTenant(tenant);
    keys.first = await mint(['events:write']);
    keys.second = await mint(['events:write']);
    keys.reader = await mint(['events:read']);
    keys.log = await mint(['log:read']);
  });

  afterAll(async () => {
    await h?.close();
  });

  const id = '0190f3d2-7a6b-7c1d-8e2f-00000000beef';
  const event = { id, action: 'invoice.approve', actor: { id: 'u-1' }, resource: { type: 'invoice', id: 'inv-1' } };

  it('seals the id of the key that sent the event into its leaf', async () => {
    const [ack] = await h.write(keys.first.key, [event]);
    const view = await h.json<View>({ method: 'GET', url: `/v1/events/${id}` }, keys.reader.key);
    expect(view.submitted_by).toBe(keys.first.id);
    const entries = await h.json<View>({ method: 'GET', url: `/v1/log/entries?start=${ack!.seq}&end=${ack!.seq + 1}` }, keys.log.key);
    expect(utf8.decode(fromBase64(entries.entries[0].leaf))).toContain(`"submitted_by":"${keys.first.id}"`);
  });

  it('answers a retry sent with another key as the same event, and keeps the first sender', async () => {
    const [first] = await h.write(keys.first.key, [event]);
    const [retry] = await h.write(keys.second.key, [event]);
    expect(retry).toEqual(first);
    const view = await h.json<View>({ method: 'GET', url: `/v1/events/${id}` }, keys.reader.key);
    expect(view.submitted_by).toBe(keys.first.id);
  });

  it('cannot be set by a producer', async () => {
    const forged = await h.call(
      { method: 'POST', url: '/v1/events', payload: { ...event, id: undefined, submitted_by: keys.second.id } },
      keys.first.key,
    );
    expect(forged.statusCode).toBe(400);
    expect(forged.json<View>().errors).toEqual([expect.objectContaining({ path: '/submitted_by' })]);
  });

  it('is absent on what the service records itself', async () => {
    await h.json({ method: 'PUT', url: '/v1/settings/privacy', payload: { personal_data_paths: [] } }, (await mint(['admin'])).key);
    const recorded = await h.json<View>({ method: 'GET', url: '/v1/events?action=audit.*&limit=1' }, keys.reader.key);
    expect(recorded.events).toHaveLength(1);
    expect(recorded.events[0]).not.toHaveProperty('submitted_by');
  });
});
