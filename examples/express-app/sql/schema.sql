-- The example's own tables. Audit capture is added on top by src/database/migrate.ts (installOutbox + captureTable);
-- nothing here knows about auditing.
CREATE TABLE IF NOT EXISTS customers (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The customer account (an Audit Ledger tenant) the row belongs to; same rule as a tenant id.
  account_id  text NOT NULL CHECK (account_id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text NOT NULL,
  email       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS customers_account ON customers (account_id, id);

CREATE TABLE IF NOT EXISTS invoices (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id    text NOT NULL CHECK (account_id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  customer_id   integer NOT NULL REFERENCES customers (id),
  amount_cents  integer NOT NULL CHECK (amount_cents > 0),
  currency      text NOT NULL DEFAULT 'EUR' CHECK (currency IN ('EUR', 'USD', 'GBP')),
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'overdue', 'paid', 'void')),
  due_date      date NOT NULL,
  paid_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS invoices_account_status ON invoices (account_id, status, due_date);
