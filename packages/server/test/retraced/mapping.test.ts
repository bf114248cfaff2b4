import { ACTION_PATTERN, TENANT_PATTERN, validateEventBody } from '@audit-ledger/core';
import fc from 'fast-check';
import { v5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { toLedgerAction } from '../../src/retraced/action-name.js';
import { ledgerEventId } from '../../src/retraced/derived-event-id.js';
import { tenantForGroup } from '../../src/retraced/group-tenant.js';
import { retracedPath, toLedgerEvent } from '../../src/retraced/map-event.js';
import { parseRetracedAuthorization } from '../../src/retraced/retraced-authorization.js';
import { parseRetracedSearch } from '../../src/retraced/search-query.js';

const KEY = 'alk_0123456789abcdef_' + 'A'.repeat(43);

describe('action names', () => {
  it('keeps names that follow our rule and maps the others deterministically', () => {
    expect(toLedgerAction('user.login')).toBe('user.login');
    expect(toLedgerAction('login')).toBe('retraced.login');
    expect(toLedgerAction('User.Login')).toBe('user.login');
    expect(toLedgerAction('Create User')).toBe('retraced.create_user');
    expect(toLedgerAction('kubernetes.pod..create')).toBe('kubernetes.pod.create');
    expect(toLedgerAction('_private.-thing')).toBe('x_private.x-thing');
    expect(toLedgerAction('...')).toBe('retraced.unnamed');
  });

  it('always yields a valid name of at most 128 characters, the same one every time', () => {
    const valid = new RegExp(ACTION_PATTERN);
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1, maxLength: 300 }), fc.stringMatching(/^[A-Za-z._ -]{1,400}$/)), (action) => {
        const name = toLedgerAction(action);
        expect(name).toMatch(valid);
        expect(name.length).toBeLessThanOrEqual(128);
        expect(toLedgerAction(action)).toBe(name);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps long actions with a shared prefix apart', () => {
    const base = `${'a'.repeat(60)}.${'b'.repeat(100)}`;
    expect(toLedgerAction(`${base}.one`)).not.toBe(toLedgerAction(`${base}.two`));
  });
});

describe('groups and tenants', () => {
  it('uses valid tenant ids as they are and derives distinct ids for the others', () => {
    expect(tenantForGroup('acme')).toBe('acme');
    expect(tenantForGroup('Acme_Corp')).toMatch(/^acme-corp-[0-9a-f]{16}$/);
    expect(tenantForGroup('acme_corp')).not.toBe(tenantForGroup('Acme_Corp'));
    expect(tenantForGroup('!!!')).toMatch(/^g-[0-9a-f]{16}$/);
    const valid = new RegExp(TENANT_PATTERN);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 256 }), (group) => {
        expect(tenantForGroup(group)).toMatch(valid);
      }),
    );
  });
});

describe('event ids', () => {
  it('keeps UUIDs (lower-cased) and derives RFC 9562 v5 UUIDs per tenant from other ids', () => {
    expect(ledgerEventId('acme', '0190F0A4-1C2B-7D3E-8F40-5A6B7C8D9E0F')).toBe('0190f0a4-1c2b-7d3e-8f40-5a6b7c8d9e0f');
    const derived = ledgerEventId('acme', 'evt-42');
    expect(derived).toBe(v5('acme:evt-42', '6f1c1f0e-4b2a-4e8c-9d3a-7b5e2c8f4a10'));
    expect(derived).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ledgerEventId('acme', 'evt-42')).toBe(derived);
    expect(ledgerEventId('globex', 'evt-42')).not.toBe(derived);
  });
});

