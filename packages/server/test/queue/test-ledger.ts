import type { EventInput } from '@audit-ledger/core';
import type { IngestAck } from '../../src/app-context.js';
import { createSequencer } from '../../src/sequencer/sequencer.js';
import { createLedgerStore } from '../../src/store/create-ledger-store.js';
import type { LedgerStore, StoredEvent } from '../../src/store/ledger-store.js';
import { createPgliteDriver } from '../../src/store/pglite-driver.js';
import { createPostgresDriver } from '../../src/store/postgres-driver.js';

/** A store and sequencer wired as the service wires them: the submit the queue is given in production. */
export interface TestLedger {
  store: LedgerStore;
  submit(tenant: string, events: readonly EventInput[]): Promise<IngestAck[]>;
  /** Every entry of the tenant's log, in seq order. */
  entries(tenant: string): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

export async function openPgliteLedger(): Promise<TestLedger> {
  return openLedger(createLedgerStore(createPgliteDriver(undefined)));
}

export async function openPostgresLedger(url: string): Promise<TestLedger> {
  return openLedger(createLedgerStore(createPostgresDriver(url)));
}

async function openLedger(store: LedgerStore): Promise<TestLedger> {
  await store.migrate();
  const sequencer = createSequencer({ store });
  const tenants = new Map<string, Promise<unknown>>();
  const ensureTenant = (tenant: string): Promise<unknown> => {
    let created = tenants.get(tenant);
    if (created === undefined) {
      created = store.createTenant({ id: tenant, name: tenant, logOrigin: `test/t/${tenant}`, createdAt: new Date() });
      tenants.set(tenant, created);
    }
    return created;
  };
  return {
    store,
    async submit(tenant, events) {
      await ensureTenant(tenant);
      return sequencer.submit(tenant, events);
    },
    async entries(tenant) {
      const head = await store.getHead(tenant);
      return store.getEntries(tenant, 0, head.size);
    },
    async close() {
      await sequencer.drain();
      await store.close();
    },
  };
}
