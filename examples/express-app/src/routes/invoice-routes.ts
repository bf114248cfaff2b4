import { Router } from 'express';
import { z } from 'zod';
import { findInvoice, insertInvoice, listInvoices, markOverdue, markPaid } from '../database/invoices.js';
import { inAuditedTransaction } from '../database/outbox-context.js';
import { userOf } from '../http/demo-login.js';
import { HttpError } from '../http/http-error.js';
import { idParam, parseBody } from '../http/input.js';
import type { Services } from '../services.js';

const CURRENCY = z.enum(['EUR', 'USD', 'GBP']);
const NEW_INVOICE = z.object({
  customer_id: z.number().int().positive(),
  amount_cents: z.number().int().positive().max(1_000_000_000),
  currency: CURRENCY.default('EUR'),
  due_date: z.iso.date(),
});
const PAYMENT = z.object({ method: z.enum(['card', 'bank_transfer', 'cash']) });
const OVERDUE_RUN = z.object({ today: z.iso.date().optional() });

export function invoiceRoutes({ pool, audit }: Services): Router {
  const router = Router();

  router.get('/invoices', async (req, res) => {
    const { account } = userOf(req);
    const client = await pool.connect();
    try {
      res.json({ invoices: await listInvoices(client, account) });
    } finally {
      client.release();
    }
  });

  router.post('/invoices', async (req, res) => {
    const { account } = userOf(req);
    const input = parseBody(NEW_INVOICE, req.body);
    const invoice = await inAuditedTransaction(pool, (db) =>
      insertInvoice(db, account, {
        customerId: input.customer_id,
        amountCents: input.amount_cents,
        currency: input.currency,
        dueDate: input.due_date,
      }),
    );
    if (invoice === null) throw new HttpError(404, `no customer ${input.customer_id}`);
    res.status(201).json(invoice);
  });

  /**
   * The row change (status open → paid) is captured by the trigger like any other; what it meant — a payment, by
   * which method — is a business event, recorded through the typed catalogue once the transaction has committed.
   */
  router.post('/invoices/:id/pay', async (req, res) => {
    const user = userOf(req);
    const id = idParam(req.params.id);
    const { method } = parseBody(PAYMENT, req.body);
    const invoice = await inAuditedTransaction(pool, async (db) => {
      const current = await findInvoice(db, user.account, id, true);
      if (current === null) throw new HttpError(404, `no invoice ${id}`);
      if (current.status === 'paid' || current.status === 'void') {
        throw new HttpError(409, `invoice ${id} is ${current.status}`);
      }
      return markPaid(db, user.account, id);
    });
    const auditEventId = audit.actions.record(
      'invoice.paid',
      { invoice_id: invoice.id, amount_cents: invoice.amount_cents, currency: CURRENCY.parse(invoice.currency), method },
      { actor: { id: user.id, type: 'user' }, resource: { type: 'invoice', id: String(invoice.id) } },
    );
    res.json({ invoice, audit_event_id: auditEventId });
  });

  /** The bulk path: one UPDATE statement over every open invoice past its due date. */
  router.post('/invoices/mark-overdue', async (req, res) => {
    const user = userOf(req);
    const { today = new Date().toISOString().slice(0, 10) } = parseBody(OVERDUE_RUN, req.body);
    const marked = await inAuditedTransaction(pool, (db) => markOverdue(db, user.account, today));
    const auditEventId = audit.actions.record(
      'invoice.overdue_run',
      { due_before: today, invoices_marked: marked.length },
      { actor: { id: user.id, type: 'user' }, resource: { type: 'account', id: user.account } },
    );
    res.json({ marked: marked.map((invoice) => invoice.id), audit_event_id: auditEventId });
  });

  return router;
}
