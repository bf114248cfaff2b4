-- Personal data: encryption keys per data subject (crypto-shredding), legal holds, and each tenant's extra
-- personal-data paths. These tables are mutable on purpose and are not part of any log: erasing a subject means
-- destroying its keys, while the log keeps the ciphertext its hashes cover.

-- The data subject an event names explicitly (`subject_id` of the sealed event; NULL when the producer gave none, and
-- then the subject is the actor). A column copy of a sealed field like actor_id, compared with the leaf by
-- verification, so the right of access finds events about a subject from an index.
ALTER TABLE events ADD COLUMN subject_id text NULL;
CREATE INDEX events_subject_idx ON events (tenant_id, subject_id, seq) WHERE subject_id IS NOT NULL;

-- One row per data key. A key is AES-256, kept only wrapped (encrypted) by a master key that lives outside the
-- database; destroying it removes the wrapped key itself, so no backup taken afterwards holds anything usable.
-- At most one active key per (tenant, subject): the partial unique index makes creating it race-free across processes
-- (INSERT ... ON CONFLICT DO NOTHING, then read whichever won). No foreign key to tenants: with queued ingest the
-- personal data of a tenant's first event is encrypted before that event creates the tenant.
CREATE TABLE data_keys (
  key_id           text        PRIMARY KEY,
  tenant_id        text        NOT NULL,
  subject_id       text        NOT NULL,
  wrapped_key      bytea       NULL,
  wrapping_key_id  text        NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  destroyed_at     timestamptz NULL,
  CHECK ((destroyed_at IS NULL) = (wrapped_key IS NOT NULL AND wrapping_key_id IS NOT NULL))
);
CREATE UNIQUE INDEX data_keys_active_idx ON data_keys (tenant_id, subject_id) WHERE destroyed_at IS NULL;
CREATE INDEX data_keys_subject_idx ON data_keys (tenant_id, subject_id, created_at);
-- Rewrapping under a new master key finds the keys still wrapped by an old one.
CREATE INDEX data_keys_wrapping_idx ON data_keys (wrapping_key_id) WHERE destroyed_at IS NULL;

-- Master keys that have wrapped data keys in this database, by id (never the key). A process whose key ring does not
-- know one of them refuses to start instead of writing data keys no other process can open.
CREATE TABLE master_key_ids (
  id             text        PRIMARY KEY,
  registered_at  timestamptz NOT NULL DEFAULT now()
);

-- Legal holds suspend erasure for one subject (subject_id) or the whole tenant (NULL). Lifting sets lifted_at; rows
-- are kept as the history of holds.
CREATE TABLE legal_holds (
  id          uuid        PRIMARY KEY,
  tenant_id   text        NOT NULL,
  subject_id  text        NULL,
  reason      text        NOT NULL,
  placed_by   text        NOT NULL,
  placed_at   timestamptz NOT NULL,
  lifted_by   text        NULL,
  lifted_at   timestamptz NULL
);
CREATE INDEX legal_holds_tenant_idx ON legal_holds (tenant_id, placed_at, id);

-- JSON Pointers a tenant marks as personal data on top of the defaults.
CREATE TABLE privacy_settings (
  tenant_id            text        PRIMARY KEY,
  personal_data_paths  text[]      NOT NULL,
  updated_at           timestamptz NOT NULL
);
