export { audited, type AsyncMethodKeys, type AuditedMethod, type AuditedOptions } from './audited-repository.js';
export {
  auditedRedis,
  resourceByPrefix,
  type AuditedRedisOptions,
  type RedisKeyResource,
  type RedisScriptClient,
} from './audited-redis.js';
export type { CaptureOptions, ChangeOperation } from './capture-sink.js';
export { auditedFs, type AuditedFs, type AuditedFsOptions, type FileResource } from './audited-fs.js';
export { PathOutsideRootError } from './root-path.js';
