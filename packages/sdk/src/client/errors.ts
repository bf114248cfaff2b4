/** One problem of a request body or a payload, in the shape of the problem+json `errors[]` member. */
export interface FieldIssue {
  /** JSON Pointer into the body (`/events/3/actor/id`) or into a payload (`/amount`). */
  path: string;
  message: string;
}

/** The service's error body (RFC 9457 problem+json), as the contract defines it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldIssue[];
}

/**
 * The closed set of failures the SDK reports. Every error it throws or hands to `onError` is one of the classes
 * below, so a caller can switch on `code` (or use instanceof) and know it has covered every case.
 */
export const AUDIT_ERROR_CODES = [
  'network',
  'service',
  'protocol',
  'validation',
  'verification',
  'buffer-full',
  'client-state',
] as const;

export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[number];

export abstract class AuditLedgerError extends Error {
  abstract readonly code: AuditErrorCode;
}

/** No answer: the connection failed, was reset, or the request timed out. Deliveries retry these. */
export class AuditNetworkError extends AuditLedgerError {
  override readonly name = 'AuditNetworkError';
  readonly code = 'network';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The service answered with an error status; `problem` is its problem+json body when it sent one. */
export class AuditServiceError extends AuditLedgerError {
  override readonly name = 'AuditServiceError';
  readonly code = 'service';

  constructor(
    readonly status: number,
    readonly problem: ProblemDocument | null,
    /** Milliseconds the service asked to wait (Retry-After), when it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(problem !== null ? `${status} ${problem.title}: ${problem.detail}` : `the service answered ${status}`);
  }
}

/** The service answered, but not as the contract says (unparsable JSON, a missing member, a wrong content type). */
export class AuditProtocolError extends AuditLedgerError {
  override readonly name = 'AuditProtocolError';
  readonly code = 'protocol';
}

/** An event or payload is invalid; `issues` says where and why. */
export class AuditValidationError extends AuditLedgerError {
  override readonly name = 'AuditValidationError';
  readonly code = 'validation';

  constructor(
    message: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(message);
  }
}

export const VERIFICATION_FAILURES = [
  /** The served leaf does not hash to the event's leaf_hash, or is not the event's leaf. */
  'leaf-mismatch',
  /** The event as served differs from what its leaf says. */
  'content-mismatch',
  /** The checkpoint is not signed by the verifier key, or its signature does not verify. */
  'checkpoint-signature',
  /** The checkpoint or the key is malformed, or names another log. */
  'checkpoint-malformed',
  /** No checkpoint covering the event appeared while waiting. */
  'checkpoint-not-covering',
  /** The inclusion proof does not lead from the leaf to the checkpoint's root. */
  'inclusion-proof',
] as const;

export type VerificationFailure = (typeof VERIFICATION_FAILURES)[number];

/** Verification ran and something does not hold: the log, the proof or the key cannot be trusted for this event. */
export class AuditVerificationError extends AuditLedgerError {
  override readonly name = 'AuditVerificationError';
  readonly code = 'verification';

  constructor(
    readonly reason: VerificationFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** record() with overflow 'throw' while the buffer is full: the event was not recorded. */
export class AuditBufferFullError extends AuditLedgerError {
  override readonly name = 'AuditBufferFullError';
  readonly code = 'buffer-full';
}

/** The client cannot do this in its current state: it is closed, or its spool directory is held by another client. */
export class AuditClientStateError extends AuditLedgerError {
  override readonly name = 'AuditClientStateError';
  readonly code = 'client-state';
}
