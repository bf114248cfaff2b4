import { ACTION_PATTERN, type EventActor, type EventResource, type JsonObject } from '@audit-ledger/core';
import type { AuditEvent, AuditRecorder } from '../audit-event.js';
import { completeFromContext, MissingActorError, resolveContextActor } from '../context/contextual-recorder.js';

/** Options every capture adapter takes. */
export interface CaptureOptions {
  /** Where the change events go (e.g. the client from `createAuditClient`). */
  recorder: AuditRecorder;
  /**
   * The actor for changes made where the audit context names none (workers, scripts). The actor, tenant and request
   * fields otherwise come from the current audit context, as with `contextualRecorder`.
   */
  actor?: EventActor;
  /** Fields added to every event (classification, retention_category, compliance_tags, metadata...). */
  defaults?: Pick<AuditEvent, 'classification' | 'compliance_tags' | 'retention_category' | 'metadata'>;
}

/** The verb of a change; the action is `<resource type>.<operation>`. */
export type ChangeOperation = 'create' | 'update' | 'delete' | 'rename';

/**
 * The operation two observed states amount to, or `undefined` when nothing changed existence-wise and there is nothing
 * to say (absent before and after). Adapters derive the action from what they observed rather than from the method
 * name, so an "update" of a missing row that inserts it is recorded as the create it was.
 */
export function operationFor(before: JsonObject | null, after: JsonObject | null): 'create' | 'update' | 'delete' | undefined {
  if (before === null) return after === null ? undefined : 'create';
  return after === null ? 'delete' : 'update';
}

/** One captured change, before it becomes an event. */
export interface CapturedChange {
  operation: ChangeOperation;
  resource: EventResource;
  /** `undefined` when the state could not be read (the event then carries no such side). */
  before: JsonObject | null | undefined;
  after: JsonObject | null | undefined;
  tenant?: string | undefined;
  metadata?: JsonObject | undefined;
}

/** Where an adapter sends its changes; checks what it can before the write so a write is never left unaudited. */
export interface CaptureSink {
  /**
   * Throws, before the underlying write, when an event about `resourceType` could not be recorded afterwards: no actor
   * anywhere, or a type that does not make a valid action. Failing before the write keeps the rule "no change
   * without its record" without ever throwing after a write that already happened.
   */
  precheck(resourceType: string): void;
  /** Records a change that has happened; returns the event id. */
  emit(change: CapturedChange): string;
}

const ACTION = new RegExp(ACTION_PATTERN);

export function createCaptureSink(options: CaptureOptions): CaptureSink {
  const { recorder, actor: defaultActor, defaults } = options;
  return {
    precheck(resourceType) {
      assertResourceType(resourceType);
      if (resolveContextActor(defaultActor) === undefined) throw new MissingActorError(`${resourceType}.*`);
    },
    emit(change) {
      const metadata = defaults?.metadata || change.metadata ? { ...defaults?.metadata, ...change.metadata } : undefined;
      const event = {
        ...defaults,
        action: `${change.resource.type}.${change.operation}`,
        resource: change.resource,
        changes: {
          ...(change.before !== undefined ? { before: change.before } : {}),
          ...(change.after !== undefined ? { after: change.after } : {}),
        },
        ...(change.tenant !== undefined ? { tenant: change.tenant } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
      };
      return recorder.record(completeFromContext(event, defaultActor));
    },
  };
}

/** Resource types become the start of an action name (`customer`, `api-key`, `invoice.line_item`). */
export function assertResourceType(type: string): void {
  if (!ACTION.test(`${type}.update`)) {
    throw new TypeError(`resource type "${type}" cannot start an action name: use lower-case letters, digits, "-", "_" and "."`);
  }
}
