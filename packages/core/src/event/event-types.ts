import type { JsonObject } from './json-value.js';

export const ACTOR_TYPES = ['user', 'service', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const OUTCOMES = ['success', 'failure', 'denied'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const DEFAULT_ACTOR_TYPE: ActorType = 'user';
export const DEFAULT_OUTCOME: Outcome = 'success';

export interface EventActor {
  id: string;
  type?: ActorType;
  name?: string;
  email?: string;
}

export interface EventResource {
  type: string;
  id: string;
  name?: string;
}

/** The members of an event's `context`, in one list so code that copies, merges or validates them misses none. */
export const EVENT_CONTEXT_FIELDS = [
  'ip',
  'user_agent',
  'request_id',
  'session_id',
  'business_process',
  'auth_method',
  'role',
  'reason',
] as const satisfies readonly (keyof EventContext)[];

export interface EventContext {
  ip?: string;
  user_agent?: string;
  request_id?: string;
  session_id?: string;
  business_process?: string;
  auth_method?: string;
  role?: string;
  reason?: string;
}

export interface EventChanges {
  before?: JsonObject | null;
  after?: JsonObject | null;
}

/** An event as a producer submits it, after validation and normalisation (lower-case id). */
export interface EventInput {
  id?: string;
  tenant?: string;
  action: string;
  actor: EventActor;
  resource: EventResource;
  outcome?: Outcome;
  occurred_at?: string;
  context?: EventContext;
  changes?: EventChanges;
  metadata?: JsonObject;
  classification?: Classification;
  compliance_tags?: string[];
  retention_category?: string;
  /** The data subject the event is about; personal data is encrypted under this subject's key. */
  subject_id?: string;
}

export interface SealedActor {
  id: string;
  type: ActorType;
  name?: string;
  email?: string;
}

/**
 * The personal values of one event, encrypted together under its data subject's key: `paths` lists their JSON
 * Pointers (sorted), and `sealed` is base64url(iv ‖ ciphertext ‖ tag) of AES-256-GCM over the canonical JSON array of
 * the values in `paths` order. The key id and the paths are not personal data; the values at those paths read null in
 * the sealed event.
 */
export interface SealedPersonalData {
  key: string;
  paths: string[];
  sealed: string;
}

/**
 * The stored event exactly as it is hashed into the log. Optional fields appear only when the producer sent them:
 * a null placeholder would change the leaf bytes without carrying information. With encryption, the value at each
 * path `personal_data` lists is null in the stored form (whatever its type says) until a reader puts it back.
 */
export interface SealedEvent {
  id: string;
  tenant: string;
  seq: number;
  received_at: string;
  occurred_at: string;
  action: string;
  actor: SealedActor;
  resource: EventResource;
  outcome: Outcome;
  changed_fields: string[];
  context?: EventContext;
  changes?: EventChanges;
  metadata?: JsonObject;
  classification?: Classification;
  compliance_tags?: string[];
  retention_category?: string;
  subject_id?: string;
  /**
   * The id of the API key that submitted the event, stamped by the service (a producer cannot set it): who wrote an
   * entry is then part of what the log proves, whatever actor the event names. Absent on entries the service recorded
   * itself and on entries written before it was stamped.
   */
  submitted_by?: string;
  /** Present when the event holds encrypted personal data. */
  personal_data?: SealedPersonalData;
}

/** A sealed event together with its log hashes, hex encoded, as the API returns it. */
export interface StoredEventView extends SealedEvent {
  leaf_hash: string;
  chain_hash: string;
}
