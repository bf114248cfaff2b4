import { describe, expect, it } from 'vitest';
import { audited } from '../../src/capture/index.js';
import { MissingActorError, withAuditContext } from '../../src/context/index.js';
import { MemoryRecorder } from '../context/memory-recorder.js';

interface Customer {
  id: string;
  name: string;
  plan: string;
  password_hash?: string;
  updated_at?: Date;
}

/** A small repository with private state, as application DAOs are written. */
class CustomerRepository {
  #rows = new Map<string, Customer>();
  #next = 1;
  reads = 0;

  async insert(input: Omit<Customer, 'id'>): Promise<Customer> {
    const row = { id: `c-${this.#next++}`, ...input };
    this.#rows.set(row.id, row);
    return { ...row };
  }

  async findById(id: string): Promise<Customer | undefined> {
    this.reads += 1;
    const row = this.#rows.get(id);
    return row && { ...row };
  }

  async changePlan(id: string, plan: string): Promise<number> {
    const row = this.#rows.get(id);
    if (row === undefined) throw new Error(`no customer ${id}`);
    row.plan = plan;
    row.updated_at = new Date('2024-05-01T10:00:00Z');
    return 1;
  }

  async upsert(row: Customer): Promise<Customer> {
    this.#rows.set(row.id, { ...row });
    return { ...row };
  }

  async remove(id: string): Promise<boolean> {
    return this.#rows.delete(id);
  }

  count(): number {
    return this.#rows.size;
  }
}

const worker = { id: 'crm-sync', type: 'service' as const };

function setup(extra: { actor?: boolean } = {}) {
  const sink = new MemoryRecorder();
  const inner = new CustomerRepository();
  const repo = audited(inner, {
    recorder: sink,
    ...(extra.actor === false ? {} : { actor: worker }),
    resourceType: 'customer',
    load: (id) => inner.findById(id),
    omit: ['password_hash'],
    name: (state) => (typeof state.name === 'string' ? state.name : undefined),
    methods: {
      insert: { operation: 'create', id: (_args, created) => created.id, after: (_args, created) => created },
      changePlan: { operation: 'update', id: ([id]) => id },
      upsert: { operation: 'update', id: ([row]) => row.id, after: (_args, saved) => saved },
      remove: { operation: 'delete', id: ([id]) => id },
    },
  });
  return { sink, inner, repo };
}

const summary = (sink: MemoryRecorder) =>
  sink.events.map((e) => [e.action, e.resource.id, e.resource.name, e.changes?.before ?? null, e.changes?.after ?? null]);

describe('audited repository decorator', () => {
  it('records create, update and delete with before/after states after each call succeeded', async () => {
    const { sink, repo } = setup();
    const created = await repo.insert({ name: 'Acme', plan: 'free', password_hash: 'secret' });
    expect(created).toMatchObject({ id: 'c-1', name: 'Acme' });
    expect(await repo.changePlan('c-1', 'pro')).toBe(1);
    expect(await repo.remove('c-1')).toBe(true);
    expect(summary(sink)).toEqual([
      ['customer.create', 'c-1', 'Acme', null, { id: 'c-1', name: 'Acme', plan: 'free' }],
      [
        'customer.update',
        'c-1',
        'Acme',
        { id: 'c-1', name: 'Acme', plan: 'free' },
        { id: 'c-1', name: 'Acme', plan: 'pro', updated_at: '2024-05-01T10:00:00.000Z' },
      ],
      ['customer.delete', 'c-1', 'Acme', { id: 'c-1', name: 'Acme', plan: 'pro', updated_at: '2024-05-01T10:00:00.000Z' }, null],
    ]);
    expect(sink.events[0]).toMatchObject({ actor: worker, resource: { type: 'customer' } });
    expect(JSON.stringify(sink.events)).not.toContain('secret');
  });

  it('records nothing when the method throws, and passes its error through unchanged', async () => {
    const { sink, repo } = setup();
    const error = await repo.changePlan('c-404', 'pro').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('no customer c-404');
    expect(sink.events).toHaveLength(0);
  });

  it('derives the action from what was observed: an update that inserts is a create, deleting nothing is silent', async () => {
    const { sink, repo } = setup();
    await repo.upsert({ id: 'c-9', name: 'Globex', plan: 'free' });
    await repo.upsert({ id: 'c-9', name: 'Globex', plan: 'team' });
    expect(await repo.remove('c-missing')).toBe(false);
    expect(summary(sink).map(([action, id]) => [action, id])).toEqual([
      ['customer.create', 'c-9'],
      ['customer.update', 'c-9'],
    ]);
  });

  it('keeps the object usable as before: same class, private fields, unlisted members', async () => {
    const { inner, repo } = setup();
    expect(repo).toBeInstanceOf(CustomerRepository);
    await repo.insert({ name: 'A', plan: 'free' });
    expect(repo.count()).toBe(1);
    const { findById } = repo;
    expect(await findById('c-1')).toMatchObject({ name: 'A' });
    expect(repo.reads).toBe(inner.reads);
  });

  it('reads the after state from the result when told to, saving the read', async () => {
    const { inner, repo } = setup();
    await repo.insert({ name: 'A', plan: 'free' });
    const reads = inner.reads;
    await repo.upsert({ id: 'c-1', name: 'A', plan: 'pro' });
    expect(inner.reads - reads).toBe(1);
  });

  it('refuses to run an audited method when no actor can be attributed, before the write', async () => {
    const { sink, inner, repo } = setup({ actor: false });
    await expect(repo.insert({ name: 'A', plan: 'free' })).rejects.toThrow(MissingActorError);
    expect(inner.count()).toBe(0);
    await withAuditContext({ actor: { id: 'u-1', email: 'u1@example.com' }, tenant: 'acme', ip: '198.51.100.1' }, () =>
      repo.insert({ name: 'A', plan: 'free' }),
    );
    expect(sink.events[0]).toMatchObject({ actor: { id: 'u-1' }, tenant: 'acme', context: { ip: '198.51.100.1' } });
  });

  it('still records a successful write whose after state cannot be read, saying so', async () => {
    const sink = new MemoryRecorder();
    const inner = new CustomerRepository();
    await inner.insert({ name: 'A', plan: 'free' });
    let loads = 0;
    const repo = audited(inner, {
      recorder: sink,
      actor: worker,
      resourceType: 'customer',
      load: async (id) => {
        loads += 1;
        if (loads > 1) throw new Error('replica unavailable');
        return inner.findById(id);
      },
      methods: { changePlan: { operation: 'update', id: ([id]) => id } },
    });
    expect(await repo.changePlan('c-1', 'pro')).toBe(1);
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]).toMatchObject({
      action: 'customer.update',
      changes: { before: { id: 'c-1', plan: 'free' } },
      metadata: { capture_error: 'after state unavailable: replica unavailable' },
    });
    expect(sink.events[0]?.changes).not.toHaveProperty('after');
  });

  it('rejects configurations that could not produce correct events', () => {
    const inner = new CustomerRepository();
    const recorder = new MemoryRecorder();
    expect(() => audited(inner, { recorder, resourceType: 'customer', methods: { remove: { operation: 'delete', id: ([id]) => id } } })).toThrow(
      /load/,
    );
    expect(() => audited(inner, { recorder, resourceType: 'Customer Record', methods: {} })).toThrow(/resource type/);
    expect(() =>
      audited(inner as CustomerRepository & { missing: () => Promise<void> }, {
        recorder,
        resourceType: 'customer',
        methods: { missing: { operation: 'create', id: () => 'x' } },
      }),
    ).toThrow(/not a method/);
  });
});
