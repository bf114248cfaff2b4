-- Audit Ledger transactional outbox, schema version 1.
--
-- Installs the schema `audit_outbox` into the application's own database: triggers on captured tables write every
-- changed row into audit_outbox.outbox in the same transaction as the change, and a relay ships the outbox to Audit
-- Ledger. Running this file again is harmless (every object is created if missing or replaced in place), so it is
-- also how a newer version upgrades an older one.
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f install.sql

BEGIN;
SET LOCAL client_min_messages = warning;

-- Two installers at once would race on CREATE ... IF NOT EXISTS; the second waits for the first.
DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('audit_outbox.install')); END $lock$;

CREATE SCHEMA IF NOT EXISTS audit_outbox;
COMMENT ON SCHEMA audit_outbox IS 'Audit Ledger transactional outbox (install.sql / uninstall.sql of @audit-ledger/pg-outbox)';

CREATE TABLE IF NOT EXISTS audit_outbox.installation (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version      integer NOT NULL,
  installed_at timestamptz NOT NULL DEFAULT now(),
  upgraded_at  timestamptz NOT NULL DEFAULT now()
);

DO $install$
DECLARE
  present integer;
BEGIN
  SELECT version INTO present FROM audit_outbox.installation;
  IF present > 1 THEN
    RAISE EXCEPTION 'audit_outbox schema version % is installed, newer than this install.sql (version 1)', present
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
END
$install$;

-- Commit order. Every transaction that captured something registers itself once in `transactions`; a deferred
-- constraint trigger numbers it from `commit_seq` as the transaction commits. The relay ships in that order, which is
-- the commit order up to transactions committing within microseconds of each other. Two transactions that touched
-- the same row can never swap: the second waits for the first one's row lock, which is held until after its number.
CREATE SEQUENCE IF NOT EXISTS audit_outbox.commit_seq AS bigint;

CREATE TABLE IF NOT EXISTS audit_outbox.transactions (
  txid       xid8 PRIMARY KEY,
  commit_seq bigint
);
CREATE INDEX IF NOT EXISTS transactions_commit_seq ON audit_outbox.transactions (commit_seq);

CREATE TABLE IF NOT EXISTS audit_outbox.outbox (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      uuid NOT NULL,
  txid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  captured_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  db_user       text NOT NULL DEFAULT session_user,
  table_schema  text NOT NULL,
  table_name    text NOT NULL,
  operation     text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
  action        text NOT NULL,
  resource_type text NOT NULL,
  resource_id   text NOT NULL,
  tenant        text,
  before        jsonb,
  after         jsonb,
  context       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS outbox_txid ON audit_outbox.outbox (txid, id);
COMMENT ON TABLE audit_outbox.outbox IS
  'Captured row changes waiting to be shipped; event_id is the Audit Ledger event id, so a re-sent row is a retry';

-- Rows the service refused (a 400 naming the event): kept with the problem so they can be fixed and requeued,
-- instead of holding up everything behind them.
CREATE TABLE IF NOT EXISTS audit_outbox.dead_letter (
  id            bigint PRIMARY KEY,
  event_id      uuid NOT NULL,
  txid          xid8 NOT NULL,
  captured_at   timestamptz NOT NULL,
  db_user       text NOT NULL,
  table_schema  text NOT NULL,
  table_name    text NOT NULL,
  operation     text NOT NULL,
  action        text NOT NULL,
  resource_type text NOT NULL,
  resource_id   text NOT NULL,
  tenant        text,
  before        jsonb,
  after         jsonb,
  context       jsonb NOT NULL,
  status        integer NOT NULL,
  problem       jsonb NOT NULL,
  parked_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS audit_outbox.captured_tables (
  table_oid       oid PRIMARY KEY,
  table_schema    text NOT NULL,
  table_name      text NOT NULL,
  resource_type   text NOT NULL,
  primary_key     text[] NOT NULL,
  exclude_columns text[] NOT NULL,
  include_columns text[],
  tenant_column   text,
  create_action   text NOT NULL,
  update_action   text NOT NULL,
  delete_action   text NOT NULL,
  truncate_action text NOT NULL,
  skip_unchanged  boolean NOT NULL,
  mode            text NOT NULL CHECK (mode IN ('statement', 'row')),
  configured_at   timestamptz NOT NULL DEFAULT now()
);

-- UUIDv7: time-ordered ids keep the service's id index append-mostly, and sort like the capture time.
CREATE OR REPLACE FUNCTION audit_outbox.uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;
ALTER TABLE audit_outbox.outbox ALTER COLUMN event_id SET DEFAULT audit_outbox.uuid_v7();

-- The audit context of the current transaction, from the transaction-local settings audit.*; empty ones are left out.
CREATE OR REPLACE FUNCTION audit_outbox.current_context() RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'actor_id',         nullif(current_setting('audit.actor_id', true), ''),
    'actor_type',       nullif(current_setting('audit.actor_type', true), ''),
    'actor_name',       nullif(current_setting('audit.actor_name', true), ''),
    'actor_email',      nullif(current_setting('audit.actor_email', true), ''),
    'tenant',           nullif(current_setting('audit.tenant', true), ''),
    'ip',               nullif(current_setting('audit.ip', true), ''),
    'user_agent',       nullif(current_setting('audit.user_agent', true), ''),
    'request_id',       nullif(current_setting('audit.request_id', true), ''),
    'session_id',       nullif(current_setting('audit.session_id', true), ''),
    'business_process', nullif(current_setting('audit.business_process', true), ''),
    'auth_method',      nullif(current_setting('audit.auth_method', true), ''),
    'role',             nullif(current_setting('audit.role', true), ''),
    'reason',           nullif(current_setting('audit.reason', true), '')))
