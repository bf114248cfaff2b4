/**
 * Size limits for one submitted event. They keep a single event cheap to validate, hash, index and render, and they
 * are what a producer can rely on: anything within them is accepted.
 */
export const EVENT_LIMITS = {
  /** Events in one `{"events": [...]}` body unless the caller configures otherwise. */
  maxBatch: 1000,
  /** Identifiers: actor.id, resource.id, request_id, session_id, subject_id. */
  maxIdLength: 256,
  /** Human-readable names: actor.name, resource.name. */
  maxNameLength: 1024,
  maxActionLength: 128,
  /** Short vocabulary values: resource.type, business_process, auth_method, role, tags, retention_category. */
  maxLabelLength: 128,
  /** RFC 5321 caps a path at 256 octets; 320 is the commonly quoted local-part + domain maximum. */
  maxEmailLength: 320,
  /** Long enough for the longest IPv6 text form plus a zone index. */
  maxIpLength: 64,
  maxUserAgentLength: 1024,
  maxReasonLength: 2048,
  maxComplianceTags: 32,
  /**
   * Nesting depth of the whole event, counting the event object itself as level 1 (so `metadata` is level 2).
   * Bounded so every later walk over the value (hashing, diffing, masking, rendering) stays shallow.
   */
  maxDepth: 32,
  /** Every JSON value in the event counts once: objects, arrays and scalars, the event object included. */
  maxValues: 10_000,
  /** Producer clocks drift; beyond this an occurred_at in the future is a bug, not skew. */
  maxFutureSkewMs: 5 * 60 * 1000,
  /** Errors reported for one request; the first ones are enough to fix a producer. */
  maxErrors: 100,
} as const;
