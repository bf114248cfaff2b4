import { Router } from 'express';
import { z } from 'zod';
import { userOf } from '../http/demo-login.js';
import { HttpError } from '../http/http-error.js';
import { parseBody } from '../http/input.js';
import type { Services } from '../services.js';

const FLAG_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const MEMBER_ID = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const FLAG = z.object({ enabled: z.boolean() });
const MEMBERSHIP = z.object({ role: z.enum(['owner', 'admin', 'accountant', 'viewer']) });

function param(value: string | string[] | undefined, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new HttpError(400, `malformed ${what}`);
  return value;
}

/** Account settings in Redis: feature flags (Redis adapter) and members with roles (generic decorator). */
export function accountRoutes({ flags, members }: Services): Router {
  const router = Router();

  router.get('/flags', async (req, res) => {
    res.json({ flags: await flags.all(userOf(req).account) });
  });

  router.put('/flags/:flag', async (req, res) => {
    const { account } = userOf(req);
    const flag = param(req.params.flag, FLAG_NAME, 'flag name');
    const { enabled } = parseBody(FLAG, req.body);
    res.json({ flags: await flags.set(account, flag, enabled) });
  });

  router.put('/members/:userId', async (req, res) => {
    const user = userOf(req);
    const memberId = param(req.params.userId, MEMBER_ID, 'user id');
    const { role } = parseBody(MEMBERSHIP, req.body);
    const { invite_token: _secret, ...member } = await members.save(user.account, memberId, role, user.id);
    res.json(member);
  });

  router.delete('/members/:userId', async (req, res) => {
    const { account } = userOf(req);
    const memberId = param(req.params.userId, MEMBER_ID, 'user id');
    if (!(await members.remove(account, memberId))) throw new HttpError(404, `no member ${memberId}`);
    res.status(204).end();
  });

  return router;
}