$$;

-- Sets the audit context for the rest of the current transaction (set_config(..., true)): it ends with the
-- transaction, so a pooled connection never leaks one request's actor into the next.
CREATE OR REPLACE FUNCTION audit_outbox.set_context(
  actor_id         text DEFAULT NULL,
  actor_type       text DEFAULT NULL,
  actor_name       text DEFAULT NULL,
  actor_email      text DEFAULT NULL,
  tenant           text DEFAULT NULL,
  ip               text DEFAULT NULL,
  user_agent       text DEFAULT NULL,
  request_id       text DEFAULT NULL,
  session_id       text DEFAULT NULL,
  business_process text DEFAULT NULL,
  auth_method      text DEFAULT NULL,
  role             text DEFAULT NULL,
  reason           text DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF actor_type IS NOT NULL AND actor_type NOT IN ('user', 'service', 'system') THEN
    RAISE EXCEPTION 'audit actor_type must be user, service or system, not %', actor_type
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF tenant IS NOT NULL AND tenant !~ '^[a-z0-9][a-z0-9-]{0,62}$' THEN
    RAISE EXCEPTION 'audit tenant % does not match ^[a-z0-9][a-z0-9-]{0,62}$', tenant
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF actor_type IS NOT NULL AND actor_id IS NULL THEN
    RAISE EXCEPTION 'audit actor_type needs an actor_id' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('audit.actor_id', coalesce(actor_id, ''), true);
  PERFORM set_config('audit.actor_type', coalesce(actor_type, ''), true);
  PERFORM set_config('audit.actor_name', coalesce(actor_name, ''), true);
  PERFORM set_config('audit.actor_email', coalesce(actor_email, ''), true);
  PERFORM set_config('audit.tenant', coalesce(tenant, ''), true);
  PERFORM set_config('audit.ip', coalesce(ip, ''), true);
  PERFORM set_config('audit.user_agent', coalesce(user_agent, ''), true);
  PERFORM set_config('audit.request_id', coalesce(request_id, ''), true);
  PERFORM set_config('audit.session_id', coalesce(session_id, ''), true);
  PERFORM set_config('audit.business_process', coalesce(business_process, ''), true);
  PERFORM set_config('audit.auth_method', coalesce(auth_method, ''), true);
  PERFORM set_config('audit.role', coalesce(role, ''), true);
  PERFORM set_config('audit.reason', coalesce(reason, ''), true);
END
$$;

-- The text of a row's key: the key column's value, or the values of a composite key joined by ':'.
CREATE OR REPLACE FUNCTION audit_outbox.key_text(row_value jsonb, key_columns text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN cardinality(key_columns) = 1 THEN row_value ->> key_columns[1]
              ELSE array_to_string(ARRAY(SELECT row_value ->> c FROM unnest(key_columns) AS c), ':') END
$$;

-- The columns a captured row leaves out: the excluded ones, or with an include list every column not on it (read
-- from the catalog at capture time, so a column added later is not captured until it is listed).
CREATE OR REPLACE FUNCTION audit_outbox.excluded_columns(target oid, exclude_columns text[], include_columns text[])
RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN include_columns IS NULL THEN exclude_columns
              ELSE ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                         WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
                           AND NOT (a.attname::text = ANY (include_columns))) END
$$;

CREATE OR REPLACE FUNCTION audit_outbox.register_transaction() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Once per transaction: the setting is transaction-local and rolls back with a rolled-back savepoint, exactly
  -- like the row it stands for.
  IF current_setting('audit_outbox.registered', true) IS DISTINCT FROM 'on' THEN
    INSERT INTO audit_outbox.transactions (txid) VALUES (pg_current_xact_id()) ON CONFLICT (txid) DO NOTHING;
    PERFORM set_config('audit_outbox.registered', 'on', true);
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION audit_outbox.assign_commit_seq() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  UPDATE audit_outbox.transactions SET commit_seq = nextval('audit_outbox.commit_seq') WHERE txid = NEW.txid;
  -- Delivered only if the transaction commits; wakes the relays listening on the channel.
  PERFORM pg_notify('audit_outbox', '');
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS assign_commit_seq ON audit_outbox.transactions;
CREATE CONSTRAINT TRIGGER assign_commit_seq AFTER INSERT ON audit_outbox.transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_outbox.assign_commit_seq();

-- Trigger arguments of both capture functions (written by capture_table):
--   0 resource type, 1 create action, 2 update action, 3 delete action, 4 key columns (text[]),
--   5 excluded columns (text[]), 6 included columns (text[] or ''), 7 tenant column (or ''), 8 skip unchanged.
-- The functions run as their owner, so the application's roles need no right on the outbox and cannot forge or
-- remove audit rows; search_path is pinned so a caller's path cannot redirect an operator.

-- Statement level: one call per statement reads the transition tables in set-based SQL.
CREATE OR REPLACE FUNCTION audit_outbox.capture_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  key_columns   text[] := TG_ARGV[4]::text[];
  excluded      text[] := audit_outbox.excluded_columns(TG_RELID, TG_ARGV[5]::text[], nullif(TG_ARGV[6], '')::text[]);
  tenant_column text := nullif(TG_ARGV[7], '');
  ctx           jsonb := audit_outbox.current_context();
  target_list   text := 'INSERT INTO audit_outbox.outbox '
                        '(table_schema, table_name, operation, action, resource_type, resource_id, tenant, before, after, context) ';
  key_match     text;
BEGIN
  PERFORM audit_outbox.register_transaction();
  IF TG_OP = 'INSERT' THEN
    EXECUTE target_list || format(
      'SELECT $1, $2, $3, $4, $5, %s, %s, NULL, n.j - $7, $8 FROM (SELECT to_jsonb(t) AS j FROM new_rows t) n',
      audit_outbox.key_expression('n.j', key_columns), audit_outbox.tenant_expression('n.j', tenant_column))
      USING TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, TG_ARGV[1], TG_ARGV[0], ctx ->> 'tenant', excluded, ctx;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE target_list || format(
      'SELECT $1, $2, $3, $4, $5, %s, %s, o.j - $7, NULL, $8 FROM (SELECT to_jsonb(t) AS j FROM old_rows t) o',
      audit_outbox.key_expression('o.j', key_columns), audit_outbox.tenant_expression('o.j', tenant_column))
      USING TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, TG_ARGV[3], TG_ARGV[0], ctx ->> 'tenant', excluded, ctx;
  ELSE
    SELECT string_agg(format('o.j -> %1$L = n.j -> %1$L', c), ' AND ') INTO key_match FROM unnest(key_columns) AS c;
    -- Old and new rows are paired by key. When the statement changed keys, some rows find no partner (or the wrong
    -- one, e.g. SET id = id + 1 over a range); then the whole statement is paired by position instead: PostgreSQL
    -- writes each updated row's old and new version to the two transition tables together, in the same order.
    EXECUTE format($q$
      WITH o AS MATERIALIZED (SELECT to_jsonb(t) AS j, row_number() OVER () AS ord FROM old_rows t),
           n AS MATERIALIZED (SELECT to_jsonb(t) AS j, row_number() OVER () AS ord FROM new_rows t),
           by_key AS MATERIALIZED (SELECT o.j AS oj, n.j AS nj FROM o JOIN n ON %1$s),
           keys_kept AS (SELECT (SELECT count(*) FROM by_key) = (SELECT count(*) FROM o) AS kept),
           pairs AS (SELECT oj, nj FROM by_key WHERE (SELECT kept FROM keys_kept)
                     UNION ALL
                     SELECT o.j, n.j FROM o JOIN n USING (ord) WHERE NOT (SELECT kept FROM keys_kept)),
           captured AS (SELECT nj, oj - $7 AS before, nj - $7 AS after FROM pairs)
      %2$s SELECT $1, $2, $3, $4, $5, %3$s, %4$s, before, after, $8 FROM captured
      WHERE NOT $9 OR before IS DISTINCT FROM after$q$,
      key_match, target_list, audit_outbox.key_expression('nj', key_columns),
      audit_outbox.tenant_expression('nj', tenant_column))
      USING TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, TG_ARGV[2], TG_ARGV[0], ctx ->> 'tenant', excluded, ctx,
            TG_ARGV[8]::boolean;
  END IF;
  RETURN NULL;
END
$fn$;

-- SQL text computing a row's key from its jsonb (alias.j); column names are quoted as literals, never spliced raw.
CREATE OR REPLACE FUNCTION audit_outbox.key_expression(row_alias text, key_columns text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(key_columns) = 1 THEN format('(%s ->> %L)', row_alias, key_columns[1])
              ELSE format('concat_ws(%L, %s)', ':',
                          (SELECT string_agg(format('%s ->> %L', row_alias, c), ', ') FROM unnest(key_columns) AS c)) END
$$;

CREATE OR REPLACE FUNCTION audit_outbox.tenant_expression(row_alias text, tenant_column text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN tenant_column IS NULL THEN '$6' ELSE format('coalesce(%s ->> %L, $6)', row_alias, tenant_column) END
$$;

-- Row level: one call per changed row. Kept for tables where statement triggers with transition tables are not
-- available (e.g. on a single partition) and as the baseline the statement level is measured against.
CREATE OR REPLACE FUNCTION audit_outbox.capture_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  excluded  text[] := audit_outbox.excluded_columns(TG_RELID, TG_ARGV[5]::text[], nullif(TG_ARGV[6], '')::text[]);
  old_value jsonb;
  new_value jsonb;
  key_value jsonb;
  ctx       jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN old_value := to_jsonb(OLD) - excluded; END IF;
  IF TG_OP <> 'DELETE' THEN new_value := to_jsonb(NEW) - excluded; END IF;
  IF TG_OP = 'UPDATE' AND TG_ARGV[8]::boolean AND old_value = new_value THEN
    RETURN NULL;
  END IF;
  key_value := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  ctx := audit_outbox.current_context();
  PERFORM audit_outbox.register_transaction();
  INSERT INTO audit_outbox.outbox
    (table_schema, table_name, operation, action, resource_type, resource_id, tenant, before, after, context)
  VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP,
          CASE TG_OP WHEN 'INSERT' THEN TG_ARGV[1] WHEN 'UPDATE' THEN TG_ARGV[2] ELSE TG_ARGV[3] END,
          TG_ARGV[0], audit_outbox.key_text(key_value, TG_ARGV[4]::text[]),
          coalesce(key_value ->> nullif(TG_ARGV[7], ''), ctx ->> 'tenant'), old_value, new_value, ctx);
  RETURN NULL;
END
$fn$;

-- TRUNCATE removes rows without row events; it is recorded as one event on the whole table (resource id '*').
CREATE OR REPLACE FUNCTION audit_outbox.capture_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ctx jsonb := audit_outbox.current_context();
BEGIN
  PERFORM audit_outbox.register_transaction();
  INSERT INTO audit_outbox.outbox (table_schema, table_name, operation, action, resource_type, resource_id, tenant, context)
  VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, 'TRUNCATE', TG_ARGV[1], TG_ARGV[0], '*', ctx ->> 'tenant', ctx);
  RETURN NULL;
END
$$;

-- Stops capturing a table: drops its capture triggers. Rows already in the outbox are still shipped.
CREATE OR REPLACE FUNCTION audit_outbox.release_table(target regclass) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  trigger_name name;
  released boolean := false;
BEGIN
  FOR trigger_name IN
    SELECT tgname FROM pg_trigger
    WHERE tgrelid = target AND tgname IN ('audit_outbox_insert', 'audit_outbox_update', 'audit_outbox_delete',
                                          'audit_outbox_row', 'audit_outbox_truncate')
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, target);
    released := true;
  END LOOP;
  DELETE FROM audit_outbox.captured_tables WHERE table_oid = target;
  RETURN released OR FOUND;
