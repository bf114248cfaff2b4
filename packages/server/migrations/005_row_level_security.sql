-- Row-level security by tenant on the ledger tables: a second line behind the `tenant_id = $1` every store query
-- carries, so that a query that forgets it (or filters on the wrong column) still cannot read or write another
-- tenant's log.
--
-- The store runs every tenant-scoped operation in a transaction that first sets the tenant and the role in one
-- statement (see src/store/tenant-scope.ts):
--   SELECT set_config('audit_ledger.tenant', $1, true), set_config('role', <role>, true)
-- so both end with the transaction and a pooled connection never carries them to the next caller. Writes run as
-- audit_ledger_writer (migration 002); reads as audit_ledger_reader, created here with SELECT only.
--
-- The policies apply to every role that is subject to row-level security (PUBLIC): the two service roles, and any
-- other non-owner role someone later grants access to, which then sees nothing unless it names a tenant. The tables'
-- owner (the connecting user, which runs migrations and cross-tenant upkeep) is not subject to them, nor is a
-- superuser: what they could change, the hash chain, the Merkle tree and the signed checkpoints make detectable.
-- The setting is a guard against the service's own mistakes, not an authentication: any session may set it.
--
-- Only the partitioned parent carries the policies. Rows reached through `events` are filtered by them; the
-- partitions themselves grant nothing to the service roles, so they cannot be read around the parent.

ALTER TABLE events       ENABLE ROW LEVEL SECURITY;
ALTER TABLE merkle_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_heads    ENABLE ROW LEVEL SECURITY;
ALTER TABLE checkpoints  ENABLE ROW LEVEL SECURITY;

-- current_setting(..., true) is NULL when the setting was never made and '' after a transaction that made it ended;
-- neither equals a tenant id, so a role that names no tenant sees no row and may insert none.
CREATE POLICY events_tenant_scope ON events
  USING (tenant_id = current_setting('audit_ledger.tenant', true))
  WITH CHECK (tenant_id = current_setting('audit_ledger.tenant', true));
CREATE POLICY merkle_nodes_tenant_scope ON merkle_nodes
  USING (tenant_id = current_setting('audit_ledger.tenant', true))
  WITH CHECK (tenant_id = current_setting('audit_ledger.tenant', true));
CREATE POLICY log_heads_tenant_scope ON log_heads
  USING (tenant_id = current_setting('audit_ledger.tenant', true))
  WITH CHECK (tenant_id = current_setting('audit_ledger.tenant', true));
CREATE POLICY checkpoints_tenant_scope ON checkpoints
  USING (tenant_id = current_setting('audit_ledger.tenant', true))
  WITH CHECK (tenant_id = current_setting('audit_ledger.tenant', true));

-- The read-only role tenant-scoped reads run under. As in 002, every step tolerates what the connecting user may not
-- do; when a role ends up unusable the store runs those operations as the connecting user, which these policies do
-- not restrict, and this migration's note in schema_migrations says so.
DO $$
DECLARE
  problem text;
  writer_problem text;
  notes text[] := ARRAY[]::text[];
BEGIN
  BEGIN
    CREATE ROLE audit_ledger_reader NOLOGIN;
  EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN problem := SQLERRM;
  END;

  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_ledger_reader') THEN
    notes := notes || ('role audit_ledger_reader not created (' || coalesce(problem, 'unknown reason') || ')');
  ELSE
    GRANT SELECT ON events, merkle_nodes, log_heads, checkpoints TO audit_ledger_reader;
    BEGIN
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO audit_ledger_reader', current_schema());
    EXCEPTION
      WHEN insufficient_privilege THEN NULL;
    END;
    IF NOT pg_has_role(current_user, 'audit_ledger_reader', 'MEMBER') THEN
      BEGIN
        GRANT audit_ledger_reader TO CURRENT_USER;
      EXCEPTION
        WHEN unique_violation THEN NULL;
        WHEN insufficient_privilege OR invalid_grant_operation THEN
          notes := notes || ('role audit_ledger_reader not granted to ' || current_user || ' (' || SQLERRM || ')');
      END;
    END IF;
  END IF;
  IF notes <> ARRAY[]::text[] THEN
    notes := array_append(notes, 'tenant-scoped reads run as the connecting user, without row-level security');
  END IF;

  -- Nested rather than OR: pg_has_role fails for a role that does not exist, and SQL does not promise to evaluate
  -- the operands of OR in order.
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_ledger_writer') THEN
    IF NOT pg_has_role(current_user, 'audit_ledger_writer', 'MEMBER') THEN
      writer_problem := 'not granted to ' || current_user;
    END IF;
  ELSE
    writer_problem := 'does not exist';
  END IF;
  IF writer_problem IS NOT NULL THEN
    notes := array_append(notes,
      'role audit_ledger_writer ' || writer_problem || ' (see migration 002); ledger writes run as the connecting user, '
        || 'without row-level security');
  END IF;

  IF cardinality(notes) > 0 THEN
    PERFORM set_config('audit_ledger.migration_note', array_to_string(notes, '; '), true);
  END IF;
END;
$$;
