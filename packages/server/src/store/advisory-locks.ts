/**
 * Keys of the PostgreSQL advisory locks the store takes, always the two-int4 form (class, key). Advisory locks are
 * shared by every session of a database, so these are what lets several service processes use one database safely.
 * The class values spell "AL" in their high bytes so they are unlikely to collide with locks taken by other software
 * in the same database.
 */
export const ADVISORY_LOCK = {
  /** (MIGRATIONS, 0): applying migrations. */
  MIGRATIONS: 0x414c_0001,
  /** (PARTITIONS, 0): creating events partitions. */
  PARTITIONS: 0x414c_0002,
  /** (TENANT_LOG, hashtext(tenant)): the single writer of a tenant's log. */
  TENANT_LOG: 0x414c_0003,
  /** (TENANT_PRIVACY, hashtext(tenant)): erasures and legal holds of a tenant, so a hold cannot slip past an erasure. */
  TENANT_PRIVACY: 0x414c_0010,
} as const;
