import { createHash } from 'node:crypto';

/**
 * The Nats-Msg-Id of a request: the same tenant and event ids give the same id, so JetStream's duplicate window
 * drops a publish that is retried after a lost publish ack instead of queueing the request twice.
 */
export function requestMessageId(tenant: string, eventIds: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(tenant);
  for (const id of eventIds) hash.update(`\n${id}`);
  return hash.digest('hex');
}
