import type { LedgerStore } from './ledger-store.js';
import { migrate } from './migrate.js';
import { getApiKey, insertApiKey, listApiKeys, revokeApiKey, touchApiKey } from './operations/api-keys.js';
import {
  getCheckpoint,
  insertCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  tenantsNeedingCheckpoint,
} from './operations/checkpoints.js';
import { getNodeHashes } from './operations/get-node-hashes.js';
import { queryEvents } from './operations/query-events.js';
import { readHead } from './operations/read-head.js';
import { getEntries, getEventById } from './operations/read-events.js';
import { getSetting, putSettingIfAbsent } from './operations/settings.js';
import { createTenant, getTenant, listTenants } from './operations/tenants.js';
import {
  countEvents,
  countEventsOutside,
  listHeads,
  scanEntryColumns,
  scanEvents,
  scanNodes,
} from './operations/verification-scans.js';
import { withLogWriter } from './operations/with-log-writer.js';
import { ensurePartitions } from './partitions.js';
import type { SqlDriver } from './sql-driver.js';
import { createWriterRole } from './writer-role.js';

/** Months of partitions migrate() creates beyond the current one; the service keeps the window moving daily. */
const PARTITION_MONTHS_AHEAD = 2;

/** The LedgerStore over any SqlDriver: the same SQL for PostgreSQL and PGlite. */
export function createLedgerStore(driver: SqlDriver): LedgerStore {
  const role = createWriterRole();

  return {
    kind: driver.kind,
    connectionString: driver.connectionString,
    async migrate() {
      await migrate(driver);
      // A migration may have created or granted the writer role.
      role.forget();
      await ensurePartitions(driver, new Date(), PARTITION_MONTHS_AHEAD);
    },
    ensurePartitions: (now, monthsAhead) => ensurePartitions(driver, now, monthsAhead),
    async ping() {
      await driver.query('SELECT 1');
    },
    close: () => driver.close(),

    getSetting: (name) => getSetting(driver, name),
    putSettingIfAbsent: (name, value) => putSettingIfAbsent(driver, name, value),

    createTenant: (tenant) => createTenant(driver, tenant),
    getTenant: (id) => getTenant(driver, id),
    listTenants: () => listTenants(driver),

    insertApiKey: (key) => insertApiKey(driver, key),
    getApiKey: (id) => getApiKey(driver, id),
    listApiKeys: (tenantId) => listApiKeys(driver, tenantId),
    revokeApiKey: (tenantId, id, at) => revokeApiKey(driver, tenantId, id, at),
    touchApiKey: (id, at) => touchApiKey(driver, id, at),

    withLogWriter: (tenant, fn) => withLogWriter(driver, role, tenant, fn),
    getHead: (tenant) => readHead(driver, tenant),
    tenantsNeedingCheckpoint: () => tenantsNeedingCheckpoint(driver),

    queryEvents: (tenant, filter) => queryEvents(driver, tenant, filter),
    getEventById: (tenant, id) => getEventById(driver, tenant, id),
    getEntries: (tenant, start, end) => getEntries(driver, tenant, start, end),
    getNodeHashes: (tenant, nodes) => getNodeHashes(driver, tenant, nodes),

    insertCheckpoint: (checkpoint) => insertCheckpoint(driver, role, checkpoint),
    latestCheckpoint: (tenant) => latestCheckpoint(driver, tenant),
    getCheckpoint: (tenant, size) => getCheckpoint(driver, tenant, size),
    listCheckpoints: (tenant) => listCheckpoints(driver, tenant),

    scanEvents: (tenant, start, end) => scanEvents(driver, tenant, start, end),
    scanEntryColumns: (tenant, start, end) => scanEntryColumns(driver, tenant, start, end),
    countEventsOutside: (tenant, start, end) => countEventsOutside(driver, tenant, start, end),
    scanNodes: (tenant, level, start, end) => scanNodes(driver, tenant, level, start, end),
    countEvents: (tenant) => countEvents(driver, tenant),
    listHeads: (tenant) => listHeads(driver, tenant),
  };
}
