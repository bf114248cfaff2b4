import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLog } from '../support/captured-log.js';
import { event, openHarness, OPERATOR_TOKEN, type Harness } from './http-harness.js';

let h: Harness;
const { lines, logger } = capturedLog();

beforeAll(async () => {
  h = await openHarness({ logger });
});

afterAll(async () => {
  await h.close();
});

describe('request logs', () => {
  it('never contain a bearer token or a minted key, even with headers logged', async () => {
    await h.createTenant('acme');
    const minted = await h.mintKey('acme', ['events:write', 'events:read']);
    const secretPart = minted.key.slice(21);
    await h.call({ method: 'POST', url: '/v1/events', payload: event() }, minted.key);
    await h.call({ method: 'GET', url: '/v1/events?limit=1' }, minted.key);
    await h.call({ method: 'GET', url: '/v1/events' }, `${minted.key.slice(0, 21)}${'B'.repeat(43)}`);
    await h.call({ method: 'GET', url: '/v1/tenants' }, 'alo_wrong-operator-token');
    await h.call({ method: 'GET', url: '/v1/events' }, OPERATOR_TOKEN);

    const log = lines.join('');
    expect(lines.length, 'the logger captured the requests').toBeGreaterThan(10);
    expect(log).toContain('/v1/events');
    expect(log).toContain('"authorization":"[redacted]"');
    for (const secret of [OPERATOR_TOKEN, minted.key, secretPart, 'alo_wrong-operator-token', 'B'.repeat(43)]) {
      expect(log).not.toContain(secret);
    }
  });
});
