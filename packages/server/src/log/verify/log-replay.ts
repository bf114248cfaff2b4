import {
  appendToFrontier,
  chainHash,
  EMPTY_FRONTIER,
  extendFrontier,
  frontierRoot,
  GENESIS_CHAIN_HASH,
  HASH_SIZE,
  isStoredLevel,
  type CompletedNode,
  type Frontier,
} from '@audit-ledger/core';
import type { LogHead } from '../../store/ledger-store.js';
import { LEAF_HASH_MATCHES, LINKS_FROM_PREVIOUS_ROW, type CheckedPage } from './checked-page.js';
import { sameHash, sameHashAt } from './same-hash.js';

type Unusual = CheckedPage['unusual'][number];

/** A checkpoint's size and root as its signed note says (the signature already checked). */
export interface SignedRoot {
  size: number;
  rootHash: Uint8Array;
}

export type Fail = (seq: number, reason: string) => void;

/** The head's stored frontier, if it has the shape a frontier of its size must have (one hash per set bit). */
function frontierOf(head: LogHead): Frontier | null {
  if (head.frontier.some((hash) => hash.byteLength !== HASH_SIZE)) return null;
  try {
    return extendFrontier({ size: head.size, hashes: head.frontier }, []);
  } catch {
    return null;
  }
}

function sameHashes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameHash(a[i] as Uint8Array, b[i] as Uint8Array)) return false;
  return true;
}

function hashAt(hashes: Uint8Array, row: number): Uint8Array {
  return hashes.subarray(row * HASH_SIZE, (row + 1) * HASH_SIZE);
}

/**
 * Replays checked pages in seq order: seq contiguity and duplicates, received_at order, leaf hashes against the
 * chain, the chain itself, the Merkle tree, and each head and signed root at the size it was recorded.
 *
 * A problem is reported once, at the first seq it affects; where a stored value disagrees with what is recomputed,
 * the replay continues from whichever of the two the following entries agree with, so one altered value is not
 * reported again at every later entry.
 */
export class LogReplay {
  /** The seq the next entry must have. */
  position = 0;
  rowsSeen = 0;
  private chain = GENESIS_CHAIN_HASH;
  // After an entry's stored chain_hash disagreed with the recomputed one: that stored value, in case the entries
  // after it continue from it (the change was earlier in the log) rather than from the recomputed one.
  private storedChain: Uint8Array | null = null;
  private chainKnown = true;
  private frontier: Frontier = EMPTY_FRONTIER;
  private treeKnown = true;
  private pending: Uint8Array[] = [];
  private completed: CompletedNode[] = [];
  private lastReceivedAt: number | null = null;
  private headIndex = 0;
  private rootIndex = 0;

  /** `heads` and `roots` by ascending size; heads recorded later may be appended to `heads` (see addHeads). */
  constructor(
    private readonly heads: LogHead[],
    private readonly roots: readonly SignedRoot[],
    private readonly fail: Fail,
  ) {}

  addHeads(heads: readonly LogHead[]): void {
    for (const head of heads) this.heads.push(head);
  }

  /** Replays every row of the page, in order. */
  replay(page: CheckedPage): void {
    let failureIndex = 0;
    let unusualIndex = 0;
    let previousUnusual: Unusual | null = null;
    for (let row = 0; row < page.count; row++) {
      const failures = page.entryFailures[failureIndex];
      const own = failures !== undefined && failures.row === row ? failures.reasons : null;
      if (own !== null) failureIndex += 1;
      let unusual = page.unusual[unusualIndex] ?? null;
      if (unusual !== null && unusual.row === row) unusualIndex += 1;
      else unusual = null;

      this.rowsSeen += 1;
      const seq = page.seqs[row] as number;
      if (seq < this.position) {
        this.fail(seq, `duplicate entry: another row also has seq ${seq}`);
      } else {
        if (seq > this.position) this.skipGap(seq);
        if (own !== null) for (const reason of own) this.fail(seq, reason);
        this.entry(page, row, seq, unusual, previousUnusual);
        this.checkBoundary();
      }
      previousUnusual = unusual;
    }
  }

  /** Checks the heads and signed roots recorded at the current size; those inside a gap cannot be checked. */
  checkBoundary(): void {
    const position = this.position;
    for (; (this.heads[this.headIndex]?.size ?? Number.POSITIVE_INFINITY) <= position; this.headIndex++) {
      const head = this.heads[this.headIndex] as LogHead;
      if (head.size < position) continue;
      const label = `log head at size ${head.size}`;
      const seq = head.size - 1;
      const chainMatches =
        sameHash(head.chainHash, this.chain) || (this.storedChain !== null && sameHash(head.chainHash, this.storedChain));
      if (this.chainKnown && !chainMatches) this.fail(seq, `${label}: chain hash does not match the log`);
      const receivedMatches =
        head.lastReceivedAt === null || this.lastReceivedAt === null
          ? head.lastReceivedAt === null && this.lastReceivedAt === null
          : head.lastReceivedAt.getTime() === this.lastReceivedAt;
      if (!receivedMatches) this.fail(seq, `${label}: last_received_at differs from entry ${seq}`);
      if (this.treeKnown) {
        this.flush();
        if (!sameHashes(head.frontier, this.frontier.hashes)) this.fail(seq, `${label}: frontier does not match the log`);
      } else {
        // After missing entries the tree cannot be recomputed; the head's frontier is the best place to resume.
        const resumed = frontierOf(head);
        if (resumed !== null) {
          this.frontier = resumed;
          this.treeKnown = true;
        }
      }
    }
    for (; (this.roots[this.rootIndex]?.size ?? Number.POSITIVE_INFINITY) <= position; this.rootIndex++) {
      const signed = this.roots[this.rootIndex] as SignedRoot;
      if (signed.size < position || !this.treeKnown) continue;
      this.flush();
      if (!sameHash(frontierRoot(this.frontier), signed.rootHash)) {
        this.fail(Math.max(signed.size - 1, 0), `checkpoint at size ${signed.size}: root does not match the log`);
      }
    }
  }

