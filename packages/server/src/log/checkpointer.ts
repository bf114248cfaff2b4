import {
  assembleProof,
  consistencyProofRanges,
  formatCheckpoint,
  frontierRoot,
  nodeIdsOf,
  signNote,
  verifyConsistency,
  type SigningKey,
} from '@audit-ledger/core';
import type { CheckpointRecord, LedgerStore } from '../store/ledger-store.js';

export interface CheckpointerOptions {
  store: LedgerStore;
  /**
   * The keys that sign a checkpoint of the log with this origin, named after it: one, or two while the signing key
   * rotates (a C2SP note carries one signature line per key).
   */
  signersFor(origin: string): readonly SigningKey[];
  /** Runs before every sweep, so keys rotated by another process sign here within one sweep interval. */
  refreshKeys?(): Promise<void>;
  originOf(tenant: string): string;
  /** How often logs that grew get a new checkpoint. */
  intervalMs?: number;
  /** How often the store is asked for logs that grew without this process knowing (other processes, crashes). */
  sweepMs?: number;
  onError?(tenant: string, error: unknown): void;
  /**
   * Called with each checkpoint this process signs, once it is stored (e.g. to copy it outside the database). A
   * failure is reported through onError and does not fail the checkpoint, which is already stored and served.
   */
  onSigned?(record: CheckpointRecord): Promise<unknown>;
}

export interface Checkpointer {
  markDirty(tenant: string): void;
  /** The newest checkpoint, signing one first when the log has grown past it. */
  checkpointNow(tenant: string): Promise<CheckpointRecord>;
  start(): void;
  stop(): Promise<void>;
}

export function createCheckpointer(options: CheckpointerOptions): Checkpointer {
  const { store } = options;
  const intervalMs = options.intervalMs ?? 250;
  const sweepMs = options.sweepMs ?? 5000;
  const dirty = new Set<string>();
  const inFlight = new Map<string, Promise<CheckpointRecord>>();
  let tick: NodeJS.Timeout | null = null;
  let sweep: NodeJS.Timeout | null = null;

  async function sign(tenant: string): Promise<CheckpointRecord> {
    const [head, latest] = await Promise.all([store.getHead(tenant), store.latestCheckpoint(tenant)]);
    if (latest !== null && latest.size >= head.size) {
      if (latest.size > head.size) {
        throw new Error(`log ${tenant} is shorter (${head.size}) than its newest checkpoint (${latest.size})`);
      }
      return latest;
    }
    const rootHash = frontierRoot({ size: head.size, hashes: head.frontier });
    if (latest !== null && latest.size > 0) {
      // Never sign a tree that does not extend the one signed before: a fork or a rewritten history stops here.
      const ranges = consistencyProofRanges(latest.size, head.size);
      const proof = assembleProof(ranges, await store.getNodeHashes(tenant, nodeIdsOf(ranges)));
      verifyConsistency(latest.size, head.size, proof, latest.rootHash, rootHash);
    }
    const origin = options.originOf(tenant);
    const note = signNote(formatCheckpoint({ origin, size: head.size, rootHash }), options.signersFor(origin));
    await store.insertCheckpoint({ tenant, size: head.size, rootHash, note, createdAt: new Date() });
    // Another process may have stored the same size first; its note is identical (Ed25519 is deterministic), unless a
    // rotation of the signing key reached the two processes at different moments: either note verifies.
    const stored =
      (await store.getCheckpoint(tenant, head.size)) ?? { tenant, size: head.size, rootHash, note, createdAt: new Date() };
    await options.onSigned?.(stored).catch((error: unknown) => options.onError?.(tenant, error));
    return stored;
  }

  function checkpointNow(tenant: string): Promise<CheckpointRecord> {
    const running = inFlight.get(tenant);
    if (running !== undefined) return running.then(() => checkpointNow(tenant));
    const job = sign(tenant).finally(() => inFlight.delete(tenant));
    inFlight.set(tenant, job);
    return job;
  }

  async function flushDirty(): Promise<void> {
    const tenants = [...dirty];
    dirty.clear();
    await Promise.all(
      tenants.map((tenant) =>
        checkpointNow(tenant).catch((error: unknown) => {
          options.onError?.(tenant, error);
        }),
      ),
    );
  }

  return {
    markDirty(tenant) {
      dirty.add(tenant);
    },
    checkpointNow,
    start() {
      if (tick !== null) return;
      let ticking = false;
      tick = setInterval(() => {
        if (ticking || dirty.size === 0) return;
        ticking = true;
        void flushDirty().finally(() => {
          ticking = false;
        });
      }, intervalMs);
      tick.unref();
      const sweepOnce = (): void => {
        (options.refreshKeys?.() ?? Promise.resolve())
          .catch((error: unknown) => options.onError?.('*', error))
          .then(() => store.tenantsNeedingCheckpoint())
          .then((tenants) => tenants.forEach((tenant) => dirty.add(tenant)))
          .catch((error: unknown) => options.onError?.('*', error));
      };
      sweepOnce();
      sweep = setInterval(sweepOnce, sweepMs);
      sweep.unref();
    },
    async stop() {
      if (tick !== null) clearInterval(tick);
      if (sweep !== null) clearInterval(sweep);
      tick = null;
      sweep = null;
      await flushDirty();
      await Promise.all([...inFlight.values()].map((job) => job.catch(() => undefined)));
    },
  };
}
