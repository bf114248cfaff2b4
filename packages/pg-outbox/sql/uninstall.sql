-- Removes the Audit Ledger outbox: the capture triggers on every captured table, then the schema audit_outbox with
-- its tables and functions.
--
-- Rows still waiting in the outbox or parked in the dead-letter table would be lost, so the script refuses while
-- there are any; after draining them (or deciding they may go), run it with the override:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c 'SET audit_outbox.discard_pending = on' -f uninstall.sql
--   (or PGOPTIONS='-c audit_outbox.discard_pending=on' psql ... -f uninstall.sql)

BEGIN;
SET LOCAL client_min_messages = warning;

DO $lock$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('audit_outbox.install')); END $lock$;

DO $uninstall$
DECLARE
  pending bigint;
  parked  bigint;
  target  regclass;
BEGIN
  IF to_regnamespace('audit_outbox') IS NULL THEN
    RETURN;
  END IF;
  SELECT count(*) INTO pending FROM audit_outbox.outbox;
  SELECT count(*) INTO parked FROM audit_outbox.dead_letter;
  IF (pending > 0 OR parked > 0) AND coalesce(current_setting('audit_outbox.discard_pending', true), '') <> 'on' THEN
    RAISE EXCEPTION 'the outbox still holds % unshipped and % parked rows', pending, parked
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Let the relay drain it, or SET audit_outbox.discard_pending = on to drop them anyway.';
  END IF;
  -- Triggers by name on every table that has them, also tables captured before captured_tables was consulted.
  FOR target IN
    SELECT DISTINCT t.tgrelid::regclass FROM pg_trigger t
    WHERE t.tgname IN ('audit_outbox_insert', 'audit_outbox_update', 'audit_outbox_delete', 'audit_outbox_row',
                       'audit_outbox_truncate')
  LOOP
    PERFORM audit_outbox.release_table(target);
  END LOOP;
END
$uninstall$;

DROP SCHEMA IF EXISTS audit_outbox CASCADE;

COMMIT;