describe('mapping a Retraced event', () => {
  it('maps every member and keeps what has no place of its own in metadata', () => {
    const input = toLedgerEvent(
      {
        id: 'evt-1',
        action: 'Login',
        group: { id: 'Acme_Corp', name: 'Acme' },
        crud: 'r',
        created: '2024-05-01T12:00:00.000Z',
        actor: { id: 'u1', name: 'Ada', href: 'https://x/u1', fields: { dept: 'eng' } },
        target: { id: 'doc-1', name: 'Plan', href: 'https://x/d1', type: 'document', fields: { size: 3 } },
        source_ip: '203.0.113.7',
        description: 'Ada logged in',
        is_failure: true,
        is_anonymous: false,
        fields: { reason: 'sso' },
        component: 'web',
        version: '1.2.3',
        external_id: 'ext-1',
        metadata: { trace: 't-1' },
      },
      { tenant: 'acme-corp-0011223344556677', projectId: 'proj-1', id: '6f9619ff-8b86-5011-b42d-00c04fc964ff' },
    );
    expect(input).toEqual({
      id: '6f9619ff-8b86-5011-b42d-00c04fc964ff',
      action: 'retraced.login',
      actor: { id: 'u1', type: 'user', name: 'Ada' },
      resource: { type: 'document', id: 'doc-1', name: 'Plan' },
      outcome: 'failure',
      occurred_at: '2024-05-01T12:00:00.000Z',
      context: { ip: '203.0.113.7' },
      metadata: {
        fields: { reason: 'sso' },
        retraced: {
          project_id: 'proj-1',
          event_id: 'evt-1',
          action: 'Login',
          group_id: 'Acme_Corp',
          group_name: 'Acme',
          crud: 'r',
          description: 'Ada logged in',
          component: 'web',
          version: '1.2.3',
          external_id: 'ext-1',
          actor_href: 'https://x/u1',
          actor_fields: { dept: 'eng' },
          target_href: 'https://x/d1',
          target_fields: { size: 3 },
          metadata: { trace: 't-1' },
        },
      },
    });
    expect(validateEventBody(input, { now: new Date('2024-05-01T12:00:00Z') }).ok).toBe(true);
  });

  it('fills in an actor and a resource when the event has none', () => {
    const anonymous = toLedgerEvent({ action: 'page.view', is_anonymous: true }, { tenant: 'acme', projectId: 'p' });
    expect(anonymous.actor).toEqual({ id: 'anonymous', type: 'user' });
    expect(anonymous.resource).toEqual({ type: 'tenant', id: 'acme' });
    expect(anonymous.metadata).toEqual({ retraced: { project_id: 'p', is_anonymous: true, no_actor: true, no_target: true } });
    const system = toLedgerEvent({ action: 'job.run', actor: null, target: {} }, { tenant: 'acme', projectId: 'p' });
    expect(system.actor).toEqual({ id: 'system', type: 'system' });
    expect(system.outcome).toBe('success');
    expect(system.id).toBeUndefined();
  });

  it('points validation errors back at the Retraced members', () => {
    expect(retracedPath('/context/ip')).toBe('/source_ip');
    expect(retracedPath('/occurred_at')).toBe('/created');
    expect(retracedPath('/resource/type')).toBe('/target/type');
    expect(retracedPath('/metadata/fields/a')).toBe('/fields/a');
    expect(retracedPath('/metadata/retraced/actor_fields/x')).toBe('/actor/fields/x');
    expect(retracedPath('/changed_fields')).toBe('');
  });
});

describe('the Authorization header', () => {
  it.each([
    [`token=${KEY}`, KEY],
    [`Token token=${KEY}`, KEY],
    [`token token="${KEY}"`, KEY],
    [`Bearer ${KEY}`, KEY],
    ['Basic abc', null],
    ['token=', null],
    [undefined, null],
  ])('%s', (header, token) => {
    expect(parseRetracedAuthorization(header)).toBe(token);
  });
});

describe('the search syntax', () => {
  it('parses what the official client writes', () => {
    const search = parseRetracedSearch(
      'action:"user.login" crud:r received:2024-01-01T00:00:00.000Z, created:,2024-02-01T00:00:00.000Z ' +
        'actor.name:"Ada L" actor.id:u1 description:"logged in" external_id:e-1 target.type:document free "a phrase"',
    );
    expect(search).toEqual({
      filter: {
        action: 'user.login',
        to: new Date('2024-02-01T00:00:00.000Z'),
        actorId: 'u1',
        resourceType: 'document',
        q: 'free "a phrase"',
      },
      residual: {
        crud: 'r',
        receivedFrom: Date.parse('2024-01-01T00:00:00.000Z'),
        actorName: 'ada l',
        description: 'logged in',
        externalId: 'e-1',
      },
    });
  });

  it('maps actions like the writer, with prefixes and originals', () => {
    expect(parseRetracedSearch('action:Login')).toMatchObject({
      filter: { action: 'retraced.login' },
      residual: { action: 'Login' },
    });
    expect(parseRetracedSearch('action:user.*').filter).toEqual({ action: 'user.', actionPrefix: true });
    expect(parseRetracedSearch('group.id:acme').groupId).toBe('acme');
    expect(parseRetracedSearch('')).toEqual({ filter: {}, residual: {} });
  });

  it.each([
    ['location:"Berlin"', /geolocation/],
    ['crud:x', /crud/],
    ['created:yesterday,', /RFC 3339/],
    ['created:2024-02-01T00:00:00Z,2024-01-01T00:00:00Z', /before the start/],
    ['action:"unterminated', /quote/],
    ['color:red', /unknown/],
    ['actor.id:a actor.id:b', /twice/],
  ])('refuses %s', (query, message) => {
    expect(() => parseRetracedSearch(query)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ message: expect.stringMatching(message) })] }),
    );
  });
});
