/**
 * Token buckets, one per key (an API key id, a client address): a bucket holds up to `perMinute` requests and
 * refills continuously at `perMinute` per minute, so a key may burst up to its limit and then goes on at the
 * sustained rate. Kept in this process only: with N processes behind a load balancer a key gets up to N times its
 * limit, which the limits are for (shielding the service from one runaway or hostile client), not a billing quota.
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Whole requests left right now. */
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until one more request is allowed; 0 when one is (Retry-After). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes one request from key's bucket if it has one. */
  take(key: string, perMinute: number): RateDecision;
  /** The bucket's state without taking from it. */
  peek(key: string, perMinute: number): RateDecision;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MINUTE_MS = 60_000;
/** Beyond this many buckets the least recently used go: a flood from ever new addresses cannot grow memory. */
const DEFAULT_MAX_BUCKETS = 100_000;

export function createRateLimiter(now: () => number, maxBuckets = DEFAULT_MAX_BUCKETS): RateLimiter {
  const buckets = new Map<string, Bucket>();

  function current(key: string, perMinute: number, at: number): Bucket {
    const bucket = buckets.get(key);
    if (bucket === undefined) return { tokens: perMinute, at };
    const refill = (Math.max(0, at - bucket.at) * perMinute) / MINUTE_MS;
    return { tokens: Math.min(perMinute, bucket.tokens + refill), at };
  }

  function decide(bucket: Bucket, perMinute: number, allowed: boolean): RateDecision {
    const msPerToken = MINUTE_MS / perMinute;
    return {
      allowed,
      limit: perMinute,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: Math.ceil(((perMinute - bucket.tokens) * msPerToken) / 1000),
      retryAfterSeconds: bucket.tokens >= 1 ? 0 : Math.max(1, Math.ceil(((1 - bucket.tokens) * msPerToken) / 1000)),
    };
  }

  function keep(key: string, bucket: Bucket): void {
    // Re-inserting moves the key to the end, so the Map's order is least recently used first.
    buckets.delete(key);
    buckets.set(key, bucket);
    for (const oldest of buckets.keys()) {
      if (buckets.size <= maxBuckets) break;
      buckets.delete(oldest);
    }
  }

  return {
    take(key, perMinute) {
      const bucket = current(key, perMinute, now());
      const allowed = bucket.tokens >= 1;
      if (allowed) bucket.tokens -= 1;
      keep(key, bucket);
      return decide(bucket, perMinute, allowed);
    },
    peek(key, perMinute) {
      const bucket = current(key, perMinute, now());
      return decide(bucket, perMinute, bucket.tokens >= 1);
    },
  };
}
