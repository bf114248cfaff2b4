import { describe, expect, it } from 'vitest';
import {
  contextualRecorder,
  currentAuditContext,
  MissingActorError,
  updateAuditContext,
  withAuditContext,
} from '../../src/context/index.js';
import { barrier, MemoryRecorder, tick } from './memory-recorder.js';

const alice = { id: 'u-alice', type: 'user' as const, name: 'Alice', email: 'alice@example.com' };
const bob = { id: 'u-bob', type: 'user' as const };
const resource = { type: 'document', id: 'doc-1' };

describe('audit context scopes', () => {
  it('is undefined outside any scope and visible across awaits inside one', async () => {
    expect(currentAuditContext()).toBeUndefined();
    const seen = await withAuditContext({ actor: alice, tenant: 'acme', request_id: 'r-1' }, async () => {
      await tick(1);
      await Promise.resolve();
      return currentAuditContext();
    });
    expect(seen).toEqual({ actor: alice, tenant: 'acme', request_id: 'r-1' });
    expect(currentAuditContext()).toBeUndefined();
  });

  it('nests: inner fields override outer ones, the actor is replaced whole, and the outer scope is restored', async () => {
    await withAuditContext({ actor: alice, tenant: 'acme', business_process: 'nightly-billing', ip: '10.0.0.1' }, async () => {
      const inner = await withAuditContext({ actor: bob, reason: 'ticket-7' }, async () => {
        await tick(1);
        return currentAuditContext();
      });
      expect(inner).toEqual({ actor: bob, tenant: 'acme', business_process: 'nightly-billing', ip: '10.0.0.1', reason: 'ticket-7' });
      expect(inner?.actor).not.toHaveProperty('name');
      expect(currentAuditContext()).toEqual({ actor: alice, tenant: 'acme', business_process: 'nightly-billing', ip: '10.0.0.1' });
    });
  });

  it('updates apply to the rest of the scope, not to enclosing scopes; null removes, undefined keeps', async () => {
    await withAuditContext({ tenant: 'acme', ip: '10.0.0.1' }, async () => {
      await withAuditContext({ request_id: 'r-2' }, async () => {
        await tick(1);
        updateAuditContext({ actor: alice, auth_method: 'password', ip: null, tenant: undefined });
        await tick(1);
        expect(currentAuditContext()).toEqual({ tenant: 'acme', request_id: 'r-2', actor: alice, auth_method: 'password' });
      });
      expect(currentAuditContext()).toEqual({ tenant: 'acme', ip: '10.0.0.1' });
    });
  });

  it('an update made later in a scope is seen by continuations that were already waiting', async () => {
    await withAuditContext({}, async () => {
      const waiting = (async () => {
        await tick(5);
        return currentAuditContext()?.actor;
      })();
      updateAuditContext({ actor: bob });
      expect(await waiting).toEqual(bob);
    });
  });

  it('refuses updates outside any scope', () => {
    expect(() => updateAuditContext({ actor: alice })).toThrow(/outside an audit context/);
  });

  it('hands out read-only values that do not change under later updates', async () => {
    await withAuditContext({ actor: alice }, () => {
      const before = currentAuditContext()!;
      expect(Object.isFrozen(before)).toBe(true);
      expect(Object.isFrozen(before.actor)).toBe(true);
      updateAuditContext({ actor: bob });
      expect(before.actor).toEqual(alice);
      expect(currentAuditContext()?.actor).toEqual(bob);
    });
  });

  it('copies the actor it is given, so mutating the caller object later changes nothing', () => {
    const actor = { id: 'u-carol' };
    withAuditContext({ actor }, () => {
      actor.id = 'u-mallory';
      expect(currentAuditContext()?.actor?.id).toBe('u-carol');
    });
  });

  it('keeps concurrent scopes apart while they interleave', async () => {
    const arrive = barrier(20);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withAuditContext({ actor: { id: `u-${i}` }, request_id: `r-${i}` }, async () => {
          await arrive();
          updateAuditContext({ role: `role-${i}` });
          await tick(20 - i);
          return currentAuditContext();
        }),
      ),
    );
    results.forEach((ctx, i) => expect(ctx).toEqual({ actor: { id: `u-${i}` }, request_id: `r-${i}`, role: `role-${i}` }));
  });
});