END
$$;

CREATE OR REPLACE FUNCTION audit_outbox.valid_action(action text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT action ~ '^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$' AND length(action) <= 128
$$;

-- Starts (or reconfigures) capture of one table. Everything is checked before a trigger is created, and all of it
-- happens in the caller's transaction.
CREATE OR REPLACE FUNCTION audit_outbox.capture_table(
  target          regclass,
  resource_type   text DEFAULT NULL,
  primary_key     text[] DEFAULT NULL,
  exclude_columns text[] DEFAULT NULL,
  include_columns text[] DEFAULT NULL,
  tenant_column   text DEFAULT NULL,
  create_action   text DEFAULT NULL,
  update_action   text DEFAULT NULL,
  delete_action   text DEFAULT NULL,
  truncate_action text DEFAULT NULL,
  skip_unchanged  boolean DEFAULT true,
  mode            text DEFAULT 'statement'
) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  kind        "char";
  schema_name text;
  relation    text;
  columns     text[];
  key_columns text[];
  unknown     text[];
  rtype       text;
  actions     text[];
  args        text;
BEGIN
  SELECT c.relkind, n.nspname, c.relname INTO kind, schema_name, relation
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target;
  IF kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '% is not a table', target USING ERRCODE = 'wrong_object_type';
  END IF;
  IF schema_name = 'audit_outbox' THEN
    RAISE EXCEPTION 'the outbox''s own tables cannot be captured' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF mode NOT IN ('statement', 'row') THEN
    RAISE EXCEPTION 'mode must be statement or row, not %', mode USING ERRCODE = 'invalid_parameter_value';
  END IF;
  columns := ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = target AND attnum > 0 AND NOT attisdropped);

  IF primary_key IS NULL OR cardinality(primary_key) = 0 THEN
    key_columns := ARRAY(
      SELECT a.attname::text
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = target AND i.indisprimary
      ORDER BY k.ord);
    IF cardinality(key_columns) = 0 THEN
      RAISE EXCEPTION '% has no primary key, so its rows cannot be named in audit events', target
        USING ERRCODE = 'invalid_table_definition',
              HINT = 'Add a primary key, or pass primary_key naming NOT NULL columns covered by a unique index.';
    END IF;
  ELSE
    key_columns := primary_key;
    unknown := ARRAY(SELECT c FROM unnest(key_columns) AS c WHERE NOT (c = ANY (columns)));
    IF cardinality(unknown) > 0 THEN
      RAISE EXCEPTION '% has no column % (primary_key)', target, array_to_string(unknown, ', ')
        USING ERRCODE = 'undefined_column';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = ANY (key_columns) AND NOT attnotnull) THEN
      RAISE EXCEPTION 'the primary_key columns of % must be NOT NULL', target USING ERRCODE = 'invalid_table_definition';
    END IF;
    -- Without uniqueness an UPDATE could not pair old and new rows, nor an event name one row.
    IF NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = target AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
        AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) AS k(attnum)
                        JOIN pg_attribute a ON a.attrelid = target AND a.attnum = k.attnum
                        WHERE NOT (a.attname::text = ANY (key_columns)))) THEN
      RAISE EXCEPTION 'no unique index of % lies within the primary_key columns %', target, key_columns
        USING ERRCODE = 'invalid_table_definition';
    END IF;
  END IF;

  IF exclude_columns IS NOT NULL AND include_columns IS NOT NULL THEN
    RAISE EXCEPTION 'pass exclude_columns or include_columns, not both' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  unknown := ARRAY(SELECT c FROM unnest(coalesce(exclude_columns, include_columns, '{}')) AS c WHERE NOT (c = ANY (columns)));
  IF cardinality(unknown) > 0 THEN
    RAISE EXCEPTION '% has no column %', target, array_to_string(unknown, ', ') USING ERRCODE = 'undefined_column';
  END IF;
  IF tenant_column IS NOT NULL AND NOT (tenant_column = ANY (columns)) THEN
    RAISE EXCEPTION '% has no column % (tenant_column)', target, tenant_column USING ERRCODE = 'undefined_column';
  END IF;

  rtype := coalesce(resource_type, relation);
  IF length(rtype) NOT BETWEEN 1 AND 128 THEN
    RAISE EXCEPTION 'resource_type must have 1 to 128 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  actions := ARRAY[coalesce(create_action, rtype || '.create'), coalesce(update_action, rtype || '.update'),
                   coalesce(delete_action, rtype || '.delete'), coalesce(truncate_action, rtype || '.truncate')];
  IF NOT (SELECT bool_and(audit_outbox.valid_action(a)) FROM unnest(actions) AS a) THEN
    RAISE EXCEPTION 'action names % are not dotted lower-case names', actions
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass a lower-case resource_type, or the action names themselves (e.g. user.create).';
  END IF;

  PERFORM audit_outbox.release_table(target);
  args := format('%L, %L, %L, %L, %L, %L, %L, %L, %L', rtype, actions[1], actions[2], actions[3], key_columns,
                 coalesce(exclude_columns, '{}'), coalesce(include_columns::text, ''), coalesce(tenant_column, ''),
                 skip_unchanged);
  IF mode = 'statement' THEN
    EXECUTE format('CREATE TRIGGER audit_outbox_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit_outbox.capture_statement(%s)', target, args);
    EXECUTE format('CREATE TRIGGER audit_outbox_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows '
                   'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_outbox.capture_statement(%s)',
                   target, args);
    EXECUTE format('CREATE TRIGGER audit_outbox_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit_outbox.capture_statement(%s)', target, args);
  ELSE
    EXECUTE format('CREATE TRIGGER audit_outbox_row AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION audit_outbox.capture_row(%s)', target, args);
  END IF;
  EXECUTE format('CREATE TRIGGER audit_outbox_truncate AFTER TRUNCATE ON %s '
                 'FOR EACH STATEMENT EXECUTE FUNCTION audit_outbox.capture_truncate(%L, %L)', target, rtype, actions[4]);

  INSERT INTO audit_outbox.captured_tables (table_oid, table_schema, table_name, resource_type, primary_key,
    exclude_columns, include_columns, tenant_column, create_action, update_action, delete_action, truncate_action,
    skip_unchanged, mode)
  VALUES (target, schema_name, relation, rtype, key_columns, coalesce(exclude_columns, '{}'), include_columns,
          tenant_column, actions[1], actions[2], actions[3], actions[4], skip_unchanged, mode);
