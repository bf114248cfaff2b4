export type { AppContext, IngestAck, ServiceConfig, VerifyReport, VerifyFailure } from './app-context.js';
export { createAppContext, type AppOptions } from './app.js';
export { readEnvironment } from './config.js';
export { LedgerError, ERROR_CODES, toProblem, type ErrorCode, type ProblemDocument } from './errors.js';
export { buildHttpServer } from './http/build-http-server.js';
export { openStore } from './store/open-store.js';
export type { LedgerStore } from './store/ledger-store.js';
export { verifyStoredLog } from './log/verify-stored-log.js';
export { verifyRemoteLog } from './log/verify-remote-log.js';
