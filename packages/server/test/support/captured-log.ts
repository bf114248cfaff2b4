import { Writable } from 'node:stream';

/**
 * A trace-level pino configuration that keeps every log line in `lines`, with request headers serialised in full — as
 * an operator debugging a proxy might configure it — so tests can prove credentials still never show.
 */
export function capturedLog(): { lines: string[]; logger: object } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const serializers = {
    req: (request: { method: string; url: string; headers: Record<string, unknown> }) => ({
      method: request.method,
      url: request.url,
      headers: request.headers,
    }),
  };
  return { lines, logger: { level: 'trace', stream, serializers } };
}
