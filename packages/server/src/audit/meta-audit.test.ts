import { validateEventBody } from '@audit-ledger/core';
import { describe, expect, it } from 'vitest';
import { OPERATOR } from '../auth/principal.js';
import { metaAuditEvent } from './meta-audit.js';

describe('metaAuditEvent', () => {
  it('builds an event the ingest validator accepts, naming the key by id only', () => {
    const event = metaAuditEvent(
      { kind: 'key', keyId: 'k123', tenantId: 'acme', scopes: ['events:read:pii'] },
      { action: 'audit.events.read', resource: { type: 'event', id: 'e1' }, metadata: { count: 3 } },
    );
    expect(event.actor).toEqual({ id: 'api-key:k123', type: 'service' });
    expect(validateEventBody(event)).toMatchObject({ ok: true });
  });

  it('names the operator as a system actor', () => {
    const event = metaAuditEvent(OPERATOR, { action: 'audit.key.created', resource: { type: 'api-key', id: 'k1' } });
    expect(event.actor).toEqual({ id: 'operator', type: 'system', name: 'operator token' });
    expect(validateEventBody(event)).toMatchObject({ ok: true });
  });
});
