import type { PoolClient } from 'pg';

export interface Customer {
  id: number;
  account_id: string;
  name: string;
  email: string;
  created_at: Date;
}

export async function insertCustomer(
  db: PoolClient,
  account: string,
  input: { name: string; email: string },
): Promise<Customer> {
  const result = await db.query<Customer>(
    'INSERT INTO customers (account_id, name, email) VALUES ($1, $2, $3) RETURNING *',
    [account, input.name, input.email],
  );
  return result.rows[0] as Customer;
}

/** Changes the given fields of one of the account's customers; null when the account has no such customer. */
export async function updateCustomer(
  db: PoolClient,
  account: string,
  id: number,
  changes: { name?: string | undefined; email?: string | undefined },
): Promise<Customer | null> {
  const result = await db.query<Customer>(
    `UPDATE customers SET name = coalesce($3, name), email = coalesce($4, email)
     WHERE account_id = $1 AND id = $2 RETURNING *`,
    [account, id, changes.name ?? null, changes.email ?? null],
  );
  return result.rows[0] ?? null;
}

export async function listCustomers(db: PoolClient, account: string): Promise<Customer[]> {
  const result = await db.query<Customer>('SELECT * FROM customers WHERE account_id = $1 ORDER BY id', [account]);
  return result.rows;
}
