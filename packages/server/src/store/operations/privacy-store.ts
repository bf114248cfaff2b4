import type { SqlDriver } from '../sql-driver.js';
import type { TenantScope } from '../tenant-scope.js';
import {
  activeDataKeys,
  createDataKeys,
  dataKeysById,
  eraseSubject,
  forgetUnusedMasterKeys,
  keysToRewrap,
  registerMasterKey,
  rewrapDataKey,
  unregisterMasterKey,
} from './data-keys.js';
import { listLegalHolds, liftLegalHold, placeLegalHold } from './legal-holds.js';
import type { PrivacyStore } from './privacy-records.js';
import { getPrivacySettings, putPrivacySettings } from './privacy-settings.js';
import { countExportEvents, exportEvents, subjectEvents } from './subject-events.js';

/**
 * The privacy operations over a SqlDriver (the same SQL for PostgreSQL and PGlite). Reads of ledger rows go through
 * the tenant scope like every other; the privacy tables themselves are service tables, as the key tables are.
 */
export function createPrivacyStore(driver: SqlDriver, scope: TenantScope): PrivacyStore {
  return {
    activeDataKeys: (tenant, subjects) => activeDataKeys(driver, tenant, subjects),
    createDataKeys: (tenant, keys) => createDataKeys(driver, tenant, keys),
    dataKeysById: (tenant, keyIds) => dataKeysById(driver, tenant, keyIds),
    eraseSubject: (tenant, subject, at) => eraseSubject(driver, tenant, subject, at),
    keysToRewrap: (currentId, limit) => keysToRewrap(driver, currentId, limit),
    rewrapDataKey: (keyId, fromId, wrapped, toId) => rewrapDataKey(driver, keyId, fromId, wrapped, toId),
    registerMasterKey: (id) => registerMasterKey(driver, id),
    unregisterMasterKey: (id) => unregisterMasterKey(driver, id),
    forgetUnusedMasterKeys: (currentId) => forgetUnusedMasterKeys(driver, currentId),
    placeLegalHold: (hold) => placeLegalHold(driver, hold),
    listLegalHolds: (tenant) => listLegalHolds(driver, tenant),
    liftLegalHold: (tenant, id, by, at) => liftLegalHold(driver, tenant, id, by, at),
    getPrivacySettings: (tenant) => getPrivacySettings(driver, tenant),
    putPrivacySettings: (settings) => putPrivacySettings(driver, settings),
    subjectEvents: (tenant, subject, beforeSeq, limit) =>
      scope.read(tenant, (db) => subjectEvents(db, tenant, subject, beforeSeq, limit)),
    exportEvents: (tenant, range, afterSeq, limit) =>
      scope.read(tenant, (db) => exportEvents(db, tenant, range, afterSeq, limit)),
    countExportEvents: (tenant, range) => scope.read(tenant, (db) => countExportEvents(db, tenant, range)),
  };
}
