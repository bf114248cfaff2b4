import { assembleProof, consistencyProofRanges, inclusionProofRanges, nodeIdsOf } from '@audit-ledger/core';
import { LedgerError } from '../errors.js';
import type { LedgerStore } from '../store/ledger-store.js';

async function logSize(store: LedgerStore, tenant: string): Promise<number> {
  return (await store.getHead(tenant)).size;
}

/** RFC 9162 inclusion proof of entry `index` in the tree of the first `size` entries; reads O(log n) rows. */
export async function buildInclusionProof(
  store: LedgerStore,
  tenant: string,
  index: number,
  size: number,
): Promise<Uint8Array[]> {
  const current = await logSize(store, tenant);
  if (size > current) throw new LedgerError('BAD_REQUEST', `size ${size} is beyond the log's size ${current}`);
  if (index >= size) throw new LedgerError('BAD_REQUEST', `index ${index} is not below size ${size}`);
  const ranges = inclusionProofRanges(index, size);
  return assembleProof(ranges, await store.getNodeHashes(tenant, nodeIdsOf(ranges)));
}

/** RFC 9162 consistency proof between the trees of the first `first` and `second` entries. */
export async function buildConsistencyProof(
  store: LedgerStore,
  tenant: string,
  first: number,
  second: number,
): Promise<Uint8Array[]> {
  const current = await logSize(store, tenant);
  if (second > current) throw new LedgerError('BAD_REQUEST', `second ${second} is beyond the log's size ${current}`);
  if (first < 1 || first > second) {
    throw new LedgerError('BAD_REQUEST', `first must be between 1 and second (${second}), got ${first}`);
  }
  if (first === second) return [];
  const ranges = consistencyProofRanges(first, second);
  return assembleProof(ranges, await store.getNodeHashes(tenant, nodeIdsOf(ranges)));
}
