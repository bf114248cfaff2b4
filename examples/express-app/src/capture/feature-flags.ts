import { auditedRedis, resourceByPrefix, type AuditRecorder } from '@audit-ledger/sdk';
import type { Redis } from 'ioredis';

const PREFIX = 'flags:';

/**
 * Per-account feature flags, one Redis hash per account (`flags:<account>`, field = flag, value = "on"/"off").
 * Writes go through `auditedRedis`: each HSET/HDEL runs in one script with reading the hash before and after, so the
 * `feature_flags.create|update` event holds exactly the flags before and after the change.
 */
export class FeatureFlags {
  readonly #redis: Redis;

  constructor(redis: Redis, recorder: AuditRecorder) {
    this.#redis = auditedRedis(redis, {
      recorder,
      // `flags:acme` is the resource {type: 'feature_flags', id: 'acme'}; any other key is not audited.
      resource: resourceByPrefix({ [PREFIX]: { type: 'feature_flags' } }),
    });
  }

  async set(account: string, flag: string, enabled: boolean): Promise<Record<string, boolean>> {
    await this.#redis.hset(`${PREFIX}${account}`, flag, enabled ? 'on' : 'off');
    return this.all(account);
  }

  async all(account: string): Promise<Record<string, boolean>> {
    const stored = await this.#redis.hgetall(`${PREFIX}${account}`);
    return Object.fromEntries(Object.entries(stored).map(([flag, value]) => [flag, value === 'on']));
  }
}
