import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BAD_EVENT_BODIES, type RejectionCase } from './bad-event-bodies.js';
import { BAD_QUERIES, FILTERS, INJECTIONS, type FilterName, type Injection } from './bad-queries.js';
import { validEvent, type Json } from './event-bodies.js';
import {
  errorPaths,
  expectNothingWritten,
  expectProblem,
  openHarness,
  type Answer,
  type Harness,
  type RawRequest,
} from './inject-harness.js';

interface ListedEvent {
  id: string;
  seq: number;
  action: string;
  outcome: string;
  actor: { id: string };
  resource: { type: string; id: string };
}

/** Stored values chosen so that a filter built with string concatenation or an unescaped LIKE gives itself away. */
const SEEDED: Record<string, Json>[] = [
  validEvent({
    action: 'user.login',
    outcome: 'failure',
    actor: { id: "' OR 1=1 --" },
    resource: { type: 'document', id: '%' },
  }),
  validEvent({ action: 'document.update', actor: { id: '%' }, resource: { type: '_', id: '\\' } }),
  validEvent({ action: 'document.read', actor: { id: '$1' }, resource: { type: 'ünï 🙂 用户', id: '_' } }),
  validEvent({ action: 'x.created', actor: { id: 'ünï 🙂 用户' }, resource: { type: 'document', id: '$1' } }),
  validEvent({
    action: 'user.logout',
    outcome: 'denied',
    actor: { id: '\\' },
    resource: { type: "' OR 1=1 --", id: 'doc-1' },
  }),
  validEvent({ action: 'user.mfa.enable', actor: { id: 'alice' }, resource: { type: 'document', id: "' OR 1=1 --" } }),
];

const FIELD_OF: Record<Exclude<FilterName, 'q'>, (event: ListedEvent) => string> = {
  actor_id: (event) => event.actor.id,
  action: (event) => event.action,
  resource_type: (event) => event.resource.type,
  resource_id: (event) => event.resource.id,
  outcome: (event) => event.outcome,
};

function matcher(filter: FilterName, value: string | null): ((event: ListedEvent) => boolean) | null {
  if (filter === 'q') return null;
  if (value === null) return () => false;
  if (filter === 'action' && value.endsWith('.*')) {
    const prefix = value.slice(0, -1);
    return (event) => event.action.startsWith(prefix);
  }
  return (event) => FIELD_OF[filter](event) === value;
}

const hasPathAt = (answer: Answer, pointer: string): boolean =>
  errorPaths(answer).some((path) => path === pointer || path.startsWith(`${pointer}/`));

