import type { FastifyInstance, FastifyReply } from 'fastify';
import { LedgerError, toProblem } from '../errors.js';
import { toLedgerError } from './to-ledger-error.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export function sendProblem(reply: FastifyReply, error: LedgerError): FastifyReply {
  const problem = toProblem(error);
  if (error.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer realm="audit-ledger"');
  return reply.code(problem.status).type(`${PROBLEM_MEDIA_TYPE}; charset=utf-8`).send(problem);
}

/** One error handler and one not-found handler, so every failure leaves as a problem document. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const ledgerError = toLedgerError(error);
    if (ledgerError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, ledgerError);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    return sendProblem(reply, new LedgerError('NOT_FOUND', `no route for ${request.method} ${path}`));
  });
}
