import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  /** Answer 503 itself; the service never sees the request. */
  | { kind: 'unavailable'; retryAfterSeconds?: number }
  /** Answer 429 with Retry-After; the service never sees the request. */
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  /** Cut the client's connection before forwarding: a request lost on the way. */
  | { kind: 'reset-before' }
  /** Forward, let the service answer, then cut the client's connection: an answer lost on the way back. */
  | { kind: 'reset-after' }
  /** Forward and hand back the service's answer with its body rewritten. */
  | { kind: 'rewrite'; body: (text: string) => string };

export interface ProxiedRequest {
  method: string;
  path: string;
  /** 0-based count of requests seen so far. */
  index: number;
  at: number;
}

export interface FlakyProxy {
  url: string;
  /** Every request seen, with the fault applied. */
  readonly log: (ProxiedRequest & { fault: Fault['kind'] })[];
  setPlan(plan: (request: ProxiedRequest) => Fault): void;
  close(): Promise<void>;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function problem(response: ServerResponse, status: number, title: string, retryAfterSeconds?: number): void {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  response.writeHead(status, headers);
  response.end(JSON.stringify({ type: 'about:blank', title, status, detail: `injected by the test proxy` }));
}

/**
 * A real HTTP hop between the client and the service that loses, refuses or alters requests on a plan: the
 * client under test talks to it over loopback exactly as it would to a flaky load balancer.
 */
export async function startFlakyProxy(target: string): Promise<FlakyProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true });
  let plan: (request: ProxiedRequest) => Fault = () => ({ kind: 'pass' });
  const log: FlakyProxy['log'] = [];

  const server = createServer((incoming, response) => {
    void (async () => {
      const body = await readBody(incoming);
      const info: ProxiedRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', index: log.length, at: Date.now() };
      const fault = plan(info);
      log.push({ ...info, fault: fault.kind });
      if (fault.kind === 'unavailable') return problem(response, 503, 'Service unavailable', fault.retryAfterSeconds);
      if (fault.kind === 'rate-limited') return problem(response, 429, 'Too many requests', fault.retryAfterSeconds);
      if (fault.kind === 'reset-before') return incoming.socket.destroy();

      const headers = { ...incoming.headers, host: targetUrl.host };
      const upstream = request(
        { host: targetUrl.hostname, port: targetUrl.port, method: incoming.method, path: incoming.url, headers, agent },
        (answer) => {
          void readBody(answer).then((answerBody) => {
            if (fault.kind === 'reset-after') return incoming.socket.destroy();
            let out = answerBody;
            if (fault.kind === 'rewrite') out = Buffer.from(fault.body(answerBody.toString('utf8')));
            const answerHeaders = { ...answer.headers, 'content-length': String(out.byteLength) };
            delete answerHeaders['transfer-encoding'];
            response.writeHead(answer.statusCode ?? 502, answerHeaders);
            response.end(out);
          });
        },
      );
      upstream.on('error', () => incoming.socket.destroy());
      upstream.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    setPlan(next) {
      plan = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
