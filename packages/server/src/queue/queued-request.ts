import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { EventInput } from '@audit-ledger/core';
import type { WireSealingHint } from '../privacy/sealing-hint.js';

/** One ingest request as it travels through the stream: sequenced as a whole, never split. */
export interface QueuedRequest {
  tenant: string;
  /** Every event already carries its final id, so a redelivered message is a retry, not a new request. */
  events: Array<EventInput & { id: string }>;
  /**
   * One per event when the personal data was encrypted before queuing (so the stream never holds it in clear): what
   * the sequencer needs from the plaintext. Absent: the events are as the producer sent them.
   */
  sealing?: WireSealingHint[];
}

export interface EncodedRequest {
  data: Uint8Array;
  headers: MsgHdrs;
}

/** Core NATS subject the consumer answers on once the request is sequenced (set only by enqueueAndWait). */
export const REPLY_TO_HEADER = 'Audit-Ledger-Reply-To';
const ENCODING_HEADER = 'Content-Encoding';
const GZIP = 'gzip';

/**
 * Audit events are repetitive JSON that gzip shrinks several times over, which keeps requests of a thousand events
 * under the server's message size limit; small requests are left as they are because compressing them saves
 * nothing worth the CPU.
 */
const COMPRESS_ABOVE_BYTES = 64 * 1024;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export async function encodeQueuedRequest(request: QueuedRequest): Promise<EncodedRequest> {
  const json = Buffer.from(JSON.stringify(request), 'utf8');
  const headers = natsHeaders();
  if (json.byteLength <= COMPRESS_ABOVE_BYTES) return { data: json, headers };
  headers.set(ENCODING_HEADER, GZIP);
  return { data: await gzipAsync(json), headers };
}

/** Throws when the message is not a request this service wrote; such a message can never succeed. */
export async function decodeQueuedRequest(data: Uint8Array, headers: MsgHdrs | undefined): Promise<QueuedRequest> {
  const encoding = headers?.get(ENCODING_HEADER) ?? '';
  if (encoding !== '' && encoding !== GZIP) throw new Error(`unsupported content encoding "${encoding}"`);
  const json = encoding === GZIP ? await gunzipAsync(data) : Buffer.from(data);
  const value: unknown = JSON.parse(json.toString('utf8'));
  if (!isQueuedRequest(value)) throw new Error('message body is not a queued ingest request');
  return value;
}

function isQueuedRequest(value: unknown): value is QueuedRequest {
  if (typeof value !== 'object' || value === null) return false;
  const { tenant, events, sealing } = value as Record<string, unknown>;
  if (sealing !== undefined && !(Array.isArray(sealing) && Array.isArray(events) && sealing.length === events.length)) {
    return false;
  }
  return typeof tenant === 'string' && Array.isArray(events) && events.every(hasId);
}

function hasId(event: unknown): boolean {
  return typeof event === 'object' && event !== null && typeof (event as { id?: unknown }).id === 'string';
}
