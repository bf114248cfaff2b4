import type { HttpResponse } from './http-client.js';

/** The highest seq a 201 acknowledged, checking that every event of the request was acknowledged. */
export function highestAckedSeq(response: HttpResponse, expectedEvents: number): number {
  const parsed = JSON.parse(response.body) as { events?: Array<{ seq?: unknown }> };
  const acks = parsed.events ?? [];
  if (acks.length !== expectedEvents) {
    throw new Error(`expected ${expectedEvents} acknowledgements, got ${acks.length}`);
  }
  let highest = -1;
  for (const ack of acks) {
    if (typeof ack.seq !== 'number') throw new Error(`acknowledgement without a seq: ${JSON.stringify(ack)}`);
    if (ack.seq > highest) highest = ack.seq;
  }
  return highest;
}
