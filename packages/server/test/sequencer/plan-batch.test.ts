import {
  EMPTY_FRONTIER,
  GENESIS_CHAIN_HASH,
  chainHash,
  hashLeaf,
  requestHashOf,
  sealingTemplate,
  rootFromLeafHashes,
  frontierRoot,
  utf8,
  type EventInput,
} from '@audit-ledger/core';
import { describe, expect, it } from 'vitest';
import { planBatch, type PreparedEvent } from '../../src/sequencer/plan-batch.js';
import type { LogHead } from '../../src/store/ledger-store.js';

const EMPTY_HEAD: LogHead = { size: 0, chainHash: GENESIS_CHAIN_HASH, frontier: [], lastReceivedAt: null };

function prepared(id: string, action = 'user.login'): PreparedEvent {
  const input: EventInput = { id, action, actor: { id: 'u1' }, resource: { type: 'user', id: 'u1' } };
  return { id, requestHash: requestHashOf(input), template: sealingTemplate(input, { tenant: 'acme', id }), occurredAt: null };
}

const ID = (n: number): string => `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

describe('planBatch', () => {
  it('assigns contiguous seqs, chains hashes and produces the matching head', () => {
    const now = new Date('2026-11-22T10:00:00.000Z');
    const plan = planBatch('acme', EMPTY_HEAD, [[prepared(ID(1)), prepared(ID(2))], [prepared(ID(3))]], new Map(), now);
    const rows = plan.append!.events;
    expect(rows.map((row) => row.seq)).toEqual([0, 1, 2]);
    let chain = GENESIS_CHAIN_HASH;
    for (const row of rows) {
      expect(Buffer.from(row.leafHash)).toEqual(Buffer.from(hashLeaf(utf8.encode(row.leaf))));
      chain = chainHash(chain, row.leafHash);
      expect(Buffer.from(row.chainHash)).toEqual(Buffer.from(chain));
      expect(JSON.parse(row.leaf)).toMatchObject({ seq: row.seq, tenant: 'acme', id: row.id });
    }
    const head = plan.append!.head;
    expect(head.size).toBe(3);
    expect(Buffer.from(frontierRoot({ size: head.size, hashes: head.frontier }))).toEqual(
      Buffer.from(rootFromLeafHashes(rows.map((row) => row.leafHash))),
    );
    expect(plan.outcomes.map((o) => (o.ok ? o.acks.map((a) => a.seq) : o.conflictId))).toEqual([[0, 1], [2]]);
  });

  it('never moves received_at backwards', () => {
    const later = new Date('2026-11-22T10:00:05.000Z');
    const head: LogHead = { ...EMPTY_HEAD, lastReceivedAt: later };
    const plan = planBatch('acme', head, [[prepared(ID(1))]], new Map(), new Date('2026-11-22T10:00:00.000Z'));
    expect(plan.append!.events[0]!.receivedAt).toEqual(later);
  });

  it('answers a retry with the stored seq and writes nothing', () => {
    const event = prepared(ID(7));
    const stored = { id: ID(7), seq: 41, leafHash: new Uint8Array(32).fill(7), requestHash: event.requestHash };
    const plan = planBatch('acme', { ...EMPTY_HEAD, size: 42 }, [[event]], new Map([[ID(7), stored]]), new Date());
    expect(plan.append).toBeNull();
    expect(plan.outcomes).toEqual([{ ok: true, acks: [{ id: ID(7), seq: 41, leafHash: '07'.repeat(32) }] }]);
  });

  it('rejects a whole request when one id was used for other content, keeping the other requests', () => {
    const stored = prepared(ID(5));
    const existing = new Map([[ID(5), { id: ID(5), seq: 0, leafHash: new Uint8Array(32), requestHash: stored.requestHash }]]);
    const plan = planBatch(
      'acme',
      { ...EMPTY_HEAD, size: 1, frontier: [new Uint8Array(32)] },
      [[prepared(ID(6)), prepared(ID(5), 'user.logout')], [prepared(ID(8))]],
      existing,
      new Date(),
    );
    expect(plan.outcomes[0]).toEqual({ ok: false, conflictId: ID(5) });
    expect(plan.append!.events.map((row) => [row.id, row.seq])).toEqual([[ID(8), 1]]);
  });

  it('treats a repeated id inside one group as one event, or as a conflict when contents differ', () => {
    const same = planBatch('acme', EMPTY_HEAD, [[prepared(ID(1))], [prepared(ID(1))]], new Map(), new Date());
    expect(same.append!.events).toHaveLength(1);
    expect(same.outcomes.map((o) => o.ok && o.acks[0]!.seq)).toEqual([0, 0]);
    const differ = planBatch('acme', EMPTY_HEAD, [[prepared(ID(1)), prepared(ID(1), 'user.logout')]], new Map(), new Date());
    expect(differ.outcomes).toEqual([{ ok: false, conflictId: ID(1) }]);
    expect(differ.append).toBeNull();
  });

  it('emits merkle nodes only at stored levels', () => {
    const events = Array.from({ length: 40 }, (_, i) => prepared(ID(i + 1)));
    const plan = planBatch('acme', EMPTY_HEAD, [events], new Map(), new Date());
    expect(plan.append!.nodes.map((node) => [node.level, node.index])).toEqual([
      [4, 0],
      [4, 1],
    ]);
    expect(EMPTY_FRONTIER.size).toBe(0);
  });
});
