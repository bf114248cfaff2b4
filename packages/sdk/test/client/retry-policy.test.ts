import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyFailure, issuesByEvent } from '../../src/client/classify-failure.js';
import { AuditNetworkError, AuditServiceError } from '../../src/client/errors.js';
import { parseRetryAfter } from '../../src/client/http-transport.js';

const problem = (status: number, errors?: { path: string; message: string }[]) =>
  new AuditServiceError(status, { type: 'about:blank', title: 't', status, detail: 'd', ...(errors ? { errors } : {}) });

describe('back-off', () => {
  it('draws uniformly below a ceiling that doubles per attempt up to maxDelayMs', () => {
    expect(backoffDelay(1, 100, 30_000, () => 0)).toBe(0);
    expect(backoffDelay(1, 100, 30_000, () => 0.999_999)).toBe(99);
    expect(backoffDelay(4, 100, 30_000, () => 0.5)).toBe(400);
    expect(backoffDelay(40, 100, 30_000, () => 0.999_999)).toBe(29_999);
  });

  it('reads Retry-After as seconds or as an HTTP date, and ignores anything else', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 18:00:10 GMT', Date.parse('2026-11-22T18:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe('what a failure means for a batch', () => {
  it('retries network errors, 408, 429 and 5xx, carrying Retry-After', () => {
    expect(classifyFailure(new AuditNetworkError('reset'), 3)).toEqual({ action: 'retry', retryAfterMs: null });
    expect(classifyFailure(new AuditServiceError(429, null, 2000), 3)).toEqual({ action: 'retry', retryAfterMs: 2000 });
    for (const status of [408, 500, 502, 503, 504]) expect(classifyFailure(problem(status), 3).action).toBe('retry');
  });

  it('drops exactly the events a 400 names, bisects what it cannot attribute, rejects the rest', () => {
    const named = classifyFailure(problem(400, [{ path: '/events/2/actor/id', message: 'x' }, { path: '/events/9', message: 'y' }]), 3);
    expect(named).toEqual({ action: 'drop', issues: new Map([[2, [{ path: '/actor/id', message: 'x' }]]]) });
    expect(classifyFailure(problem(400, [{ path: '/events', message: 'too many' }]), 3)).toEqual({ action: 'bisect', reason: 'invalid' });
    expect(classifyFailure(problem(409), 3)).toEqual({ action: 'bisect', reason: 'conflict' });
    expect(classifyFailure(problem(413), 3)).toEqual({ action: 'bisect', reason: 'refused' });
    expect(classifyFailure(problem(401), 3)).toEqual({ action: 'reject', reason: 'refused' });
    expect(classifyFailure(problem(404), 3)).toEqual({ action: 'reject', reason: 'refused' });
  });

  it('groups issues by event with paths relative to the event', () => {
    const grouped = issuesByEvent(
      [
        { path: '/events/0', message: 'a' },
        { path: '/events/0/resource/id', message: 'b' },
        { path: '/events/1/action', message: 'c' },
      ],
      2,
    );
    expect([...grouped]).toEqual([
      [0, [{ path: '', message: 'a' }, { path: '/resource/id', message: 'b' }]],
      [1, [{ path: '/action', message: 'c' }]],
    ]);
  });
});
