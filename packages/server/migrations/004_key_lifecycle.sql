-- Key lifecycle: per-key rate limits and rotation of API keys, and the ring of checkpoint signing keys.

-- rate_limit: requests per minute for this key, overriding the service default (0 = unlimited).
-- replaced_by: the key that a rotation issued in this one's place; this key then works until its expires_at (the end of
-- the grace period the rotation chose).
ALTER TABLE api_keys
  ADD COLUMN rate_limit  integer NULL CHECK (rate_limit >= 0),
  ADD COLUMN replaced_by text    NULL REFERENCES api_keys (id);

-- Ed25519 keys that sign (or signed) checkpoints. One key signs every tenant's log, under each log's origin as the key
-- name, so a row holds the raw key and no name. 'current' signs every checkpoint; 'next' (only during a rotation)
-- signs them too; 'retired' keys sign nothing and lose their private part, but stay published so that checkpoints
-- they signed keep verifying. private_key is also null for a key given in AUDIT_LEDGER_SIGNING_KEY, which is never
-- written to the database.
CREATE TABLE signing_keys (
  id            text        PRIMARY KEY,
  public_key    bytea       NOT NULL UNIQUE CHECK (octet_length(public_key) = 32),
  private_key   text        NULL,
  state         text        NOT NULL CHECK (state IN ('current', 'next', 'retired')),
  created_at    timestamptz NOT NULL,
  activated_at  timestamptz NULL,
  retired_at    timestamptz NULL,
  CHECK (state <> 'retired' OR (private_key IS NULL AND retired_at IS NOT NULL))
);
-- At most one current and one next key at any time, whichever process tries to add another.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';
