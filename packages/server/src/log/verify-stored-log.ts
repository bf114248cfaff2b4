// Verification of a stored log lives in ./verify/; this module keeps the path callers import it from.
export { parseCanonicalLeaf, type LeafParse } from './verify/canonical-leaf.js';
export { DEFAULT_MAX_LISTED_FAILURES, FailureList } from './verify/failure-list.js';
export {
  DEFAULT_VERIFY_PAGE_SIZE,
  verifyStoredLog,
  type StoredLogReport,
  type VerifyStoredLogOptions,
} from './verify/verify-stored-log.js';