END
$fn$;

-- Moves parked rows (all, or those with the given outbox ids) back into the outbox, keeping their event ids: the
-- service refused them, so nothing was written under those ids. Fix the row (e.g. its tenant) before requeuing.
CREATE OR REPLACE FUNCTION audit_outbox.requeue_dead_letters(ids bigint[] DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  moved integer;
BEGIN
  WITH taken AS (
    DELETE FROM audit_outbox.dead_letter d WHERE ids IS NULL OR d.id = ANY (ids) RETURNING d.*
  ), requeued AS (
    INSERT INTO audit_outbox.outbox (id, event_id, txid, captured_at, db_user, table_schema, table_name, operation,
                                     action, resource_type, resource_id, tenant, before, after, context)
    OVERRIDING SYSTEM VALUE
    SELECT id, event_id, txid, captured_at, db_user, table_schema, table_name, operation, action, resource_type,
           resource_id, tenant, before, after, context FROM taken
    RETURNING txid
  ), registered AS (
    INSERT INTO audit_outbox.transactions (txid, commit_seq)
    SELECT txid, nextval('audit_outbox.commit_seq') FROM (SELECT DISTINCT txid FROM requeued) t
    ON CONFLICT (txid) DO NOTHING
  )
  SELECT count(*) INTO moved FROM requeued;
  PERFORM pg_notify('audit_outbox', '');
  RETURN moved;
END
$$;

-- The application's roles only call these; the outbox tables stay private to the installing role and the relay.
REVOKE ALL ON ALL TABLES IN SCHEMA audit_outbox FROM PUBLIC;
GRANT USAGE ON SCHEMA audit_outbox TO PUBLIC;
GRANT EXECUTE ON FUNCTION audit_outbox.set_context(text, text, text, text, text, text, text, text, text, text, text, text, text),
                          audit_outbox.current_context() TO PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_outbox.requeue_dead_letters(bigint[]) FROM PUBLIC;

INSERT INTO audit_outbox.installation (version) VALUES (1)
ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, upgraded_at = now();

COMMIT;
