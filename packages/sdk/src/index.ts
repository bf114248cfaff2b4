export type { AuditEvent, AuditRecorder } from './audit-event.js';
export { createAuditClient, type AuditClient, type CloseOptions } from './client/create-audit-client.js';
export { CLIENT_DEFAULTS, type AuditClientOptions, type RetryOptions } from './client/client-options.js';
export type {
  AuditClientStats,
  DeliveryAck,
  DeliveryProblem,
  DropReason,
  OverflowPolicy,
  RecordedEvent,
  RejectReason,
} from './client/delivery-types.js';
export {
  AUDIT_ERROR_CODES,
  AuditBufferFullError,
  AuditClientStateError,
  AuditLedgerError,
  AuditNetworkError,
  AuditProtocolError,
  AuditServiceError,
  AuditValidationError,
  AuditVerificationError,
  VERIFICATION_FAILURES,
  type AuditErrorCode,
  type FieldIssue,
  type ProblemDocument,
  type VerificationFailure,
} from './client/errors.js';
export type { FetchLike } from './client/http-transport.js';
export type { SpoolOptions } from './spool/spool.js';
export type { EventFilter, EventPage, EventsApi, ResourceStateView } from './query/events-api.js';
export {
  verifyCheckpointNote,
  type CheckpointOptions,
  type ConsistencyProof,
  type InclusionProof,
  type LogApi,
  type LogEntry,
  type TenantOption,
  type VerifiedCheckpoint,
} from './query/log-api.js';
export type { EventVerification, VerifyEventOptions } from './verify/verify-event.js';
export {
  defineActions,
  type ActionCatalogue,
  type ActionRecorder,
  type CatalogueEventFields,
} from './catalogue/define-actions.js';
export type {
  InferInput,
  InferOutput,
  StandardIssue,
  StandardResult,
  StandardSchemaV1,
} from './catalogue/standard-schema.js';
export {
  completeFromContext,
  contextualRecorder,
  currentAuditContext,
  MissingActorError,
  updateAuditContext,
  withAuditContext,
  type AuditContext,
  type AuditContextPatch,
  type ContextualAuditEvent,
  type ContextualRecorder,
  type ContextualRecorderOptions,
} from './context/index.js';
export {
  auditContext,
  fastifyAuditContext,
  sessionFingerprint,
  type ExpressAuditContextOptions,
  type ExpressLikeRequest,
  type ExpressLikeResponse,
  type FastifyAuditContextOptions,
  type FastifyLikeInstance,
  type FastifyLikeReply,
  type FastifyLikeRequest,
  type DenialRecording,
  type RequestContextOptions,
} from './middleware/index.js';
export {
  audited,
  auditedFs,
  auditedRedis,
  PathOutsideRootError,
  resourceByPrefix,
  type AsyncMethodKeys,
  type AuditedFs,
  type AuditedFsOptions,
  type AuditedMethod,
  type AuditedOptions,
  type AuditedRedisOptions,
  type CaptureOptions,
  type ChangeOperation,
  type FileResource,
  type RedisKeyResource,
  type RedisScriptClient,
} from './capture/index.js';
