-- The least-privilege role ledger writes run under (SET LOCAL ROLE in withLogWriter): it may read and insert but
-- never update or delete, so append-only holds even if the triggers of 001 were dropped or disabled.
--
-- Roles belong to the whole cluster, not to one database: the role may already exist (another database, another
-- process migrating at the same moment), and the connecting user may not be allowed to create or grant it. Each
-- step therefore tolerates what it cannot do; when the role ends up unusable, the store simply writes without it and
-- the reason is recorded as this migration's note in schema_migrations.
DO $$
DECLARE
  problem text;
BEGIN
  BEGIN
    CREATE ROLE audit_ledger_writer NOLOGIN;
  EXCEPTION
    -- A concurrent CREATE ROLE can also lose the race on pg_authid's unique index.
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN problem := SQLERRM;
  END;

  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_ledger_writer') THEN
    PERFORM set_config('audit_ledger.migration_note',
      'role audit_ledger_writer not created (' || coalesce(problem, 'unknown reason') || '); '
        || 'ledger writes run as the connecting user',
      true);
    RETURN;
  END IF;

  -- The tables belong to the connecting user, who may always grant on them.
  GRANT SELECT, INSERT ON events, merkle_nodes, log_heads, checkpoints TO audit_ledger_writer;
  GRANT SELECT ON tenants TO audit_ledger_writer;
  BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO audit_ledger_writer', current_schema());
  EXCEPTION
    WHEN insufficient_privilege THEN NULL;
  END;

  IF NOT pg_has_role(current_user, 'audit_ledger_writer', 'MEMBER') THEN
    BEGIN
      GRANT audit_ledger_writer TO CURRENT_USER;
    EXCEPTION
      WHEN unique_violation THEN NULL;
      WHEN insufficient_privilege OR invalid_grant_operation THEN
        PERFORM set_config('audit_ledger.migration_note',
          'role audit_ledger_writer not granted to ' || current_user || ' (' || SQLERRM || '); '
            || 'ledger writes run as the connecting user',
          true);
    END;
  END IF;
END;
$$;
