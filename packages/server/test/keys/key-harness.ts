import type { ServiceConfig } from '../../src/app-context.js';
import { createAppContext } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/build-http-server.js';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import type { LedgerStore } from '../../src/store/ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';
import { harnessOver, type Harness } from '../http/http-harness.js';

export const OPERATOR_TOKEN = 'alo_key-tests-operator-token';

/** A clock a test moves by hand: key expiry, grace periods and rate-limit refills follow it, not the wall clock. */
export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

export function testClock(start = new Date()): TestClock {
  let at = start.getTime();
  return { now: () => new Date(at), advance: (ms) => void (at += ms) };
}

export interface KeyHarness extends Harness {
  clock: TestClock;
}

export interface KeyHarnessOptions {
  store?: LedgerStore;
  config?: Partial<ServiceConfig>;
  signingKey?: string;
  logger?: object;
  checkpointSweepMs?: number;
}

/** The real AppContext and HTTP server (in-memory PGlite unless a store is given), driven with inject. */
export async function openKeyHarness(options: KeyHarnessOptions = {}): Promise<KeyHarness> {
  const store = options.store ?? createLedgerStore(createPgliteDriver(undefined));
  const ctx = await createAppContext({
    store,
    adminToken: OPERATOR_TOKEN,
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.signingKey !== undefined ? { signingKey: options.signingKey } : {}),
    ...(options.checkpointSweepMs !== undefined ? { checkpointSweepMs: options.checkpointSweepMs } : {}),
  });
  const clock = testClock();
  const app = await buildHttpServer(ctx, { now: clock.now, ...(options.logger !== undefined ? { logger: options.logger } : {}) });
  return { ...harnessOver(ctx, app, OPERATOR_TOKEN), clock };
}

// The key tests hold error answers to the same standard as every other HTTP test.
export { expectProblem } from '../http/http-harness.js';
