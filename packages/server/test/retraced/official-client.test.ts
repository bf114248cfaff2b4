import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Event, type EventNodeMask } from '@retracedhq/retraced';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantForGroup } from '../../src/retraced/group-tenant.js';
import { killAllServices, startService, type ServiceProcess } from '../support/service-process.js';

const ADMIN = 'operator-token-for-the-retraced-client-test';
const MASK: EventNodeMask = {
  id: true,
  action: true,
  crud: true,
  description: true,
  group: { id: true, name: true },
  actor: { id: true, name: true, href: true },
  target: { id: true, type: true, name: true },
  is_failure: true,
  source_ip: true,
  created: true,
  received: true,
  fields: true,
  external_id: true,
  metadata: true,
  component: true,
  version: true,
};

let service: ServiceProcess;
let dataDir: string;
let tenantKey: string;
let platformKey: string;

/** A plain HTTP call to the service's own API (Bearer auth). */
async function api<T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as T };
}

const client = (apiKey: string) =>
  new Client({ apiKey, projectId: 'billing-prod', endpoint: `${service.url}/auditlog`, component: 'billing', version: '2.4.1' });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'al-retraced-'));
  service = await startService({ adminToken: ADMIN, dataDir, name: 'retraced-client' });
  expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await api('POST', '/v1/tenants', ADMIN, { id: 'acme', name: 'Acme' })).status).toBe(201);
  const tenant = await api<{ key: string }>('POST', '/v1/tenants/acme/api-keys', ADMIN, {
    name: 'retraced',
    scopes: ['events:write', 'events:read', 'log:read'],
  });
  const platform = await api<{ key: string }>('POST', '/v1/api-keys', ADMIN, {
    name: 'retraced platform',
    scopes: ['events:write', 'events:read:pii', 'log:read'],
  });
  expect([tenant.status, platform.status]).toEqual([201, 201]);
  tenantKey = tenant.json.key;
  platformKey = platform.json.key;
});

