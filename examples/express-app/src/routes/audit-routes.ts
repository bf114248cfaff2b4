import { AuditServiceError, AuditVerificationError } from '@audit-ledger/sdk';
import { Router } from 'express';
import { userOf } from '../http/demo-login.js';
import { HttpError } from '../http/http-error.js';
import type { Services } from '../services.js';

const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The account's own audit trail, read back from Audit Ledger: what a customer's admin (or their auditor) sees in the
 * app. Reads always name the caller's account as the tenant, so one account never sees another's events.
 */
export function auditRoutes({ audit }: Services): Router {
  const router = Router();

  router.get('/audit/events', async (req, res) => {
    const { account } = userOf(req);
    // `?action=invoice.*` narrows the list (the service's own filter: exact, or a prefix ending in `.*`).
    const action = typeof req.query.action === 'string' ? req.query.action : undefined;
    // What this process recorded a moment ago may still be in the client's buffer: send it first.
    await audit.client.flush();
    const page = await audit.client.events.page({ tenant: account, limit: 50, ...(action !== undefined ? { action } : {}) });
    // One line per event, newest first; the proof route shows an event in full.
    res.json({
      events: page.events.map((event) => ({
        id: event.id,
        seq: event.seq,
        occurred_at: event.occurred_at,
        action: event.action,
        actor: event.actor.id,
        resource: `${event.resource.type}/${event.resource.id}`,
        changed_fields: event.changed_fields,
      })),
    });
  });

  /**
   * Proves one event to whoever asks: the service's signed checkpoint verifies, and the event's leaf is provably in
   * the tree that checkpoint signs. The check runs here, in the app, against the service's answers.
   */
  router.get('/audit/events/:id/proof', async (req, res) => {
    const { account } = userOf(req);
    const id = req.params.id;
    if (!EVENT_ID.test(id)) throw new HttpError(404, 'no such event');
    await audit.client.flush();
    try {
      const proof = await audit.client.verifyEvent(id, { tenant: account });
      res.json({
        verified: true,
        event_id: proof.id,
        tenant: proof.tenant,
        seq: proof.seq,
        leaf_hash: proof.leafHash,
        checkpoint: { origin: proof.checkpoint.origin, size: proof.checkpoint.size, note: proof.checkpoint.note },
        verifier_key: proof.checkpoint.verifierKey,
        inclusion_proof: proof.proof.map((hash) => Buffer.from(hash).toString('base64')),
        personal_data_checked: proof.personalDataChecked,
        event: proof.event,
      });
    } catch (error) {
      if (error instanceof AuditServiceError && error.status === 404) throw new HttpError(404, `no event ${id} in this account's log`);
      if (error instanceof AuditVerificationError) {
        res.status(409).json({ verified: false, event_id: id, reason: error.reason, detail: error.message });
        return;
      }
      throw error;
    }
  });

  return router;
}
