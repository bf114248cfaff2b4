import type { LedgerStore } from './ledger-store.js';
import { migrate } from './migrate.js';
import {
  getApiKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
  touchApiKey,
} from './operations/api-keys.js';
import {
  getCheckpoint,
  insertCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  tenantsNeedingCheckpoint,
} from './operations/checkpoints.js';
import { getNodeHashes } from './operations/get-node-hashes.js';
import { createPrivacyStore } from './operations/privacy-store.js';
import { queryEventsInScope } from './operations/query-events.js';
import { readHead } from './operations/read-head.js';
import { getEntries, getEventById } from './operations/read-events.js';
import { getSetting, putSettingIfAbsent } from './operations/settings.js';
import {
  adoptExternalSigningKey,
  beginSigningKeyRotation,
  completeSigningKeyRotation,
  installSigningKey,
  listSigningKeys,
  replaceSigningPrivateKey,
} from './operations/signing-keys.js';
import { createTenant, getTenant, listTenants } from './operations/tenants.js';
import {
  countEvents,
  countEventsOutside,
  listHeads,
  scanEntryColumns,
  scanEntryRows,
  scanEvents,
  scanNodes,
} from './operations/verification-scans.js';
import { appendIfHead, type WrittenMonths } from './operations/append-batch.js';
import { cleanSearchIndex } from './operations/search-index.js';
import { withLogWriter } from './operations/with-log-writer.js';
import { ensurePartitions } from './partitions.js';
import type { SqlDriver } from './sql-driver.js';
import { createTenantScope } from './tenant-scope.js';

/** Months of partitions migrate() creates beyond the current one; the service keeps the window moving daily. */
const PARTITION_MONTHS_AHEAD = 2;

/** The LedgerStore over any SqlDriver: the same SQL for PostgreSQL and PGlite. */
export function createLedgerStore(driver: SqlDriver): LedgerStore {
  // Every operation on one tenant's ledger rows runs through this scope (row-level security, migration 005); the
  // exceptions are listed in tenant-scope.ts.
  const scope = createTenantScope(driver);
  const writtenMonths: WrittenMonths = new Set();

  return {
    kind: driver.kind,
    connectionString: driver.connectionString,
    async migrate() {
      await migrate(driver);
      // A migration may have created or granted the service roles.
      scope.forget();
      await ensurePartitions(driver, new Date(), PARTITION_MONTHS_AHEAD);
    },
    ensurePartitions: (now, monthsAhead) => ensurePartitions(driver, now, monthsAhead),
    cleanSearchIndex: (now) => cleanSearchIndex(driver, now),
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
    rotateApiKey: (tenantId, id, replacement, oldKeyUntil, at) =>
      rotateApiKey(driver, tenantId, id, replacement, oldKeyUntil, at),

    listSigningKeys: () => listSigningKeys(driver),
    installSigningKey: (key, at, legacySetting) => installSigningKey(driver, key, at, legacySetting),
    adoptExternalSigningKey: (key, at) => adoptExternalSigningKey(driver, key, at),
    beginSigningKeyRotation: (key, at) => beginSigningKeyRotation(driver, key, at),
    completeSigningKeyRotation: (at) => completeSigningKeyRotation(driver, at),
    replaceSigningPrivateKey: (id, expected, replacement) => replaceSigningPrivateKey(driver, id, expected, replacement),

    withLogWriter: (tenant, fn) => withLogWriter(driver, scope, tenant, fn, writtenMonths),
    appendIfHead: async (tenant, expected, unseen, batch) =>
      appendIfHead(driver, tenant, expected, unseen, batch, { asWriter: await scope.writerUsable(), writtenMonths }),
    getHead: (tenant) => scope.read(tenant, (db) => readHead(db, tenant)),
    tenantsNeedingCheckpoint: () => tenantsNeedingCheckpoint(driver),

    queryEvents: (tenant, filter) => queryEventsInScope(driver, scope, tenant, filter),
    getEventById: (tenant, id) => scope.read(tenant, (db) => getEventById(db, tenant, id)),
    getEntries: (tenant, start, end) => scope.read(tenant, (db) => getEntries(db, tenant, start, end)),
    getNodeHashes: (tenant, nodes) => scope.read(tenant, (db) => getNodeHashes(db, tenant, nodes)),

    insertCheckpoint: (checkpoint) => insertCheckpoint(driver, scope, checkpoint),
    latestCheckpoint: (tenant) => scope.read(tenant, (db) => latestCheckpoint(db, tenant)),
    getCheckpoint: (tenant, size) => scope.read(tenant, (db) => getCheckpoint(db, tenant, size)),
    listCheckpoints: (tenant) => scope.read(tenant, (db) => listCheckpoints(db, tenant)),

    scanEvents: (tenant, start, end) => scope.read(tenant, (db) => scanEvents(db, tenant, start, end)),
    scanEntryColumns: (tenant, start, end) => scope.read(tenant, (db) => scanEntryColumns(db, tenant, start, end)),
    scanEntryRows: (tenant, start, end) => scope.read(tenant, (db) => scanEntryRows(db, tenant, start, end)),
    countEventsOutside: (tenant, start, end) =>
      scope.read(tenant, (db) => countEventsOutside(db, tenant, start, end)),
    scanNodes: (tenant, level, start, end) => scope.read(tenant, (db) => scanNodes(db, tenant, level, start, end)),
    countEvents: (tenant) => scope.read(tenant, (db) => countEvents(db, tenant)),
    listHeads: (tenant) => scope.read(tenant, (db) => listHeads(db, tenant)),
    privacy: createPrivacyStore(driver, scope),
  };
}
