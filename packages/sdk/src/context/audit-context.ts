import { AsyncLocalStorage } from 'node:async_hooks';
import { EVENT_CONTEXT_FIELDS, type EventActor, type EventContext } from '@audit-ledger/core';

/**
 * Who is acting and from where, for everything that runs inside one request, job or script. The field names are the
 * event's own (`context.*`, `actor`, `tenant`) so a context can be copied into an event without renaming.
 */
export interface AuditContext extends EventContext {
  actor?: EventActor;
  tenant?: string;
}

/**
 * A change to the current context. `undefined` leaves a field as it is (so resolvers may return `undefined` freely);
 * `null` removes it (e.g. the actor after a logout).
 */
export type AuditContextPatch = { [K in keyof AuditContext]?: AuditContext[K] | null | undefined };

// The `context.*` fields of an event, in one list so merging and copying never miss one.
export { EVENT_CONTEXT_FIELDS };

/**
 * One scope's state. The value is replaced, never mutated, on update: events already handed to a recorder may share
 * parts of it. The event-shaped split (`actor`, `tenant`, `context`) is computed once per change rather than on every
 * record, because recording is the hot path.
 */
export interface ContextCell {
  value: Readonly<AuditContext>;
  context: Readonly<EventContext> | undefined;
}

const storage = new AsyncLocalStorage<ContextCell>();

/**
 * Runs `fn` with an audit context. Scopes nest: the new scope starts from the enclosing one and the given fields
 * override it (an inner `actor` replaces the outer actor as a whole; identities are never mixed field by field).
 * Returns what `fn` returns, promise included.
 */
export function withAuditContext<T>(context: AuditContextPatch, fn: () => T): T {
  const parent = storage.getStore();
  return storage.run(makeCell(applyPatch(parent?.value ?? {}, context)), fn);
}

/** The context of the current scope, or `undefined` outside any scope. Read-only: change it with `updateAuditContext`. */
export function currentAuditContext(): Readonly<AuditContext> | undefined {
  return storage.getStore()?.value;
}

/**
 * Changes the current scope's context from here on, for every continuation of the scope (e.g. the actor once a login
 * inside the request succeeded). Enclosing scopes are not affected, and neither are scopes already opened inside this
 * one. Throws outside any scope: an update that goes nowhere would silently drop attribution.
 */
export function updateAuditContext(patch: AuditContextPatch): void {
  const cell = storage.getStore();
  if (cell === undefined) {
    throw new Error('updateAuditContext called outside an audit context (use withAuditContext or the middleware)');
  }
  patchContextCell(cell, patch);
}

/** Applies a patch to a given cell (the middleware's, when it holds the cell but is not running inside it). */
export function patchContextCell(cell: ContextCell, patch: AuditContextPatch): void {
  const next = makeCell(applyPatch(cell.value, patch));
  cell.value = next.value;
  cell.context = next.context;
}

/** The current scope's cell, for the recorder and the middleware; not part of the public surface. */
export function currentContextCell(): ContextCell | undefined {
  return storage.getStore();
}

/** Runs `fn` inside an existing cell, e.g. to re-enter a request's scope after a framework lost it. */
export function runInContextCell<T>(cell: ContextCell, fn: () => T): T {
  return storage.run(cell, fn);
}

/** A new cell holding the enclosing context (if any) with the patch applied. */
export function openContextCell(patch: AuditContextPatch): ContextCell {
  return makeCell(applyPatch(storage.getStore()?.value ?? {}, patch));
}

function applyPatch(base: Readonly<AuditContext>, patch: AuditContextPatch): AuditContext {
  const next: Record<string, unknown> = { ...base };
  for (const key of Object.keys(patch) as (keyof AuditContext)[]) {
    const value = patch[key];
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = key === 'actor' ? { ...(value as EventActor) } : value;
  }
  return next as AuditContext;
}

function makeCell(value: AuditContext): ContextCell {
  let context: EventContext | undefined;
  for (const field of EVENT_CONTEXT_FIELDS) {
    const v = value[field];
    if (v !== undefined) (context ??= {})[field] = v;
  }
  if (value.actor !== undefined) Object.freeze(value.actor);
  if (context !== undefined) Object.freeze(context);
  return { value: Object.freeze(value), context };
}
