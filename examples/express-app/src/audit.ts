import {
  contextualRecorder,
  createAuditClient,
  defineActions,
  type ActionRecorder,
  type AuditClient,
  type DeliveryProblem,
} from '@audit-ledger/sdk';
import { ACTIONS } from './actions.js';

export interface Audit {
  /** Records events in the background (batched, retried) and reads/verifies them (scopes events:read, log:read). */
  client: AuditClient;
  /** The typed catalogue: `actions.record('invoice.paid', payload, {actor, resource})`. */
  actions: ActionRecorder<typeof ACTIONS>;
}

export function createAudit(options: {
  url: string;
  apiKey: string;
  onProblem?: (problem: DeliveryProblem) => void;
}): Audit {
  const client = createAuditClient({
    url: options.url,
    apiKey: options.apiKey,
    // A platform key publishes for every account; each event names its tenant, taken from the audit context.
    ...(options.onProblem !== undefined ? { onError: options.onProblem } : {}),
  });
  // Tenant, ip, user agent and request id come from the request's audit context (the Express middleware).
  const actions = defineActions(contextualRecorder(client), ACTIONS);
  return { client, actions };
}

/** One line about a delivery problem, for the log. */
export function describeProblem(problem: DeliveryProblem): string {
  switch (problem.kind) {
    case 'rejected':
      return `${problem.events.length} event(s) rejected (${problem.reason}): ${problem.error.message}`;
    case 'dropped':
      return `${problem.events.length} event(s) dropped (${problem.reason})`;
    case 'failed':
      return `${problem.events.length} event(s) not delivered: ${problem.error.message}`;
    case 'retrying':
      return `${problem.count} event(s) retried in ${problem.delayMs} ms (attempt ${problem.attempt}): ${problem.error.message}`;
    case 'spool':
      return problem.message;
  }
}
