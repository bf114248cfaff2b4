import { describe, expect, it } from 'vitest';
import type { SealedEvent } from './event-types.js';
import { SEARCH_METADATA_BUDGET, searchTextOf } from './search-text.js';

const event = (patch: Partial<SealedEvent> = {}): SealedEvent => ({
  id: '0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12',
  tenant: 'acme',
  seq: 0,
  received_at: '2024-06-01T12:00:00.000Z',
  occurred_at: '2024-06-01T12:00:00.000Z',
  action: 'document.update',
  actor: { id: 'u-1', type: 'service', name: 'Ada Lovelace', email: 'ada@example.com' },
  resource: { type: 'document', id: 'doc-9', name: 'Quarterly plan' },
  outcome: 'denied',
  changed_fields: ['salary'],
  context: {
    ip: '203.0.113.7',
    user_agent: 'SecretBrowser/1.0',
    request_id: 'req-77',
    session_id: 'sess-88',
    business_process: 'payroll_review',
    auth_method: 'oauth',
    role: 'auditor',
    reason: 'annual check',
  },
  changes: { before: { salary: 'hidden-before-value' }, after: { salary: 'hidden-after-value' } },
  metadata: { ticket: 'T-1234', nested: { list: ['alpha', 7, { deep: 'omega' }] } },
  classification: 'restricted',
  compliance_tags: ['SOX', 'GDPR'],
  retention_category: 'seven_years',
  subject_id: 'subject-secret-42',
  ...patch,
});

describe('searchTextOf', () => {
  it('includes the searchable facts', () => {
    const words = searchTextOf(event()).split(' ');
    for (const word of [
      'document.update', 'document', 'update', 'u-1', 'service', 'doc-9', 'Quarterly', 'plan', 'denied', 'req-77',
      'sess-88', 'payroll_review', 'auditor', 'annual', 'check', 'restricted', 'SOX', 'GDPR', 'seven_years',
      'T-1234', 'alpha', 'omega',
    ]) {
      expect(words).toContain(word);
    }
  });

  it('leaves out personal data and the data subject', () => {
    const text = searchTextOf(event());
    for (const secret of ['Ada', 'Lovelace', 'ada@example.com', '203.0.113.7', 'SecretBrowser', 'hidden-before-value',
      'hidden-after-value', 'subject-secret-42']) {
      expect(text).not.toContain(secret);
    }
  });

  it('is the same whatever key order the metadata comes back in', () => {
    const a = event({ metadata: { b: 'second', a: 'first', c: { y: 'y', x: 'x' } } });
    const b = event({ metadata: { c: { x: 'x', y: 'y' }, a: 'first', b: 'second' } });
    expect(searchTextOf(a)).toBe(searchTextOf(b));
    expect(searchTextOf(a).endsWith('first second x y')).toBe(true);
  });

  it('bounds the text taken from metadata', () => {
    const big = event({ metadata: { a: 'x'.repeat(10_000), b: 'never-reached' } });
    const text = searchTextOf(big);
    expect(text).not.toContain('never-reached');
    expect(text.length).toBeLessThanOrEqual(searchTextOf(event({ metadata: {} })).length + 1 + SEARCH_METADATA_BUDGET);
    expect(text).toContain('x'.repeat(SEARCH_METADATA_BUDGET - 100));
  });

  it('never cuts a surrogate pair in half', () => {
    const prefix = 'x'.repeat(SEARCH_METADATA_BUDGET - 1);
    const text = searchTextOf(event({ metadata: { a: `${prefix}😀😀` } }));
    expect(text.endsWith(prefix)).toBe(true);
    expect(/\p{Cs}/u.test(text)).toBe(false);
  });

  it('works for a minimal event', () => {
    const minimal: SealedEvent = {
      id: '0190b6d2-7c1e-7a3b-8f10-2b4c6d8e0f12',
      tenant: 'acme',
      seq: 0,
      received_at: '2024-06-01T12:00:00.000Z',
      occurred_at: '2024-06-01T12:00:00.000Z',
      action: 'user.login',
      actor: { id: 'u', type: 'user' },
      resource: { type: 'session', id: 's' },
      outcome: 'success',
      changed_fields: [],
    };
    expect(searchTextOf(minimal)).toBe('user.login user login u user session s success');
  });
});
