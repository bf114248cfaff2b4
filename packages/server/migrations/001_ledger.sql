-- The Audit Ledger schema: accounts and keys (mutable), and the per-tenant log (append-only).

CREATE TABLE tenants (
  id          text        PRIMARY KEY,
  name        text        NOT NULL,
  log_origin  text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- tenant_id is null for platform keys, which act across tenants.
CREATE TABLE api_keys (
  id            text        PRIMARY KEY,
  tenant_id     text        NULL REFERENCES tenants (id),
  name          text        NOT NULL,
  scopes        text[]      NOT NULL,
  secret_hash   bytea       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NULL,
  revoked_at    timestamptz NULL,
  last_used_at  timestamptz NULL
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at, id);

CREATE TABLE service_settings (
  name        text        PRIMARY KEY,
  value       text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Ledger tables ---------------------------------------------------------------------------------------------------

-- Partitioned by received_at, which never goes backwards within a log, so a month that has been archived never
-- receives another row. There is deliberately no default partition: a row outside every month fails loudly instead of
-- piling up where retention and archival would not see it. Monthly partitions are created by the service
-- (ensurePartitions), which names them events_YYYY_MM.
--
-- seq and id are unique per tenant, but a partitioned table can only enforce uniqueness on keys that include
-- received_at; the per-tenant advisory lock held by the only writer of a log (withLogWriter) guarantees the rest.
CREATE TABLE events (
  tenant_id      text        NOT NULL,
  seq            bigint      NOT NULL CHECK (seq >= 0),
  id             uuid        NOT NULL,
  received_at    timestamptz NOT NULL,
  occurred_at    timestamptz NOT NULL,
  action         text        NOT NULL,
  actor_id       text        NOT NULL,
  resource_type  text        NOT NULL,
  resource_id    text        NOT NULL,
  outcome        text        NOT NULL,
  -- RFC 8785 canonical JSON of the sealed event: the exact leaf bytes.
  leaf           text        NOT NULL,
  leaf_hash      bytea       NOT NULL CHECK (octet_length(leaf_hash) = 32),
  chain_hash     bytea       NOT NULL CHECK (octet_length(chain_hash) = 32),
  request_hash   bytea       NOT NULL,
  search         tsvector    NOT NULL,
  PRIMARY KEY (tenant_id, seq, received_at)
) PARTITION BY RANGE (received_at);

-- Every read filters by tenant first and pages newest-first by seq, so each index leads with tenant_id and ends in seq.
CREATE INDEX events_id_idx       ON events (tenant_id, id);
CREATE INDEX events_actor_idx    ON events (tenant_id, actor_id, seq);
-- text_pattern_ops compares bytes, so `action LIKE 'user.%'` becomes an index range whatever the database collation.
CREATE INDEX events_action_idx   ON events (tenant_id, action text_pattern_ops, seq);
CREATE INDEX events_resource_idx ON events (tenant_id, resource_type, resource_id, seq);
CREATE INDEX events_outcome_idx  ON events (tenant_id, outcome, seq);
CREATE INDEX events_occurred_idx ON events (tenant_id, occurred_at);
CREATE INDEX events_search_idx   ON events USING gin (search);

-- Perfect-subtree hashes of each tenant's RFC 9162 tree, kept only at levels 4, 8, 12, ...: level 0 is
-- events.leaf_hash, and any other node is at most 8 stored hashes away, so proofs cost O(log n) small reads while the
-- table holds about n/15 rows.
CREATE TABLE merkle_nodes (
  tenant_id  text     NOT NULL,
  level      smallint NOT NULL CHECK (level > 0 AND level % 4 = 0),
  idx        bigint   NOT NULL CHECK (idx >= 0),
  hash       bytea    NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (tenant_id, level, idx)
);

-- One row per committed batch; the log's head is the row with the largest size. Keeping every row (rather than
-- updating one) keeps the table append-only and leaves a record verification can compare against the events.
-- Events and nodes are only ever written together with a head row, so this foreign key ties every log to a tenant.
CREATE TABLE log_heads (
  tenant_id         text        NOT NULL REFERENCES tenants (id),
  size              bigint      NOT NULL CHECK (size > 0),
  chain_hash        bytea       NOT NULL CHECK (octet_length(chain_hash) = 32),
  -- The perfect-subtree hashes of [0, size), largest first, concatenated (32 bytes each).
  frontier          bytea       NOT NULL CHECK (octet_length(frontier) % 32 = 0),
  last_received_at  timestamptz NOT NULL,
  written_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, size)
);

CREATE TABLE checkpoints (
  tenant_id   text        NOT NULL REFERENCES tenants (id),
  size        bigint      NOT NULL CHECK (size >= 0),
  root_hash   bytea       NOT NULL CHECK (octet_length(root_hash) = 32),
  -- The complete C2SP signed note, exactly as served.
  note        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, size)
);

-- Append-only enforcement ------------------------------------------------------------------------------------------

-- Statement-level triggers fire even when no row matches, so an attempt is refused rather than silently doing
-- nothing. TRUNCATE triggers are not inherited by partitions and statement triggers of a partitioned table do not
-- fire for statements aimed at a partition directly, so every events partition gets its own trigger (see
-- ensurePartitions); the row-level trigger below is cloned to every partition automatically, including ones attached
-- by hand, as a second line for UPDATE and DELETE.
CREATE FUNCTION audit_ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit ledger tables are append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Entries of a tamper-evident log are never changed or removed.';
END;
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_reject_change();
CREATE TRIGGER events_append_only_rows BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION audit_ledger_reject_change();
CREATE TRIGGER merkle_nodes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON merkle_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_reject_change();
CREATE TRIGGER log_heads_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON log_heads
  FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_reject_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_reject_change();
