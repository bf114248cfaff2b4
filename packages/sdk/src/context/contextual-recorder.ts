import type { EventActor, EventContext } from '@audit-ledger/core';
import type { AuditEvent, AuditRecorder } from '../audit-event.js';
import { currentContextCell, EVENT_CONTEXT_FIELDS } from './audit-context.js';

/** An event whose actor may come from the audit context instead. */
export type ContextualAuditEvent = Omit<AuditEvent, 'actor'> & { actor?: EventActor };

/** An `AuditRecorder` that also accepts events without an actor, taking it from the audit context. */
export interface ContextualRecorder extends AuditRecorder {
  record(event: ContextualAuditEvent): string;
}

export interface ContextualRecorderOptions {
  /**
   * The actor for events recorded where neither the event nor the context names one (e.g. `{id: 'billing-worker',
   * type: 'service'}` for a worker process). Without it such an event is a programming error and `record` throws.
   */
  defaultActor?: EventActor;
}

/** Thrown by `record` when no actor can be found for an event. */
export class MissingActorError extends Error {
  constructor(action: string) {
    super(`no actor for "${action}": the event names none, no audit context provides one and there is no default actor`);
    this.name = 'MissingActorError';
  }
}

/**
 * Wraps a recorder so every event is completed from the current audit context.
 *
 * Precedence, field by field: what the event says wins; then the current context; then `defaultActor` (actor only).
 * - `actor`: the event's actor as a whole, else the context's actor as a whole (never a mix of two identities).
 * - `tenant`: the event's, else the context's.
 * - `context.<field>` (ip, user_agent, request_id, session_id, business_process, auth_method, role, reason): each field
 *   from the event if it has it, else from the context. `null` is not a valid context value, so there is no way (and
 *   no need) for an event to "erase" a context field; record outside the scope for that.
 */
export function contextualRecorder(recorder: AuditRecorder, options: ContextualRecorderOptions = {}): ContextualRecorder {
  const { defaultActor } = options;
  return {
    record(event: ContextualAuditEvent): string {
      return recorder.record(completeFromContext(event, defaultActor));
    },
  };
}

/**
 * The event completed from the current context (see `contextualRecorder` for precedence). The input is not modified;
 * the result shares no mutable object with the context.
 */
export function completeFromContext(event: ContextualAuditEvent, defaultActor?: EventActor): AuditEvent {
  const cell = currentContextCell();
  const scopeActor = cell?.value.actor ?? defaultActor;
  if (event.actor === undefined && scopeActor === undefined) throw new MissingActorError(event.action);
  if (cell === undefined && event.actor !== undefined) return event as AuditEvent;
  // Object.assign and explicit copies rather than `{...event, actor}`: V8 handles spread-then-extend far slower, and
  // this runs on every record.
  const completed = Object.assign({}, event) as AuditEvent;
  if (event.actor === undefined) completed.actor = copyActor(scopeActor as EventActor);
  if (cell === undefined) return completed;
  const tenant = event.tenant ?? cell.value.tenant;
  if (tenant !== undefined) completed.tenant = tenant;
  const context = mergeContext(event.context, cell.context);
  if (context !== undefined) completed.context = context;
  return completed;
}

function copyActor(actor: EventActor): EventActor {
  const copy: EventActor = { id: actor.id };
  if (actor.type !== undefined) copy.type = actor.type;
  if (actor.name !== undefined) copy.name = actor.name;
  if (actor.email !== undefined) copy.email = actor.email;
  return copy;
}

function mergeContext(own: EventContext | undefined, scope: Readonly<EventContext> | undefined): EventContext | undefined {
  if (scope === undefined) return own;
  const merged: EventContext = {};
  for (const field of EVENT_CONTEXT_FIELDS) {
    const value = own?.[field] ?? scope[field];
    if (value !== undefined) merged[field] = value;
  }
  return merged;
}

/** The actor an event recorded now would get when it names none: the context's, else the default. */
export function resolveContextActor(defaultActor?: EventActor): EventActor | undefined {
  return currentContextCell()?.value.actor ?? defaultActor;
}
