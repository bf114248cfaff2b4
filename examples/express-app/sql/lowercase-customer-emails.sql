-- Data fix: customer emails were stored as typed; lookups want them lower-case.
-- Run it with `npm run maintenance -- --reason "<ticket>" sql/lowercase-customer-emails.sql`, or with plain psql:
-- the capture triggers record every row it changes either way.
UPDATE customers SET email = lower(email) WHERE email <> lower(email);
