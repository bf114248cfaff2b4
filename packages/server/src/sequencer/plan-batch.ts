import {
  appendToFrontier,
  chainHash,
  equalBytes,
  hashLeaf,
  isStoredLevel,
  toHex,
  utf8,
  type SealingTemplate,
} from '@audit-ledger/core';
import type { IngestAck } from '../app-context.js';
import type { AppendBatch, EventRow, ExistingEvent, LogHead, MerkleNode } from '../store/ledger-store.js';

/**
 * One event as the sequencer receives it: validated, with its final id, the hash of what was submitted, and sealed
 * in advance up to the facts only the sequencer assigns.
 */
export interface PreparedEvent {
  id: string;
  requestHash: Uint8Array;
  template: SealingTemplate;
  /** The submitted occurred_at, parsed; null when it is the received time. */
  occurredAt: Date | null;
}

export type RequestOutcome = { ok: true; acks: IngestAck[] } | { ok: false; conflictId: string };

export interface BatchPlan {
  outcomes: RequestOutcome[];
  /** Nothing to write when every event was a retry of one already in the log. */
  append: AppendBatch | null;
}

interface Assigned {
  seq: number;
  leafHash: Uint8Array;
  requestHash: Uint8Array;
}

/**
 * Decides, for a group of requests against one log head, which events are new (and their seq, leaf and hashes),
 * which are retries of events already stored, and which requests conflict. Pure: the caller supplies the head,
 * the events already stored under the ids involved, and the received time.
 *
 * A request is all-or-nothing: one conflicting id rejects the whole request and assigns none of its events.
 */
export function planBatch(
  tenant: string,
  head: LogHead,
  requests: readonly (readonly PreparedEvent[])[],
  existing: ReadonlyMap<string, ExistingEvent>,
  now: Date,
): BatchPlan {
  // received_at never goes backwards within a log, even if clocks of several service processes disagree,
  // so monthly partitions fill in order and an archived month never receives a late entry.
  const receivedAt =
    head.lastReceivedAt !== null && head.lastReceivedAt.getTime() > now.getTime() ? head.lastReceivedAt : now;
  const assigned = new Map<string, Assigned>();
  const rows: EventRow[] = [];
  const outcomes: RequestOutcome[] = [];
  let size = head.size;
  let chain = head.chainHash;

  for (const request of requests) {
    const conflictId = findConflict(request, existing, assigned);
    if (conflictId !== null) {
      outcomes.push({ ok: false, conflictId });
      continue;
    }
    const acks: IngestAck[] = [];
    for (const event of request) {
      const known = existing.get(event.id) ?? assigned.get(event.id);
      if (known !== undefined) {
        acks.push({ id: event.id, seq: known.seq, leafHash: toHex(known.leafHash) });
        continue;
      }
      const { draft } = event.template;
      const leaf = event.template.leaf(size, receivedAt);
      const leafHash = hashLeaf(utf8.encode(leaf));
      chain = chainHash(chain, leafHash);
      rows.push({
        tenant,
        seq: size,
        id: event.id,
        receivedAt,
        occurredAt: event.occurredAt ?? receivedAt,
        action: draft.action,
        actorId: draft.actor.id,
        resourceType: draft.resource.type,
        resourceId: draft.resource.id,
        outcome: draft.outcome,
        leaf,
        leafHash,
        chainHash: chain,
        requestHash: event.requestHash,
        searchText: event.template.searchText,
        subjectId: draft.subject_id ?? null,
      });
      assigned.set(event.id, { seq: size, leafHash, requestHash: event.requestHash });
      acks.push({ id: event.id, seq: size, leafHash: toHex(leafHash) });
      size += 1;
    }
    outcomes.push({ ok: true, acks });
  }

  if (rows.length === 0) return { outcomes, append: null };

  const { frontier, completed } = appendToFrontier(
    { size: head.size, hashes: head.frontier },
    rows.map((row) => row.leafHash),
    { keepLevel: isStoredLevel },
  );
  const nodes: MerkleNode[] = completed.map((node) => ({ level: node.level, index: node.index, hash: node.hash }));
  return {
    outcomes,
    append: {
      events: rows,
      nodes,
      head: { size: frontier.size, chainHash: chain, frontier: frontier.hashes, lastReceivedAt: receivedAt },
    },
  };
}

/** The first id in the request that is already taken by different content, or null. */
function findConflict(
  request: readonly PreparedEvent[],
  existing: ReadonlyMap<string, ExistingEvent>,
  assigned: ReadonlyMap<string, Assigned>,
): string | null {
  const withinRequest = new Map<string, Uint8Array>();
  for (const event of request) {
    const earlier = existing.get(event.id) ?? assigned.get(event.id);
    const taken = earlier?.requestHash ?? withinRequest.get(event.id);
    if (taken !== undefined && !equalBytes(taken, event.requestHash)) return event.id;
    withinRequest.set(event.id, event.requestHash);
  }
  return null;
}
