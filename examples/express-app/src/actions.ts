import { z } from 'zod';

/**
 * The business events this app records explicitly, each with the schema of its payload (the event's `metadata`).
 * Row changes need no entry here: the database triggers and the capture adapters record those on their own. What
 * they cannot know is what a change meant, so "an invoice was paid, by which method" is said here, once, typed.
 */
export const ACTIONS = {
  'invoice.paid': z.object({
    invoice_id: z.number().int().positive(),
    amount_cents: z.number().int().positive(),
    currency: z.enum(['EUR', 'USD', 'GBP']),
    method: z.enum(['card', 'bank_transfer', 'cash']),
  }),
  'invoice.overdue_run': z.object({
    due_before: z.iso.date(),
    invoices_marked: z.number().int().nonnegative(),
  }),
};
