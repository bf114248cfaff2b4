export type { AuditEvent, AuditRecorder } from './audit-event.js';