describe.each(['PGlite', 'PostgreSQL'] as const)('bad input is refused without writing, on %s', (storeName) => {
  let harness!: Harness;
  let opening: Promise<Harness>;

  beforeAll(() => {
    opening = openHarness(storeName).then(async (opened) => {
      const seeded = await opened.send({ method: 'POST', url: '/v1/events', payload: { events: SEEDED } });
      expect(seeded.status, seeded.text).toBe(201);
      return opened;
    });
    // Each test awaits this itself, so a store that cannot be reached fails every test instead of skipping them.
    opening.catch(() => undefined);
  });

  beforeEach(async () => {
    harness = await opening;
  });

  afterAll(async () => {
    await opening.then((opened) => opened.close(), () => undefined);
  });

  async function listAll(): Promise<ListedEvent[]> {
    const answer = await harness.send({ method: 'GET', url: '/v1/events?limit=1000' });
    expect(answer.status, answer.text).toBe(200);
    return (answer.json as { events: ListedEvent[] }).events;
  }

  async function expectRejected(rejection: RejectionCase): Promise<Answer> {
    const answer = await expectNothingWritten(harness, rejection.request);
    expectProblem(answer, rejection.status);
    if (rejection.path !== undefined) {
      const where = `errors[].path at ${rejection.path}: ${answer.text.slice(0, 500)}`;
      expect(hasPathAt(answer, rejection.path), where).toBe(true);
    }
    return answer;
  }

  for (const [group, cases] of Object.entries({ ...BAD_EVENT_BODIES, ...BAD_QUERIES })) {
    describe(group, () => {
      it.each(cases)('$name', async (rejection) => {
        await expectRejected(rejection);
      });
    });
  }

  it('refuses cursors edited from a real one, or taken from another query', async () => {
    const first = await harness.send({ method: 'GET', url: '/v1/events?limit=1' });
    const cursor = (first.json as { next_cursor: string | null }).next_cursor;
    expect(typeof cursor, 'a second page exists').toBe('string');
    const page = (query: string): RawRequest => ({ method: 'GET', url: `/v1/events?limit=1&${query}` });
    const next = await harness.send(page(`cursor=${encodeURIComponent(cursor as string)}`));
    expect(next.status, 'the real cursor works').toBe(200);

    const forged: string[] = [];
    const decoded: unknown = JSON.parse(Buffer.from(cursor as string, 'base64url').toString('utf8'));
    expect(typeof decoded, 'cursor carries a JSON object').toBe('object');
    for (const [field, value] of Object.entries(decoded as Record<string, unknown>)) {
      if (typeof value !== 'number') continue;
      for (const bad of [-1, 1.5, 1e20, 2 ** 53 + 2, String(value), null]) {
        forged.push(Buffer.from(JSON.stringify({ ...(decoded as object), [field]: bad })).toString('base64url'));
      }
    }
    expect(forged.length, 'the cursor holds a position to forge').toBeGreaterThan(0);
    for (const text of forged) {
      await expectRejected({ name: text, request: page(`cursor=${text}`), status: 400 });
    }
    await expectRejected({
      name: 'cursor of another query',
      request: page(`actor_id=alice&cursor=${encodeURIComponent(cursor as string)}`),
      status: 400,
    });
  });

  const injectionCases = FILTERS.flatMap((filter) => {
    const values: Injection[] = [...INJECTIONS];
    if (filter === 'action') {
      for (const injection of INJECTIONS) {
        if (injection.value === null) continue;
        const { label, encoded, value } = injection;
        values.push({ label: `${label}.*`, encoded: `${encoded}.*`, value: `${value}.*` });
      }
    }
    return values.map((injection) => ({ filter, injection }));
  });

  it.each(injectionCases)('treats $filter=$injection.label as plain text', async ({ filter, injection }) => {
    const everything = await listAll();
    const url = `/v1/events?limit=1000&${filter}=${injection.encoded}`;
    const answer = await expectNothingWritten(harness, { method: 'GET', url });
    if (answer.status !== 200) {
      expectProblem(answer, 400);
      return;
    }
    const found = (answer.json as { events: ListedEvent[] }).events;
    const matches = matcher(filter, injection.value);
    if (matches === null) {
      const known = new Set(everything.map((event) => event.id));
      expect(found.every((event) => known.has(event.id))).toBe(true);
      return;
    }
    const expected = everything.filter(matches).map((event) => event.id).sort();
    expect(found.map((event) => event.id).sort(), `${filter}=${injection.label}`).toEqual(expected);
  });

  it('rejects a whole batch when only event 3 is bad, naming /events/3 and writing none of the others', async () => {
    const batches: string[] = [];
    const wrongType = Array.from({ length: 6 }, () => validEvent());
    wrongType[3] = { ...(wrongType[3] as Record<string, Json>), actor: { id: 5 } };
    batches.push(JSON.stringify({ events: wrongType }));
    const nulKey = Array.from({ length: 6 }, (_, i) => validEvent(i === 3 ? { metadata: '@@' } : {}));
    batches.push(JSON.stringify({ events: nulKey }).replace('"@@"', () => '{"ok":1,"k\\u0000":2}'));
    const future = Array.from({ length: 6 }, (_, i) =>
      validEvent(i === 3 ? { occurred_at: new Date(Date.now() + 10 * 60_000).toISOString() } : {}),
    );
    batches.push(JSON.stringify({ events: future }));

    for (const payload of batches) {
      const request: RawRequest = { method: 'POST', url: '/v1/events', payload };
      const answer = await expectRejected({ name: 'event 3 bad', request, status: 400 });
      const paths = errorPaths(answer);
      expect(paths.length, answer.text).toBeGreaterThan(0);
      const elsewhere = paths.filter((path) => !path.startsWith('/events/3/'));
      expect(elsewhere, `only event 3 is wrong: ${answer.text}`).toEqual([]);
      for (const event of (JSON.parse(payload) as { events: { id: string }[] }).events) {
        const lookup = await harness.send({ method: 'GET', url: `/v1/events/${event.id}` });
        expect(lookup.status, `event ${event.id} of a rejected batch`).toBe(404);
      }
    }
  });

  it('answers a reused id with different content with 409 and leaves the original untouched', async () => {
    const original = validEvent({ metadata: { version: 1 } });
    const first = await harness.send({ method: 'POST', url: '/v1/events', payload: original });
    expect(first.status, first.text).toBe(201);
    const url = `/v1/events/${String(original.id)}`;
    const stored = await harness.send({ method: 'GET', url });
    expect(stored.status).toBe(200);

    const retry = await expectNothingWritten(harness, { method: 'POST', url: '/v1/events', payload: original });
    expect(retry.status, 'the same content again is a retry').toBe(201);
    expect(retry.json).toEqual(first.json);

    const changed = { ...original, metadata: { version: 2 } };
    expectProblem(await expectNothingWritten(harness, { method: 'POST', url: '/v1/events', payload: changed }), 409);
    const fresh = validEvent();
    const inBatch = await expectNothingWritten(harness, {
      method: 'POST',
      url: '/v1/events',
      payload: { events: [fresh, changed] },
    });
    expectProblem(inBatch, 409);
    expect((await harness.send({ method: 'GET', url: `/v1/events/${String(fresh.id)}` })).status).toBe(404);
    const twiceInOneBatch = await expectNothingWritten(harness, {
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [validEvent({ id: fresh.id as string }), validEvent({ id: fresh.id as string, action: 'user.login' })],
      },
    });
    expectProblem(twiceInOneBatch);

    const after = await harness.send({ method: 'GET', url });
    expect(after.text).toBe(stored.text);
  });

  it('accepts the valid neighbours of what it refuses', async () => {
    const accepted = [
      validEvent({ metadata: { emoji: '😀', text: 'ünï 用户' } }),
      validEvent({ occurred_at: new Date(Date.now() + 60_000).toISOString() }),
      { events: Array.from({ length: 1000 }, () => validEvent()) },
    ];
    for (const payload of accepted) {
      const answer = await harness.send({ method: 'POST', url: '/v1/events', payload });
      expect(answer.status, answer.text.slice(0, 500)).toBe(201);
    }
    const verified = await harness.send({ method: 'GET', url: '/v1/log/verify' });
    expect(verified.json).toMatchObject({ ok: true, failures: [] });
  });
});
