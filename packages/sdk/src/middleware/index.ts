export {
  auditContext,
  type ExpressAuditContextOptions,
  type ExpressLikeRequest,
  type ExpressLikeResponse,
} from './express-audit-context.js';
export {
  fastifyAuditContext,
  type FastifyAuditContextOptions,
  type FastifyLikeInstance,
  type FastifyLikeReply,
  type FastifyLikeRequest,
} from './fastify-audit-context.js';
export { type DenialRecording } from './denials.js';
export { sessionFingerprint, type RequestContextOptions } from './request-fields.js';