afterAll(async () => {
  await service?.stop();
  await killAllServices();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('the official Retraced client (@retracedhq/retraced) against the service', () => {
  const reported: string[] = [];

  it('reports events with a tenant key; the client accepts every receipt hash', async () => {
    const retraced = client(tenantKey);
    const full: Event = {
      action: 'invoice.update',
      group: { id: 'acme', name: 'Acme Inc.' },
      crud: 'u',
      created: new Date(Date.now() - 60_000),
      actor: { id: 'user:42', name: 'Ada Lovelace', href: 'https://app.example/users/42' },
      target: { id: 'inv-7', name: 'Invoice #7', type: 'invoice', href: 'https://app.example/invoices/7' },
      source_ip: '203.0.113.9',
      description: 'Ada changed the due date',
      is_failure: false,
      is_anonymous: false,
      fields: { field: 'due_date', 'a:b=c;d': '50% off' },
      external_id: 'ext:7',
      metadata: { trace: 'abc=1;2' },
    };
    reported.push(await retraced.reportEvent(full));
    // Without a group (the key's tenant), without an actor or target, and with an action we must map.
    reported.push(await retraced.reportEvent({ action: 'Login', is_anonymous: true }));
    reported.push(
      ...(await retraced.reportEvents([
        { action: 'invoice.view', crud: 'r', actor: { id: 'user:42' }, target: { id: 'inv-7', type: 'invoice' } },
        { action: 'invoice.view', crud: 'r', actor: { id: 'user:43' }, target: { id: 'inv-8', type: 'invoice' } },
        { action: 'invoice.delete', crud: 'd', actor: { id: 'user:43' }, is_failure: true, group: { id: 'acme' } },
      ])),
    );
    expect(reported).toHaveLength(5);
    expect(new Set(reported).size).toBe(5);
  });

  it('refuses, through the client, an event for another group', async () => {
    await expect(client(tenantKey).reportEvent({ action: 'user.login', group: { id: 'globex' } })).rejects.toThrow(
      /Unexpected HTTP response: 400/,
    );
  });

  it('pages through query() results the way the client expects', async () => {
    const connection = await client(tenantKey).query({ action: 'invoice.view' }, MASK, 1);
    expect(connection.totalCount).toBe(2);
    expect(connection.totalPages()).toBe(2);
    const seen = [...connection.currentResults];
    expect(connection.hasNextPage()).toBe(true);
    await connection.nextPage();
    seen.push(...connection.currentResults);
    expect(connection.hasNextPage()).toBe(false);
    expect(seen.map((node) => node.actor?.id)).toEqual(['user:43', 'user:42']);
    expect(seen.map((node) => node.id)).toEqual([reported[3], reported[2]]);

    const all = await client(tenantKey).query({ created_start: new Date(Date.now() - 3_600_000) }, MASK, 10);
    const first = all.currentResults.find((node) => node.id === reported[0]);
    expect(first).toMatchObject({
      action: 'invoice.update',
      crud: 'u',
      description: 'Ada changed the due date',
      group: { id: 'acme', name: 'Acme Inc.' },
      actor: { id: 'user:42', name: '[masked]', href: 'https://app.example/users/42' },
      target: { id: 'inv-7', type: 'invoice', name: 'Invoice #7' },
      fields: { field: 'due_date', 'a:b=c;d': '50% off' },
      // The client turns `fields` into a map but hands `metadata` on as Retraced's key/value list.
      metadata: [{ key: 'trace', value: 'abc=1;2' }],
      external_id: 'ext:7',
      component: 'billing',
      version: '2.4.1',
      is_failure: false,
    });
    expect(first?.created).toBeInstanceOf(Date);
    const login = all.currentResults.find((node) => node.id === reported[1]);
    expect(login).toMatchObject({ action: 'Login', actor: null, target: null });
  });

  it('reports with a platform key for any group, creating its tenant on the first event', async () => {
    const retraced = client(platformKey);
    const id = await retraced.reportEvent({
      action: 'user.login',
      group: { id: 'Umbrella_Corp', name: 'Umbrella' },
      actor: { id: 'wesker', name: 'Albert Wesker' },
      source_ip: '2001:db8::7',
    });
    const bulk = await retraced.reportEvents([
      { action: 'user.logout', group: { id: 'Umbrella_Corp' }, actor: { id: 'wesker' } },
      { action: 'report.export', group: { id: 'Umbrella_Corp' }, actor: { id: 'wesker' }, crud: 'r' },
    ]);
    expect(bulk).toHaveLength(2);
    const tenant = tenantForGroup('Umbrella_Corp');
    const events = await api<{ events: { id: string; action: string; actor: { name?: string } }[] }>(
      'GET',
      `/v1/events?tenant=${tenant}&limit=10`,
      platformKey,
    );
    expect(events.status).toBe(200);
    const written = events.json.events.filter((event) => event.action !== 'audit.events.read');
    expect(written.map((event) => event.action)).toEqual(['report.export', 'user.logout', 'user.login']);
    expect(written.at(-1)).toMatchObject({ id, actor: { name: 'Albert Wesker' } });
  });

  it('tells a platform key to name the group when it queries, and refuses viewer tokens clearly', async () => {
    await expect(client(platformKey).query({ action: 'user.login' }, MASK, 10)).rejects.toThrow(
      /Unexpected HTTP response: 400/,
    );
    await expect(client(tenantKey).getViewerToken('acme', 'user:42', false)).rejects.toThrow(
      /Unexpected HTTP response: 501/,
    );
  });

  it('leaves every event in the tamper-evident logs: verified, checkpointed, listed', async () => {
    const acme = await api<{ ok: boolean; size: number; failures: unknown[] }>('GET', '/v1/log/verify', tenantKey);
    expect(acme.json).toMatchObject({ ok: true, failures: [] });
    const listed = await api<{ events: { id: string; metadata?: { retraced?: { event_id?: string } } }[] }>(
      'GET',
      '/v1/events?limit=100',
      tenantKey,
    );
    const ids = listed.json.events.map((event) => event.id);
    for (const id of reported) expect(ids).toContain(id);
    expect(acme.json.size).toBeGreaterThanOrEqual(reported.length);

    const umbrella = await api<{ ok: boolean; size: number }>(
      'GET',
      `/v1/log/verify?tenant=${tenantForGroup('Umbrella_Corp')}`,
      platformKey,
    );
    expect(umbrella.json).toMatchObject({ ok: true });
    expect(umbrella.json.size).toBeGreaterThanOrEqual(3);
    const checkpoint = await fetch(`${service.url}/v1/log/checkpoint`, { headers: { authorization: `Bearer ${tenantKey}` } });
    expect(checkpoint.status).toBe(200);
    expect((await checkpoint.text()).split('\n')[1]).toMatch(/^\d+$/);
  });
});
