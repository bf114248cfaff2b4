import { expect } from 'vitest';
import type { StoredEvent } from './ledger-http.js';
import type { SentRequest } from './write-load.js';

/**
 * Checks that the events form one log: seq 0..n-1 each exactly once, every id exactly once. Returns seq by id.
 */
export function expectContiguousLog(events: readonly StoredEvent[]): Map<string, number> {
  const bySeq = new Map<number, string>();
  const byId = new Map<string, number>();
  const duplicateSeqs: number[] = [];
  const duplicateIds: string[] = [];
  for (const event of events) {
    if (bySeq.has(event.seq)) duplicateSeqs.push(event.seq);
    if (byId.has(event.id)) duplicateIds.push(event.id);
    bySeq.set(event.seq, event.id);
    byId.set(event.id, event.seq);
  }
  expect(duplicateSeqs, 'seqs stored more than once').toEqual([]);
  expect(duplicateIds, 'ids stored more than once').toEqual([]);
  const missing: number[] = [];
  for (let seq = 0; seq < events.length; seq++) if (!bySeq.has(seq)) missing.push(seq);
  expect(missing, `seqs missing from 0..${events.length - 1}`).toEqual([]);
  return byId;
}

/**
 * Separates the service's own entries from the producers' events. A tenant made by createTenantWithKey and then only
 * written to and read without personal data holds exactly one of its own: the operator minting `keyId`, at seq 0.
 * Returns the producers' events.
 */
export function expectOnlyKeyCreation(events: readonly StoredEvent[], keyId: string): StoredEvent[] {
  const own = events.filter((event) => typeof event.action === 'string' && event.action.startsWith('audit.'));
  expect(own, "the service's own entries in the log").toEqual([
    expect.objectContaining({
      seq: 0,
      action: 'audit.key.created',
      actor: expect.objectContaining({ id: 'operator' }),
      resource: expect.objectContaining({ type: 'api_key', id: keyId }),
    }),
  ]);
  return events.filter((event) => !own.includes(event));
}

/** Every acknowledged event is in the log at the seq its acknowledgement named. */
export function expectAcksHold(requests: readonly SentRequest[], seqById: ReadonlyMap<string, number>): void {
  const broken: string[] = [];
  for (const request of requests) {
    for (const ack of request.acks) {
      const stored = seqById.get(ack.id);
      if (stored !== ack.seq) broken.push(`${ack.id}: acked seq ${ack.seq}, log has ${stored ?? 'nothing'}`);
    }
  }
  expect(broken, 'acknowledged events not where their ack said').toEqual([]);
}

/** An acknowledgement lists exactly the request's events, in order. */
export function expectAcksMatchRequest(request: SentRequest): void {
  expect(request.acks.map((ack) => ack.id)).toEqual(request.ids);
  for (const ack of request.acks) {
    expect(Number.isSafeInteger(ack.seq) && ack.seq >= 0, `seq of ${ack.id}`).toBe(true);
    expect(ack.leaf_hash).toMatch(/^[0-9a-f]{64}$/);
  }
}
