import type { CompletedNode } from '@audit-ledger/core';
import type { LedgerStore } from '../../store/ledger-store.js';
import type { Fail } from './log-replay.js';
import { sameHash } from './same-hash.js';

/** Compares recomputed Merkle nodes with the stored ones, one store call per level. */
export async function checkStoredNodes(
  store: LedgerStore,
  tenant: string,
  completed: readonly CompletedNode[],
  fail: Fail,
): Promise<void> {
  if (completed.length === 0) return;
  const byLevel = new Map<number, CompletedNode[]>();
  for (const node of completed) {
    const level = byLevel.get(node.level);
    if (level === undefined) byLevel.set(node.level, [node]);
    else level.push(node);
  }
  for (const [level, nodes] of byLevel) {
    const first = (nodes[0] as CompletedNode).index;
    const last = (nodes[nodes.length - 1] as CompletedNode).index;
    const stored = new Map<number, Uint8Array>();
    for (const node of await store.scanNodes(tenant, level, first, last + 1)) stored.set(node.index, node.hash);
    for (const node of nodes) {
      const seq = (node.index + 1) * 2 ** level - 1;
      const hash = stored.get(node.index);
      if (hash === undefined) fail(seq, `merkle node level ${level} index ${node.index} missing`);
      else if (!sameHash(hash, node.hash)) fail(seq, `merkle node level ${level} index ${node.index} does not match the log`);
    }
  }
}
