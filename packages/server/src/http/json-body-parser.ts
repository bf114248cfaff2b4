import type { FastifyInstance } from 'fastify';
import { LedgerError } from '../errors.js';

/**
 * Bodies are JSON only; any other media type is refused with 415 before it is read. The bytes are decoded as
 * strict UTF-8 first: a lenient decoder would swap invalid bytes for U+FFFD and store something other than what
 * the producer sent. Parsing then uses Fastify's JSON parser, which refuses `__proto__` and
 * `constructor.prototype` keys.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = decoder.decode(body as Buffer);
    } catch {
      done(new LedgerError('BAD_REQUEST', 'the request body is not valid UTF-8'));
      return;
    }
    void parseJson(request, text, done);
  });
}
