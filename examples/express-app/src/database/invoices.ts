import type { PoolClient } from 'pg';

export type InvoiceStatus = 'open' | 'overdue' | 'paid' | 'void';

export interface Invoice {
  id: number;
  account_id: string;
  customer_id: number;
  amount_cents: number;
  currency: string;
  status: InvoiceStatus;
  /** YYYY-MM-DD */
  due_date: string;
  paid_at: Date | null;
  created_at: Date;
}

// due_date comes back as text: a calendar date has no time zone to get wrong.
const COLUMNS = 'id, account_id, customer_id, amount_cents, currency, status, due_date::text AS due_date, paid_at, created_at';

export async function insertInvoice(
  db: PoolClient,
  account: string,
  input: { customerId: number; amountCents: number; currency: string; dueDate: string },
): Promise<Invoice | null> {
  // INSERT ... SELECT: an invoice can only be written for a customer of the same account.
  const result = await db.query<Invoice>(
    `INSERT INTO invoices (account_id, customer_id, amount_cents, currency, due_date)
     SELECT c.account_id, c.id, $3, $4, $5 FROM customers c WHERE c.account_id = $1 AND c.id = $2
     RETURNING ${COLUMNS}`,
    [account, input.customerId, input.amountCents, input.currency, input.dueDate],
  );
  return result.rows[0] ?? null;
}

export async function findInvoice(db: PoolClient, account: string, id: number, lock = false): Promise<Invoice | null> {
  const result = await db.query<Invoice>(
    `SELECT ${COLUMNS} FROM invoices WHERE account_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
    [account, id],
  );
  return result.rows[0] ?? null;
}

export async function markPaid(db: PoolClient, account: string, id: number): Promise<Invoice> {
  const result = await db.query<Invoice>(
    `UPDATE invoices SET status = 'paid', paid_at = now() WHERE account_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [account, id],
  );
  return result.rows[0] as Invoice;
}

/**
 * One UPDATE over every open invoice of the account due before `today`. The statement-level capture trigger turns
 * it into one audit event per invoice, each with its own before/after, in the same transaction.
 */
export async function markOverdue(db: PoolClient, account: string, today: string): Promise<Invoice[]> {
  const result = await db.query<Invoice>(
    `UPDATE invoices SET status = 'overdue' WHERE account_id = $1 AND status = 'open' AND due_date < $2
     RETURNING ${COLUMNS}`,
    [account, today],
  );
  return result.rows;
}

export async function listInvoices(db: PoolClient, account: string): Promise<Invoice[]> {
  const result = await db.query<Invoice>(`SELECT ${COLUMNS} FROM invoices WHERE account_id = $1 ORDER BY id`, [account]);
  return result.rows;
}
