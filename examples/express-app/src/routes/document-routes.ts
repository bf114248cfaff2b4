import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import express, { Router } from 'express';
import { DOCUMENT_NAME } from '../capture/documents.js';
import { findInvoice } from '../database/invoices.js';
import { userOf } from '../http/demo-login.js';
import { HttpError } from '../http/http-error.js';
import { idParam } from '../http/input.js';
import type { Services } from '../services.js';

function documentName(value: string | string[] | undefined): string {
  if (typeof value !== 'string' || !DOCUMENT_NAME.test(value)) {
    throw new HttpError(400, 'document names use letters, digits, ".", "_" and "-" (at most 100)');
  }
  return value;
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/** Documents attached to invoices: the raw request body is the file. */
export function documentRoutes({ pool, documents }: Services): Router {
  const router = Router();

  async function requireInvoice(account: string, id: number): Promise<void> {
    const client = await pool.connect();
    try {
      if ((await findInvoice(client, account, id)) === null) throw new HttpError(404, `no invoice ${id}`);
    } finally {
      client.release();
    }
  }

  router.put('/invoices/:id/documents/:name', express.raw({ type: () => true, limit: '10mb' }), async (req, res) => {
    const { account } = userOf(req);
    const id = idParam(req.params.id);
    const name = documentName(req.params.name);
    await requireInvoice(account, id);
    const content = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await documents.put(account, id, name, content);
    // The same hash the audit event holds: a customer with the file can check it against the record.
    res.status(201).json({ name, size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
  });

  router.get('/invoices/:id/documents/:name', async (req, res) => {
    const { account } = userOf(req);
    const id = idParam(req.params.id);
    const name = documentName(req.params.name);
    try {
      const stream = await documents.read(account, id, name);
      res.type('application/octet-stream');
      await pipeline(stream, res);
    } catch (error) {
      if (isMissing(error)) throw new HttpError(404, `no document ${name} on invoice ${id}`);
      throw error;
    }
  });

  router.delete('/invoices/:id/documents/:name', async (req, res) => {
    const { account } = userOf(req);
    const id = idParam(req.params.id);
    const name = documentName(req.params.name);
    try {
      await documents.remove(account, id, name);
    } catch (error) {
      if (isMissing(error)) throw new HttpError(404, `no document ${name} on invoice ${id}`);
      throw error;
    }
    res.status(204).end();
  });

  return router;
}
