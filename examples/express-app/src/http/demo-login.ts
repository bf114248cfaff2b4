import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error.js';

/** Who is calling, as far as this demo is concerned. */
export interface DemoUser {
  id: string;
  account: string;
}

export type AuthenticatedRequest = Request & { user?: DemoUser };

const USER_ID = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const ACCOUNT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * DEMO ONLY — NOT AUTHENTICATION. The caller simply names itself: `X-Demo-User: ada` and `X-Demo-Account: acme`.
 * A real app puts its session or token check here; everything after it (the audit middleware, the routes) stays
 * the same, because it only reads `req.user`.
 */
export function demoLogin(req: AuthenticatedRequest, _res: Response, next: NextFunction): void {
  const id = req.get('x-demo-user');
  const account = req.get('x-demo-account');
  if (id === undefined || account === undefined) {
    next(new HttpError(401, 'Send X-Demo-User and X-Demo-Account headers (demo login)'));
    return;
  }
  if (!USER_ID.test(id) || !ACCOUNT_ID.test(account)) {
    next(new HttpError(400, 'X-Demo-User or X-Demo-Account is malformed (lower-case letters, digits, "-")'));
    return;
  }
  req.user = { id, account };
  next();
}

/** The signed-in user; the routes run behind demoLogin, so there always is one. */
export function userOf(req: AuthenticatedRequest): DemoUser {
  if (req.user === undefined) throw new HttpError(401, 'not signed in');
  return req.user;
}
