import { foldPerfect, storedSourceOf } from '@audit-ledger/core';
import type { SqlExecutor } from '../sql-driver.js';

export interface NodeRef {
  level: number;
  index: number;
}

const keyOf = (level: number, index: number): string => `${level}/${index}`;

type HashesByNode = Map<string, Uint8Array>;

async function readLeafHashes(db: SqlExecutor, tenant: string, seqs: readonly number[]): Promise<HashesByNode> {
  const found = new Map<string, Uint8Array>();
  if (seqs.length === 0) return found;
  const { rows } = await db.query<{ seq: number; leaf_hash: Uint8Array }>(
    'SELECT seq, leaf_hash FROM events WHERE tenant_id = $1 AND seq = ANY($2::int8[])',
    [tenant, seqs],
  );
  for (const row of rows) found.set(keyOf(0, row.seq), row.leaf_hash);
  return found;
}

async function readStoredNodes(db: SqlExecutor, tenant: string, refs: readonly NodeRef[]): Promise<HashesByNode> {
  const found = new Map<string, Uint8Array>();
  if (refs.length === 0) return found;
  const { rows } = await db.query<{ level: number; idx: number; hash: Uint8Array }>(
    `SELECT level, idx, hash FROM merkle_nodes
      WHERE tenant_id = $1 AND (level, idx) IN (SELECT * FROM unnest($2::int2[], $3::int8[]))`,
    [tenant, refs.map((r) => r.level), refs.map((r) => r.index)],
  );
  for (const row of rows) found.set(keyOf(row.level, row.idx), row.hash);
  return found;
}

/**
 * Each requested node is rebuilt from the run of stored hashes beneath it at the nearest stored level (at most
 * 2^(NODE_STRIDE-1) of them): leaf hashes from events at level 0, merkle_nodes above. All runs are read in at most two
 * queries, one per table, however many nodes a proof needs.
 */
export async function getNodeHashes(db: SqlExecutor, tenant: string, nodes: readonly NodeRef[]): Promise<Uint8Array[]> {
  const sources = nodes.map((node) => storedSourceOf(node));
  const leafSeqs = new Set<number>();
  const interior = new Map<string, NodeRef>();
  for (const source of sources) {
    for (let index = source.start; index < source.end; index++) {
      if (source.level === 0) leafSeqs.add(index);
      else interior.set(keyOf(source.level, index), { level: source.level, index });
    }
  }
  // One after the other: the store runs them in one tenant-scoped transaction, on one connection.
  const leaves = await readLeafHashes(db, tenant, [...leafSeqs]);
  const stored = await readStoredNodes(db, tenant, [...interior.values()]);
  return sources.map((source, i) => {
    const run: Uint8Array[] = [];
    for (let index = source.start; index < source.end; index++) {
      const hash = (source.level === 0 ? leaves : stored).get(keyOf(source.level, index));
      if (hash === undefined) {
        const node = nodes[i];
        throw new RangeError(
          `node (level ${node?.level}, index ${node?.index}) of ${tenant} is not covered by the stored tree ` +
            `(missing level ${source.level}, index ${index})`,
        );
      }
      run.push(hash);
    }
    return foldPerfect(run);
  });
}
