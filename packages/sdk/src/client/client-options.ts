import { EVENT_LIMITS } from '@audit-ledger/core';
import type { SpoolOptions } from '../spool/spool.js';
import type { DeliveryAck, DeliveryProblem, OverflowPolicy } from './delivery-types.js';
import type { FetchLike } from './http-transport.js';

export interface RetryOptions {
  /** First back-off ceiling; each retry doubles it (full jitter: the wait is uniform in [0, ceiling]). */
  baseDelayMs?: number;
  /** Largest back-off ceiling. A Retry-After from the service is honoured even when longer. */
  maxDelayMs?: number;
  /** Attempts per batch including the first; Infinity (default) keeps trying until delivered or close() gives up. */
  maxAttempts?: number;
}

export interface AuditClientOptions {
  /** Base URL of the service, e.g. `https://audit.example.com`. */
  url: string;
  /** An API key with `events:write` (add `events:read`/`log:read` for the query and verification helpers). */
  apiKey: string;
  /**
   * With a platform key: the tenant of events that do not name one, and of reads. With a tenant key leave it
   * unset (or set it to the key's tenant).
   */
  tenant?: string;
  /** Events per request, 1..1000. */
  batchSize?: number;
  /** Largest request body; stays well under the service's 10 MiB limit. */
  maxBatchBytes?: number;
  /** How long a partial batch waits for more events before it is sent. */
  lingerMs?: number;
  /** Events held in memory waiting to be sent (batches in flight are not counted). */
  maxBuffered?: number;
  overflow?: OverflowPolicy;
  /** Batches being sent at once. */
  maxInFlight?: number;
  retry?: RetryOptions;
  requestTimeoutMs?: number;
  /**
   * Check every event with the service's own validator before sending (about 15 µs of CPU per event in the
   * background). Off by default: the service checks anyway, and when it refuses a batch the client runs the same
   * validator on that batch, rejects exactly the invalid events and resends the rest at once.
   */
  validateBeforeSend?: boolean;
  /** Journal every recorded event to disk before record() returns; see SpoolOptions. */
  spool?: SpoolOptions;
  /** The log's verifier key to pin for verification; without it the key is fetched from the service. */
  verifierKey?: string;
  /** Told about every event that will not be delivered, every retry, and spool trouble. */
  onError?: (problem: DeliveryProblem) => void;
  /** Told about every acknowledged event (parsing the acknowledgements costs a little; only done when set). */
  onDelivered?: (acks: DeliveryAck[]) => void;
  /** Start sending what is buffered when the process is about to exit on its own (beforeExit). */
  flushOnExit?: boolean;
  /** A fetch implementation; Node's global fetch by default. */
  fetch?: FetchLike;
}

export interface ResolvedOptions {
  url: string;
  apiKey: string;
  tenant: string | undefined;
  batchSize: number;
  maxBatchBytes: number;
  lingerMs: number;
  maxBuffered: number;
  overflow: OverflowPolicy;
  maxInFlight: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  requestTimeoutMs: number;
  validateBeforeSend: boolean;
  flushOnExit: boolean;
}

export const CLIENT_DEFAULTS = {
  batchSize: 500,
  maxBatchBytes: 4 * 1024 * 1024,
  lingerMs: 50,
  maxBuffered: 100_000,
  overflow: 'drop-newest',
  maxInFlight: 2,
  baseDelayMs: 100,
  maxDelayMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  requestTimeoutMs: 30_000,
} as const;

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer in 1..${max}, got ${value}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

/** Applies defaults and rejects settings that cannot work, at construction rather than at the first send. */
export function resolveOptions(options: AuditClientOptions): ResolvedOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new TypeError(`url must be an absolute http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('url must be http or https');
  if (typeof options.apiKey !== 'string' || options.apiKey === '') throw new TypeError('apiKey is required');
  const overflow = options.overflow ?? CLIENT_DEFAULTS.overflow;
  if (!['drop-newest', 'drop-oldest', 'throw'].includes(overflow)) {
    throw new RangeError(`overflow must be drop-newest, drop-oldest or throw, got ${String(overflow)}`);
  }
  const maxAttempts = options.retry?.maxAttempts ?? CLIENT_DEFAULTS.maxAttempts;
  if (maxAttempts !== Number.POSITIVE_INFINITY) positiveInteger('retry.maxAttempts', maxAttempts);
  return {
    url: options.url,
    apiKey: options.apiKey,
    tenant: options.tenant,
    batchSize: positiveInteger('batchSize', options.batchSize ?? CLIENT_DEFAULTS.batchSize, EVENT_LIMITS.maxBatch),
    maxBatchBytes: positiveInteger('maxBatchBytes', options.maxBatchBytes ?? CLIENT_DEFAULTS.maxBatchBytes),
    lingerMs: nonNegative('lingerMs', options.lingerMs ?? CLIENT_DEFAULTS.lingerMs),
    maxBuffered: positiveInteger('maxBuffered', options.maxBuffered ?? CLIENT_DEFAULTS.maxBuffered),
    overflow,
    maxInFlight: positiveInteger('maxInFlight', options.maxInFlight ?? CLIENT_DEFAULTS.maxInFlight),
    baseDelayMs: nonNegative('retry.baseDelayMs', options.retry?.baseDelayMs ?? CLIENT_DEFAULTS.baseDelayMs),
    maxDelayMs: nonNegative('retry.maxDelayMs', options.retry?.maxDelayMs ?? CLIENT_DEFAULTS.maxDelayMs),
    maxAttempts,
    requestTimeoutMs: positiveInteger('requestTimeoutMs', options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs),
    validateBeforeSend: options.validateBeforeSend ?? false,
    flushOnExit: options.flushOnExit ?? true,
  };
}