describe('contextualRecorder', () => {
  it('fills actor, tenant and context from the current scope', () => {
    const sink = new MemoryRecorder();
    const recorder = contextualRecorder(sink);
    withAuditContext({ actor: alice, tenant: 'acme', ip: '203.0.113.7', request_id: 'r-1', role: 'admin' }, () => {
      recorder.record({ action: 'document.update', resource });
    });
    expect(sink.events[0]).toMatchObject({
      action: 'document.update',
      actor: alice,
      tenant: 'acme',
      resource,
      context: { ip: '203.0.113.7', request_id: 'r-1', role: 'admin' },
    });
  });

  it('lets what the event says win, field by field for context and as a whole for the actor', () => {
    const sink = new MemoryRecorder();
    const recorder = contextualRecorder(sink);
    withAuditContext({ actor: alice, tenant: 'acme', ip: '203.0.113.7', request_id: 'r-1', reason: 'scope reason' }, () => {
      recorder.record({
        action: 'document.update',
        actor: bob,
        tenant: 'globex',
        resource,
        context: { reason: 'event reason', auth_method: 'api_key' },
      });
    });
    expect(sink.events[0]?.actor).toEqual(bob);
    expect(sink.events[0]?.tenant).toBe('globex');
    expect(sink.events[0]?.context).toEqual({
      ip: '203.0.113.7',
      request_id: 'r-1',
      reason: 'event reason',
      auth_method: 'api_key',
    });
  });

  it('does not modify the caller event or share objects with the scope', () => {
    const sink = new MemoryRecorder();
    const seen: unknown[] = [];
    const recorder = contextualRecorder({ record: (e) => (seen.push(e), sink.record(e)) });
    const event = { action: 'document.update', resource, context: { reason: 'x' } };
    withAuditContext({ actor: alice, ip: '10.0.0.1' }, () => {
      recorder.record(event);
      recorder.record({ action: 'document.read', resource });
      const second = seen[1] as { actor: { id: string }; context: { ip: string } };
      second.actor.id = 'changed';
      second.context.ip = 'changed';
      expect(currentAuditContext()).toEqual({ actor: alice, ip: '10.0.0.1' });
    });
    expect(event).toEqual({ action: 'document.update', resource, context: { reason: 'x' } });
  });

  it('uses the default actor only when neither the event nor the scope has one', () => {
    const sink = new MemoryRecorder();
    const worker = { id: 'billing-worker', type: 'service' as const };
    const recorder = contextualRecorder(sink, { defaultActor: worker });
    recorder.record({ action: 'invoice.create', resource });
    withAuditContext({ actor: alice }, () => recorder.record({ action: 'invoice.update', resource }));
    withAuditContext({ tenant: 'acme' }, () => recorder.record({ action: 'invoice.delete', resource }));
    expect(sink.events.map((e) => e.actor.id)).toEqual(['billing-worker', 'u-alice', 'billing-worker']);
    expect(sink.events[2]?.tenant).toBe('acme');
  });

  it('throws MissingActorError when no actor can be found, and records nothing', () => {
    const sink = new MemoryRecorder();
    const recorder = contextualRecorder(sink);
    expect(() => recorder.record({ action: 'document.update', resource })).toThrow(MissingActorError);
    expect(() => withAuditContext({ tenant: 'acme' }, () => recorder.record({ action: 'document.update', resource }))).toThrow(
      MissingActorError,
    );
    expect(sink.events).toHaveLength(0);
  });

  it('passes events through untouched outside a scope and returns the inner recorder id', () => {
    const sink = new MemoryRecorder();
    const recorder = contextualRecorder(sink);
    const id = recorder.record({ action: 'document.update', actor: bob, resource });
    expect(sink.events).toEqual([{ id, action: 'document.update', actor: bob, resource }]);
  });

  it('records the context as it is at record time, after updates', async () => {
    const sink = new MemoryRecorder();
    const recorder = contextualRecorder(sink);
    await withAuditContext({ request_id: 'r-9' }, async () => {
      recorder.record({ action: 'user.login', actor: { id: 'anonymous' }, resource: { type: 'user', id: 'u-alice' }, outcome: 'failure' });
      await tick(1);
      updateAuditContext({ actor: alice, auth_method: 'password' });
      recorder.record({ action: 'user.login', resource: { type: 'user', id: 'u-alice' } });
    });
    expect(sink.events.map((e) => [e.actor.id, e.context])).toEqual([
      ['anonymous', { request_id: 'r-9' }],
      ['u-alice', { request_id: 'r-9', auth_method: 'password' }],
    ]);
  });
});
