import { isIP } from 'node:net';
import { checkJsonTree } from './deep-check.js';
import type { EventInput } from './event-types.js';
import type { FieldError } from './field-error.js';
import { appendPointer } from './json-pointer.js';
import { cloneJson } from './clone-json.js';
import { isPlainObject, type JsonObject } from './json-value.js';
import { EVENT_LIMITS } from './limits.js';
import { eventShapeValidator, schemaErrors } from './schema-errors.js';
import { parseTimestamp } from './timestamp.js';

export interface ValidateEventBodyOptions {
  /** The receiving instant that `occurred_at` is checked against; defaults to the current time. */
  now?: Date;
  /** Most events accepted in one `{"events": [...]}` body. */
  maxBatch?: number;
}

export type EventBodyValidation =
  | { ok: true; events: EventInput[]; batch: boolean }
  | { ok: false; errors: FieldError[] };

// The nil and max UUIDs are sentinels; as event ids they would make unrelated producers collide on one id.
const RESERVED_UUIDS = new Set(['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff']);

type OneEvent = { ok: true; event: EventInput } | { ok: false; errors: FieldError[] };

/** Rules JSON Schema cannot state, applied to fields the schema already accepted. */
function semanticErrors(event: Record<string, unknown>, basePath: string, failed: Set<string>, now: Date): FieldError[] {
  const errors: FieldError[] = [];
  const check = (path: string, value: unknown, rule: (text: string) => string | undefined): void => {
    if (typeof value !== 'string' || failed.has(path)) return;
    const message = rule(value);
    if (message !== undefined) errors.push({ path, message });
  };

  check(`${basePath}/id`, event['id'], (id) =>
    RESERVED_UUIDS.has(id.toLowerCase()) ? 'must not be the nil or max UUID' : undefined,
  );
  check(`${basePath}/occurred_at`, event['occurred_at'], (text) => {
    const parsed = parseTimestamp(text);
    if (!parsed.ok) return parsed.message;
    const limitMinutes = EVENT_LIMITS.maxFutureSkewMs / 60_000;
    return parsed.epochMs > now.getTime() + EVENT_LIMITS.maxFutureSkewMs
      ? `must not be more than ${limitMinutes} minutes in the future`
      : undefined;
  });
  const context = event['context'];
  if (isPlainObject(context)) {
    check(`${basePath}/context/ip`, context['ip'], (ip) =>
      isIP(ip) === 0 ? 'must be an IPv4 or IPv6 address' : undefined,
    );
  }
  return errors;
}

function validateOne(value: unknown, basePath: string, now: Date): OneEvent {
  // The tree check runs first: it rejects anything that is not plain, bounded I-JSON before any other code walks it.
  const treeError = checkJsonTree(value, basePath, EVENT_LIMITS);
  if (treeError !== undefined) return { ok: false, errors: [treeError] };

  const validateEventShape = eventShapeValidator();
  const errors = validateEventShape(value) ? [] : schemaErrors(validateEventShape.errors ?? [], basePath);
  if (!isPlainObject(value)) {
    return { ok: false, errors };
  }
  errors.push(...semanticErrors(value, basePath, new Set(errors.map((e) => e.path)), now));
  if (errors.length > 0) return { ok: false, errors };

  // A detached copy: later mutation of the request body cannot change what is hashed.
  const event = cloneJson(value as JsonObject) as unknown as EventInput;
  if (event.id !== undefined) event.id = event.id.toLowerCase();
  return { ok: true, event };
}

const BODY_SHAPE = 'send one event object, or a batch as {"events": [...]}';

/**
 * Validates a `POST /v1/events` body: one event, or `{"events": [...]}` with 1..maxBatch events. All or nothing: any
 * invalid event fails the whole body. Error paths are JSON Pointers into the body (`/actor/id` for one event,
 * `/events/3/actor/id` in a batch). On success the events are detached, normalised copies (lower-case `id`).
 */
export function validateEventBody(body: unknown, options: ValidateEventBodyOptions = {}): EventBodyValidation {
  const steps = validatingEventBody(body, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** Events validated between two pauses of validatingEventBody. */
export const VALIDATION_SLICE = 32;

/**
 * validateEventBody in steps: the generator pauses after every VALIDATION_SLICE events of a batch and returns the
 * result, so a server can let other work run between slices of a large body instead of blocking for all of it.
 */
export function* validatingEventBody(
  body: unknown,
  options: ValidateEventBodyOptions = {},
): Generator<void, EventBodyValidation, void> {
  const now = options.now ?? new Date();
  const maxBatch = options.maxBatch ?? EVENT_LIMITS.maxBatch;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
  if (Number.isNaN(now.getTime())) throw new RangeError('now must be a valid Date');

  if (!isPlainObject(body)) {
    return { ok: false, errors: [{ path: '', message: `must be a JSON object: ${BODY_SHAPE}` }] };
  }
  if (!Object.hasOwn(body, 'events')) {
    const one = validateOne(body, '', now);
    return one.ok ? { ok: true, events: [one.event], batch: false } : { ok: false, errors: one.errors };
  }

  const wrapperErrors: FieldError[] = Object.keys(body)
    .filter((key) => key !== 'events')
    .map((key) => ({ path: appendPointer('', key), message: 'is not allowed in a batch body, which holds only "events"' }));
  const list = body['events'];
  if (!Array.isArray(list)) {
    wrapperErrors.push({ path: '/events', message: 'must be an array of events' });
  } else if (list.length === 0) {
    wrapperErrors.push({ path: '/events', message: 'must contain at least 1 event' });
  } else if (list.length > maxBatch) {
    wrapperErrors.push({ path: '/events', message: `must contain at most ${maxBatch} events; split the batch` });
  }
  if (wrapperErrors.length > 0 || !Array.isArray(list)) {
    return { ok: false, errors: wrapperErrors.slice(0, EVENT_LIMITS.maxErrors) };
  }

  const events: EventInput[] = [];
  const errors: FieldError[] = [];
  for (let i = 0; i < list.length && errors.length < EVENT_LIMITS.maxErrors; i++) {
    if (i > 0 && i % VALIDATION_SLICE === 0) yield;
    const one = validateOne(list[i], appendPointer('/events', i), now);
    if (one.ok) events.push(one.event);
    else errors.push(...one.errors);
  }
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, EVENT_LIMITS.maxErrors) };
  return { ok: true, events, batch: true };
}

/** Loads and compiles the event validator now (it is otherwise done on first use), so no event waits for it. */
export function prepareEventValidation(): void {
  eventShapeValidator();
}
