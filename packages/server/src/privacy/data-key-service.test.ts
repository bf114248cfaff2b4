import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AnswerGate, backgroundWorkRuns, manualClock } from '../../test/support/background-refresh.js';
import { createKeyRing } from '../crypto/key-wrapper.js';
import { createLocalKeyWrapper, generateMasterKey } from '../crypto/local-key-wrapper.js';
import type { DataKeyRecord, NewDataKey, PrivacyStore } from '../store/operations/privacy-records.js';
import { createDataKeyService } from './data-key-service.js';

const TTL_MS = 1000;
const TENANT = 'acme';

/**
 * The data-key part of the privacy store, in memory, counting the reads of active keys; `destroy` plays another
 * process erasing a subject through the same database.
 */
function keyStore() {
  const records: DataKeyRecord[] = [];
  const reads: string[][] = [];
  let failReads = false;
  const answers = new AnswerGate();
  const store: Pick<PrivacyStore, 'activeDataKeys' | 'createDataKeys' | 'dataKeysById'> = {
    async activeDataKeys(tenant, subjects) {
      reads.push([...subjects]);
      if (failReads) throw new Error('the database is unreachable');
      // Answered as of now, delivered once the gate opens: a query whose answer is on its way.
      const answer = records.filter((r) => r.tenant === tenant && subjects.includes(r.subject) && r.destroyedAt === null);
      await answers.pass();
      return answer.map((r) => ({ ...r }));
    },
    async createDataKeys(tenant, keys: readonly NewDataKey[]) {
      for (const key of keys) {
        if (!records.some((r) => r.tenant === tenant && r.subject === key.subject && r.destroyedAt === null)) {
          records.push({ ...key, destroyedAt: null });
        }
      }
      return records.filter((r) => keys.some((k) => k.subject === r.subject) && r.destroyedAt === null);
    },
    async dataKeysById(tenant, keyIds) {
      return records.filter((r) => r.tenant === tenant && keyIds.includes(r.keyId));
    },
  };
  return {
    store: store as PrivacyStore,
    reads,
    failReads(fail: boolean) {
      failReads = fail;
    },
    /** Holds back the answers of reads until the returned function is called. */
    holdAnswers: () => answers.hold(),
    destroy(subject: string) {
      for (const record of records) {
        if (record.subject === subject && record.destroyedAt === null) {
          Object.assign(record, { wrappedKey: null, wrappingKeyId: null, destroyedAt: new Date() });
        }
      }
    },
  };
}

function setUp() {
  const clock = manualClock();
  const keys = keyStore();
  const service = createDataKeyService({
    store: keys.store,
    ring: createKeyRing(createLocalKeyWrapper(generateMasterKey())),
    now: () => new Date(clock.now()),
    ttlMs: TTL_MS,
  });
  const keyOf = async (subject: string) => (await service.activeKeys(TENANT, [subject])).get(subject)?.keyId;
  return { service, keys, keyOf, at: clock.set };
}

/** Lets the confirmation scheduled by a use run (next turn of the event loop) and its query answer. */
const confirmationsRun = backgroundWorkRuns;

describe('data key cache', () => {
  it('confirms a key in use in the background, so using it past its time does not wait for the store', async () => {
    const { keys, keyOf, at } = setUp();
    const first = await keyOf('ada');
    expect(keys.reads).toEqual([['ada']]);

    at(400);
    expect(await keyOf('ada')).toBe(first);
    await confirmationsRun();
    expect(keys.reads, 'not yet half its time: no question asked').toEqual([['ada']]);

    at(600);
    expect(await keyOf('ada')).toBe(first);
    expect(keys.reads, 'answered from the cache before anything is asked').toEqual([['ada']]);
    await confirmationsRun();
    expect(keys.reads).toEqual([['ada'], ['ada']]);

    // Past the first read's time (1000 ms) but within the confirmation's (600 + 1000).
    at(1500);
    expect(await keyOf('ada')).toBe(first);
    expect(keys.reads.length, 'the use itself read nothing').toBe(2);
  });

  it('asks about the keys used in one turn in one query per tenant, and about each once at a time', async () => {
    const { service, keys, at } = setUp();
    await service.activeKeys(TENANT, ['ada', 'grace', 'linus']);
    at(700);
    await Promise.all([
      service.activeKeys(TENANT, ['ada']),
      service.activeKeys(TENANT, ['grace', 'ada']),
      service.activeKeys(TENANT, ['linus']),
    ]);
    await confirmationsRun();
    expect(keys.reads).toEqual([['ada', 'grace', 'linus'], ['ada', 'grace', 'linus']]);
  });

  it('drops a key another process destroyed when it confirms it, and the next use gets the new one', async () => {
    const { keys, keyOf, at } = setUp();
    const first = await keyOf('ada');
    keys.destroy('ada');

    at(600);
    // Still within its time: a key destroyed elsewhere is used at most ttlMs after the store last showed it active.
    expect(await keyOf('ada')).toBe(first);
    await confirmationsRun();

    at(700);
    const second = await keyOf('ada');
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });

  it('lets an unused key expire after its time, and reads it again in the next use', async () => {
    const { keys, keyOf, at } = setUp();
    const first = await keyOf('ada');
    at(TTL_MS);
    expect(await keyOf('ada')).toBe(first);
    expect(keys.reads, 'read again in the use itself').toEqual([['ada'], ['ada']]);
  });

  it('keeps the original time of a key whose confirmation failed', async () => {
    const { keys, keyOf, at } = setUp();
    const first = await keyOf('ada');
    keys.failReads(true);
    at(600);
    expect(await keyOf('ada')).toBe(first);
    await confirmationsRun();
    expect(keys.reads.length).toBe(2);

    keys.failReads(false);
    at(TTL_MS);
    expect(await keyOf('ada')).toBe(first);
    expect(keys.reads.length, 'expired as if never confirmed: read in the use').toBe(3);
  });

  it('does not bring back a key this process erased while its confirmation was under way', async () => {
    const { service, keys, keyOf, at } = setUp();
    const first = (await keyOf('ada')) as string;
    at(600);
    const release = keys.holdAnswers();
    await keyOf('ada');
    // The confirmation's query goes out in the next turn and finds the key active; the erasure lands before that
    // answer arrives.
    await nextTurn();
    expect(keys.reads.length).toBe(2);
    keys.destroy('ada');
    service.forget(TENANT, 'ada', [first]);
    release();
    await confirmationsRun();
    const second = await keyOf('ada');
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });
});
