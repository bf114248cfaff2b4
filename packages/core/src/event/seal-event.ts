import { changedFields } from './changed-fields.js';
import { cloneJson } from './clone-json.js';
import { isNormalEventId } from './event-id.js';
import {
  DEFAULT_ACTOR_TYPE,
  DEFAULT_OUTCOME,
  type EventChanges,
  type EventContext,
  type EventInput,
  type SealedEvent,
  type SealedPersonalData,
} from './event-types.js';
import type { JsonObject } from './json-value.js';

export interface SealContext {
  /** The tenant whose log the event joins (from the API key, or the event's own `tenant` with a platform key). */
  tenant: string;
  /** 0-based position in the tenant's log, equal to the Merkle leaf index. */
  seq: number;
  receivedAt: Date;
  /** The event id: the submitted one, or a new UUIDv7. */
  id: string;
}

export interface SealOptions {
  /**
   * changed_fields derived beforehand from the plaintext changes. Needed when the personal values in `changes` are
   * already encrypted: every ciphertext differs, so deriving them from the encrypted input would list every field.
   */
  changedFields?: readonly string[];
  /**
   * The event's personal values, encrypted beforehand (the input then holds null at each of its paths); sealed as the
   * `personal_data` member. Never taken from the input: a producer cannot submit one.
   */
  personalData?: Readonly<SealedPersonalData>;
  /** The id of the API key that submitted the event, sealed as `submitted_by`. Never taken from the input. */
  submittedBy?: string;
}

/**
 * Builds the stored form of a validated event: defaults filled in (actor type, outcome, occurred_at), server facts
 * added (tenant, seq, received_at) and changed_fields derived. Optional fields are copied only when present, and
 * deeply, so the sealed value shares nothing with the input. Throws when `at` contradicts the input: sealing an
 * event under another id or tenant than it names would put a different fact in the log than the producer sent.
 */
export function sealEvent(input: EventInput, at: SealContext, options: SealOptions = {}): SealedEvent {
  if (!isNormalEventId(at.id)) throw new RangeError('seal id must be a lower-case UUID');
  if (input.id !== undefined && input.id.toLowerCase() !== at.id) {
    throw new RangeError('seal id differs from the event id');
  }
  if (input.tenant !== undefined && input.tenant !== at.tenant) {
    throw new RangeError('seal tenant differs from the event tenant');
  }
  if (!Number.isSafeInteger(at.seq) || at.seq < 0) throw new RangeError('seq must be a non-negative integer');
  if (Number.isNaN(at.receivedAt.getTime())) throw new RangeError('receivedAt must be a valid Date');

  const receivedAt = at.receivedAt.toISOString();
  const { actor, resource } = input;
  const sealed: SealedEvent = {
    id: at.id,
    tenant: at.tenant,
    seq: at.seq,
    received_at: receivedAt,
    occurred_at: input.occurred_at ?? receivedAt,
    action: input.action,
    // Members in RFC 8785 order, so canonical JSON of them is written natively (see canonicalJson).
    actor: {
      ...(actor.email !== undefined && { email: actor.email }),
      id: actor.id,
      ...(actor.name !== undefined && { name: actor.name }),
      type: actor.type ?? DEFAULT_ACTOR_TYPE,
    },
    resource: {
      id: resource.id,
      ...(resource.name !== undefined && { name: resource.name }),
      type: resource.type,
    },
    outcome: input.outcome ?? DEFAULT_OUTCOME,
    changed_fields:
      options.changedFields !== undefined
        ? [...options.changedFields]
        : changedFields(input.changes?.before, input.changes?.after),
  };
  if (input.context !== undefined) sealed.context = cloneJson(input.context as JsonObject) as EventContext;
  if (input.changes !== undefined) sealed.changes = cloneJson(input.changes as JsonObject) as EventChanges;
  if (input.metadata !== undefined) sealed.metadata = cloneJson(input.metadata);
  if (input.classification !== undefined) sealed.classification = input.classification;
  if (input.compliance_tags !== undefined) sealed.compliance_tags = [...input.compliance_tags];
  if (input.retention_category !== undefined) sealed.retention_category = input.retention_category;
  if (input.subject_id !== undefined) sealed.subject_id = input.subject_id;
  const personal = options.personalData;
  if (personal !== undefined) {
    sealed.personal_data = { key: personal.key, paths: [...personal.paths], sealed: personal.sealed };
  }
  if (options.submittedBy !== undefined) sealed.submitted_by = options.submittedBy;
  return sealed;
}
