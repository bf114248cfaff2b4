import { Router } from 'express';
import { z } from 'zod';
import { insertCustomer, listCustomers, updateCustomer } from '../database/customers.js';
import { inAuditedTransaction } from '../database/outbox-context.js';
import { userOf } from '../http/demo-login.js';
import { HttpError } from '../http/http-error.js';
import { idParam, parseBody } from '../http/input.js';
import type { Services } from '../services.js';

const NEW_CUSTOMER = z.object({ name: z.string().trim().min(1).max(200), email: z.email() });
const CUSTOMER_CHANGES = z
  .object({ name: z.string().trim().min(1).max(200).optional(), email: z.email().optional() })
  .refine((changes) => changes.name !== undefined || changes.email !== undefined, 'change name or email');

/**
 * Customers live in PostgreSQL. The routes only write rows: the capture triggers put `customer.create|update`
 * events into the outbox inside the same transaction, with the request's context, and the relay ships them.
 */
export function customerRoutes({ pool }: Services): Router {
  const router = Router();

  router.get('/customers', async (req, res) => {
    const { account } = userOf(req);
    const client = await pool.connect();
    try {
      res.json({ customers: await listCustomers(client, account) });
    } finally {
      client.release();
    }
  });

  router.post('/customers', async (req, res) => {
    const { account } = userOf(req);
    const input = parseBody(NEW_CUSTOMER, req.body);
    const customer = await inAuditedTransaction(pool, (db) => insertCustomer(db, account, input));
    res.status(201).json(customer);
  });

  router.patch('/customers/:id', async (req, res) => {
    const { account } = userOf(req);
    const id = idParam(req.params.id);
    const changes = parseBody(CUSTOMER_CHANGES, req.body);
    const customer = await inAuditedTransaction(pool, (db) => updateCustomer(db, account, id, changes));
    if (customer === null) throw new HttpError(404, `no customer ${id}`);
    res.json(customer);
  });

  return router;
}
