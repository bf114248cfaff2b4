export {
  currentAuditContext,
  updateAuditContext,
  withAuditContext,
  type AuditContext,
  type AuditContextPatch,
} from './audit-context.js';
export {
  completeFromContext,
  contextualRecorder,
  MissingActorError,
  type ContextualAuditEvent,
  type ContextualRecorder,
  type ContextualRecorderOptions,
} from './contextual-recorder.js';
