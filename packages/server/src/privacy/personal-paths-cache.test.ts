import { describe, expect, it } from 'vitest';
import { AnswerGate, backgroundWorkRuns, manualClock } from '../../test/support/background-refresh.js';
import type { PrivacySettingsRecord, PrivacyStore } from '../store/operations/privacy-records.js';
import { createPersonalPathsCache } from './personal-paths-cache.js';

const TTL_MS = 1000;
const TENANT = 'acme';

/**
 * The settings part of the privacy store, in memory, counting reads; `setElsewhere` plays another process changing
 * the settings through the same database, and `holdAnswers` keeps reads on their way.
 */
function settingsStore() {
  const settings = new Map<string, PrivacySettingsRecord>();
  let reads = 0;
  let failReads = false;
  const answers = new AnswerGate();
  const store: Pick<PrivacyStore, 'getPrivacySettings' | 'putPrivacySettings'> = {
    async getPrivacySettings(tenant) {
      reads += 1;
      if (failReads) throw new Error('the database is unreachable');
      const answer = settings.get(tenant) ?? null;
      await answers.pass();
      return answer;
    },
    async putPrivacySettings(record) {
      settings.set(record.tenant, record);
    },
  };
  return {
    store: store as PrivacyStore,
    reads: () => reads,
    failReads(fail: boolean) {
      failReads = fail;
    },
    setElsewhere(paths: string[]) {
      settings.set(TENANT, { tenant: TENANT, personalDataPaths: paths, updatedAt: new Date() });
    },
    holdAnswers: () => answers.hold(),
  };
}

function setUp() {
  const clock = manualClock();
  const settings = settingsStore();
  const cache = createPersonalPathsCache(settings.store, TTL_MS, clock.now);
  return { settings, cache, at: clock.set };
}

/** Lets a background read started by a use answer. */
const readsAnswer = backgroundWorkRuns;

describe('personal paths cache', () => {
  it('lets the requests of one moment share one read', async () => {
    const { settings, cache } = setUp();
    settings.setElsewhere(['/metadata/patient']);
    const all = await Promise.all([cache.pathsFor(TENANT), cache.pathsFor(TENANT), cache.pathsFor(TENANT)]);
    expect(all).toEqual([['/metadata/patient'], ['/metadata/patient'], ['/metadata/patient']]);
    expect(settings.reads()).toBe(1);
  });

  it('reads the paths of a tenant in use again in the background, so a use past their time does not wait', async () => {
    const { settings, cache, at } = setUp();
    settings.setElsewhere(['/metadata/patient']);
    await cache.pathsFor(TENANT);
    at(400);
    await cache.pathsFor(TENANT);
    await readsAnswer();
    expect(settings.reads(), 'not yet half their time').toBe(1);

    // Changed by another process: this process sees it once the background read has answered.
    settings.setElsewhere(['/metadata/patient', '/metadata/ward']);
    at(600);
    expect(await cache.pathsFor(TENANT), 'answered from the cache').toEqual(['/metadata/patient']);
    await readsAnswer();
    expect(settings.reads()).toBe(2);

    // Past the first read's time (1000 ms): answered at once from the background read, even while the store does not
    // answer (the use starts the next background read, which it does not wait for).
    at(1500);
    const release = settings.holdAnswers();
    expect([...(await cache.pathsFor(TENANT))].sort()).toEqual(['/metadata/patient', '/metadata/ward']);
    release();
  });

  it('keeps a change made through this process over the answer of a read that was already on its way', async () => {
    const { settings, cache, at } = setUp();
    settings.setElsewhere(['/metadata/patient']);
    await cache.pathsFor(TENANT);
    at(600);
    const release = settings.holdAnswers();
    await cache.pathsFor(TENANT);
    expect(settings.reads()).toBe(2);
    await cache.update(TENANT, ['/metadata/ward'], new Date(600));
    release();
    await readsAnswer();
    expect(await cache.pathsFor(TENANT)).toEqual(['/metadata/ward']);
  });

  it('lets paths whose background read failed expire when they would have', async () => {
    const { settings, cache, at } = setUp();
    settings.setElsewhere(['/metadata/patient']);
    await cache.pathsFor(TENANT);
    settings.failReads(true);
    at(600);
    await cache.pathsFor(TENANT);
    await readsAnswer();
    settings.failReads(false);
    settings.setElsewhere(['/metadata/ward']);
    at(TTL_MS);
    expect(await cache.pathsFor(TENANT), 'read again in the use itself').toEqual(['/metadata/ward']);
    expect(settings.reads()).toBe(3);
  });
});
