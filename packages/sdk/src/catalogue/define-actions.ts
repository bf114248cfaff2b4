import { ACTION_PATTERN, EVENT_LIMITS, isPlainObject, type JsonObject } from '@audit-ledger/core';
import type { AuditEvent, AuditRecorder } from '../audit-event.js';
import { AuditValidationError } from '../client/errors.js';
import { issuePointer, type InferInput, type StandardSchemaV1 } from './standard-schema.js';

/** Action name → schema of its payload (any Standard Schema v1 validator whose output is a JSON object). */
export type ActionCatalogue = Record<string, StandardSchemaV1<unknown, Record<string, unknown>>>;

/** Everything of an event except what the catalogue decides: the action and its payload (`metadata`). */
export type CatalogueEventFields = Omit<AuditEvent, 'action' | 'metadata'>;

export interface ActionRecorder<Catalogue extends ActionCatalogue> {
  /**
   * Validates the payload with the action's schema and records the event with the validated payload (the schema's
   * output, so defaults and transforms apply) as its `metadata`. Throws AuditValidationError for an invalid
   * payload — a bug in the calling code, caught where it happens rather than in the log. Returns the event id.
   */
  record<Action extends keyof Catalogue & string>(
    action: Action,
    payload: InferInput<Catalogue[Action]>,
    event: CatalogueEventFields,
  ): string;
  /** The action names of the catalogue. */
  readonly actions: readonly (keyof Catalogue & string)[];
}

/**
 * Declares a team's actions once and returns a recorder typed by them:
 * `defineActions(client, { 'invoice.paid': z.object({ amount: z.number() }) }).record('invoice.paid', ...)`.
 * Action names are checked against the service's naming rule at definition time.
 */
export function defineActions<const Catalogue extends ActionCatalogue>(
  recorder: AuditRecorder,
  catalogue: Catalogue,
): ActionRecorder<Catalogue> {
  const actionName = new RegExp(ACTION_PATTERN);
  for (const [action, schema] of Object.entries(catalogue)) {
    if (!actionName.test(action) || action.length > EVENT_LIMITS.maxActionLength) {
      throw new TypeError(`"${action}" is not a valid action name (dotted lower-case, e.g. invoice.paid)`);
    }
    if (schema?.['~standard']?.version !== 1) {
      throw new TypeError(`the schema of "${action}" does not implement Standard Schema v1`);
    }
  }
  return {
    actions: Object.keys(catalogue) as (keyof Catalogue & string)[],
    record(action, payload, event) {
      const schema = catalogue[action];
      if (schema === undefined) throw new TypeError(`"${action}" is not in the action catalogue`);
      const result = schema['~standard'].validate(payload);
      if (result instanceof Promise) {
        throw new TypeError(`the schema of "${action}" validates asynchronously; record() needs a synchronous schema`);
      }
      if (result.issues !== undefined) {
        const issues = result.issues.map((issue) => ({ path: issuePointer(issue.path), message: issue.message }));
        throw new AuditValidationError(`invalid payload for ${action}`, issues);
      }
      if (!isPlainObject(result.value)) {
        throw new AuditValidationError(`invalid payload for ${action}`, [{ path: '', message: 'must be a JSON object' }]);
      }
      return recorder.record({ ...event, action, metadata: result.value as JsonObject });
    },
  };
}
