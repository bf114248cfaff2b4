import type { EventActor } from '@audit-ledger/core';
import type { AuditRecorder } from '../audit-event.js';
import { runInContextCell, type ContextCell } from '../context/audit-context.js';
import { completeFromContext } from '../context/contextual-recorder.js';

/**
 * Recording of refused requests by the middlewares: every response with one of `statuses` becomes an event, with the
 * request's audit context (ip, user agent, request id, session, the actor if one was known). Failed logins and
 * attempts on what a user may not touch are what security reviews ask for first, and they happen in code paths
 * (authentication, authorization guards) that rarely record anything themselves.
 */
export interface DenialRecording {
  /** Where the events go: an AuditClient, or any AuditRecorder. */
  recorder: AuditRecorder;
  /** Response statuses recorded; default 401 and 403. */
  statuses?: readonly number[];
  /** The events' action; default `access.denied`. */
  action?: string;
  /** Told when recording throws (a full buffer under the `throw` overflow policy); the response is never affected. */
  onError?: (error: unknown) => void;
}

const DEFAULT_STATUSES: readonly number[] = [401, 403];
/** Who a refused request came from when nobody was authenticated. */
const ANONYMOUS: EventActor = { id: 'anonymous', type: 'user' };

/**
 * Records a finished request when its status is one of the recording's (else does nothing): resource `http-route` `<METHOD> <path>` (the query string is left out: it may carry
 * tokens), outcome `denied`, the status in metadata, completed from the request's context cell.
 */
export function recordDenial(
  recording: DenialRecording,
  cell: ContextCell,
  request: { method: string; url: string; status: number },
): void {
  if (!(recording.statuses ?? DEFAULT_STATUSES).includes(request.status)) return;
  const path = request.url.split('?', 1)[0] ?? '';
  try {
    const event = runInContextCell(cell, () =>
      completeFromContext(
        {
          action: recording.action ?? 'access.denied',
          outcome: 'denied',
          resource: { type: 'http-route', id: `${request.method} ${path}` },
          metadata: { status: request.status },
        },
        ANONYMOUS,
      ),
    );
    recording.recorder.record(event);
  } catch (error) {
    recording.onError?.(error);
  }
}
