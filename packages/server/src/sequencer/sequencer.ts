import { newEventId, sealingTemplate, sha256, type EventInput } from '@audit-ledger/core';
import type { IngestAck } from '../app-context.js';
import { LedgerError } from '../errors.js';
import type { SealingHint } from '../privacy/sealing-hint.js';
import type { LedgerStore, LogHead } from '../store/ledger-store.js';
import { mapInSlices } from '../scheduling/slices.js';
import { planBatch, type BatchPlan, type PreparedEvent, type RequestOutcome } from './plan-batch.js';
import { TenantQueue, type QueuedRequest } from './tenant-queue.js';

export interface SequencerOptions {
  store: LedgerStore;
  /** Most events written in one transaction; requests are never split. */
  maxEventsPerWrite?: number;
  now?: () => Date;
  /** Called after a write commits, with the log's new size. */
  onAppended?: (tenant: string, size: number) => void;
}

export interface Sequencer {
  /**
   * Resolves once every event is durable in the tenant's log; all-or-nothing per call. `sealing` (one per event)
   * carries what was derived from the plaintext before personal data was encrypted (see SealingHint).
   */
  submit(tenant: string, events: readonly EventInput[], sealing?: readonly SealingHint[]): Promise<IngestAck[]>;
  /** Waits for every submitted request to finish. */
  drain(): Promise<void>;
}

interface SubmittedEvent extends PreparedEvent {
  /** Only ids the producer chose can already exist; generated UUIDv7s are new by construction. */
  chosenByProducer: boolean;
}

type Request = QueuedRequest<SubmittedEvent, IngestAck[]>;
/** The events of each request of a group, in order. */
type Requests = ReadonlyArray<readonly SubmittedEvent[]>;

export function createSequencer(options: SequencerOptions): Sequencer {
  const { store } = options;
  const maxEvents = options.maxEventsPerWrite ?? 1000;
  const now = options.now ?? (() => new Date());
  const queues = new Map<string, TenantQueue<SubmittedEvent, IngestAck[]>>();

  // The head this process last wrote (or read) for each log, so that the next write appends in one statement with
  // store.appendIfHead instead of reading the head under the lock first. It is stale once another process has written
  // to the log; the store then refuses, and the write goes through withLogWriter, which reads the head afresh.
  const knownHeads = new Map<string, LogHead>();

  /** The short way: plan against the known head and append in one statement; null when that was not possible. */
  async function appendAtKnownHead(tenant: string, requests: Requests, lookup: Set<string>): Promise<BatchPlan | null> {
    const head = knownHeads.get(tenant);
    if (head === undefined) return null;
    knownHeads.delete(tenant);
    // Ids the producer chose may be stored already (a retry): the store refuses such a batch, and the long way finds
    // them. Until then none is assumed stored.
    const planned = planBatch(tenant, head, requests, new Map(), now());
    if (planned.append === null || !(await store.appendIfHead(tenant, head, [...lookup], planned.append))) return null;
    knownHeads.set(tenant, planned.append.head);
    return planned;
  }

  /** The long way: under the log's lock, read the head and the stored events among the producer-chosen ids. */
  async function appendUnderLock(tenant: string, requests: Requests, lookup: Set<string>): Promise<BatchPlan> {
    const { planned, head } = await store.withLogWriter(tenant, async (writer) => {
      const { head: read, existing } = await writer.position([...lookup]);
      const plan = planBatch(tenant, read, requests, existing, now());
      if (plan.append !== null) await writer.append(plan.append);
      return { planned: plan, head: plan.append?.head ?? read };
    });
    knownHeads.set(tenant, head);
    return planned;
  }

  async function writeGroup(tenant: string, group: Request[]): Promise<void> {
    const lookup = new Set<string>();
    for (const request of group) for (const event of request.items) if (event.chosenByProducer) lookup.add(event.id);
    const requests = group.map((request) => request.items);

    const plan =
      (await appendAtKnownHead(tenant, requests, lookup)) ?? (await appendUnderLock(tenant, requests, lookup));

    if (plan.append !== null) options.onAppended?.(tenant, plan.append.head.size);
    // Answer after the queue has started its next write: whatever the callers do next (often preparing another
    // request) then runs while the database works, instead of before the next write is even sent.
    setImmediate(() => settle(group, plan.outcomes));
  }

  function settle(group: Request[], outcomes: RequestOutcome[]): void {
    group.forEach((request, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) request.resolve(outcome.acks);
      else
        request.reject(
          new LedgerError('CONFLICT', `event id ${outcome.conflictId} was already used for different content`),
        );
    });
  }

  function queueOf(tenant: string): TenantQueue<SubmittedEvent, IngestAck[]> {
    let queue = queues.get(tenant);
    if (queue === undefined) {
      queue = new TenantQueue((group) => writeGroup(tenant, group), maxEvents);
      queues.set(tenant, queue);
    }
    return queue;
  }

  function prepare(tenant: string, events: readonly EventInput[], sealing?: readonly SealingHint[]) {
    // Everything that does not depend on the log's position happens here, outside the log lock.
    return mapInSlices(events, (input, i): SubmittedEvent => {
      const id = input.id ?? newEventId();
      const hint = sealing?.[i] ?? {};
      const template = sealingTemplate(input, { tenant, id }, hint);
      return {
        id,
        requestHash:
          hint.personalDigest === undefined ? template.fingerprint : sha256(template.fingerprint, hint.personalDigest),
        template,
        occurredAt: input.occurred_at === undefined ? null : new Date(input.occurred_at),
        chosenByProducer: input.id !== undefined && hint.idGenerated !== true,
      };
    });
  }
  // Requests being prepared (over several turns of the event loop) are in no queue yet; drain() waits for them too.
  // Each settles once its request is queued, with the request's result wrapped so it is not awaited here.
  const preparing = new Set<Promise<unknown>>();

  return {
    async submit(tenant, events, sealing) {
      const queued = prepare(tenant, events, sealing).then((prepared) => [queueOf(tenant).submit(prepared)] as const);
      preparing.add(queued);
      const [result] = await queued.finally(() => preparing.delete(queued));
      return result;
    },
    async drain() {
      await Promise.allSettled([...preparing]);
      await Promise.all([...queues.values()].map((queue) => queue.idle()));
    },
  };
}