  /** The Merkle nodes at stored levels completed since the last call, to be compared with the stored ones. */
  takeCompleted(): CompletedNode[] {
    this.flush();
    const completed = this.completed;
    this.completed = [];
    return completed;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const appended = appendToFrontier(this.frontier, this.pending, { keepLevel: isStoredLevel });
    this.frontier = appended.frontier;
    for (const node of appended.completed) this.completed.push(node);
    this.pending = [];
  }

  private skipGap(seq: number): void {
    const missing = seq - this.position;
    this.fail(
      this.position,
      missing === 1 ? `entry missing (gap before seq ${seq})` : `${missing} entries missing (gap before seq ${seq})`,
    );
    this.position = seq;
    this.chainKnown = false;
    this.storedChain = null;
    this.treeKnown = false;
    this.pending = [];
  }

  /**
   * The chain value the row's stored chain_hash follows from, given its leaf hash: the recomputed chain, or the
   * stored value an earlier entry disagreed on. Null when it follows from neither (or the predecessor is missing).
   */
  private linkFrom(
    page: CheckedPage,
    row: number,
    leafHash: Uint8Array,
    storedChainHash: Uint8Array,
    recomputed: boolean,
    previousUnusual: Unusual | null,
  ): Uint8Array | null {
    if (!this.chainKnown) return null;
    // The page already hashed the link from the row before it over the recomputed leaf hash; when the chain is that
    // row's stored value, that answers the first comparison below, and without a stored value to try, the second.
    if (
      recomputed &&
      this.storedChain === null &&
      row > 0 &&
      (previousUnusual !== null
        ? sameHash(this.chain, previousUnusual.chainHash)
        : sameHashAt(this.chain, page.chainHashes, (row - 1) * HASH_SIZE))
    ) {
      return (page.flags[row] as number) & LINKS_FROM_PREVIOUS_ROW ? storedChainHash : null;
    }
    const expected = chainHash(this.chain, leafHash);
    if (sameHash(expected, storedChainHash)) return expected;
    if (this.storedChain === null) return null;
    const fromStored = chainHash(this.storedChain, leafHash);
    return sameHash(fromStored, storedChainHash) ? fromStored : null;
  }

  private entry(
    page: CheckedPage,
    row: number,
    seq: number,
    unusual: Unusual | null,
    previousUnusual: Unusual | null,
  ): void {
    const receivedAt = page.receivedAtMs[row] as number;
    if (this.lastReceivedAt !== null && receivedAt < this.lastReceivedAt) {
      this.fail(seq, 'received_at is earlier than the entry before');
    }
    this.lastReceivedAt = receivedAt;

    const computed = hashAt(page.leafHashes, row);
    const storedChainHash = unusual !== null ? unusual.chainHash : hashAt(page.chainHashes, row);
    let leafHash = computed;
    let link: Uint8Array | null;
    if (unusual === null || (page.flags[row] as number) & LEAF_HASH_MATCHES) {
      link = this.linkFrom(page, row, computed, storedChainHash, true, previousUnusual);
    } else {
      // If the stored leaf hash still chains, the leaf text changed after it was sealed and the rest of the log was
      // built on the stored hash; otherwise the leaf_hash column itself was altered.
      const storedLeafHash = unusual.leafHash;
      const viaStored =
        storedLeafHash.byteLength === HASH_SIZE
          ? this.linkFrom(page, row, storedLeafHash, storedChainHash, false, previousUnusual)
          : null;
      if (viaStored !== null) {
        this.fail(seq, 'leaf hash does not match leaf (the leaf was changed after it was sealed)');
        leafHash = storedLeafHash;
        link = viaStored;
      } else {
        this.fail(seq, 'leaf hash does not match leaf');
        link = this.linkFrom(page, row, computed, storedChainHash, true, previousUnusual);
      }
    }

    if (!this.chainKnown) {
      // The predecessor is missing: the link cannot be checked, only followed.
      if (storedChainHash.byteLength === HASH_SIZE) {
        this.chain = storedChainHash;
        this.chainKnown = true;
      }
    } else if (link !== null) {
      this.chain = link;
      this.storedChain = null;
    } else {
      this.fail(seq, 'chain hash does not follow from the previous entry');
      this.chain = chainHash(this.chain, leafHash);
      this.storedChain = storedChainHash.byteLength === HASH_SIZE ? storedChainHash : null;
    }

    if (this.treeKnown) this.pending.push(leafHash);
    this.position = seq + 1;
  }
}
