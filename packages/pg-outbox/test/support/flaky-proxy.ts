import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedPost {
  /** Event ids of the request body, in order. */
  ids: string[];
  status: number;
}

export interface ProxyOptions {
  /**
   * Called once the service has answered a POST and before the answer is passed on. Returning 'drop' destroys the
   * connection instead, so the relay never learns that the service accepted the batch.
   */
  onAnswered?(post: ProxiedPost): Promise<'pass' | 'drop'> | 'pass' | 'drop';
}

export interface RecordingProxy {
  url: string;
  /** Every POST /v1/events the service answered, in order. */
  posts: ProxiedPost[];
  close(): Promise<void>;
}

function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

/** A plain HTTP proxy on 127.0.0.1 in front of the service that records POSTs and can lose answers. */
export async function startRecordingProxy(serviceUrl: string, options: ProxyOptions = {}): Promise<RecordingProxy> {
  const posts: ProxiedPost[] = [];
  const service = new URL(serviceUrl);
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      const upstream = request({
        host: service.hostname,
        port: service.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: service.host },
      });
      upstream.end(body);
      const answer = await new Promise<IncomingMessage>((resolve, reject) => {
        upstream.on('response', resolve);
        upstream.on('error', reject);
      });
      const answerBody = await readBody(answer);
      let verdict: 'pass' | 'drop' = 'pass';
      if (incoming.method === 'POST' && incoming.url?.startsWith('/v1/events') === true) {
        const parsed = JSON.parse(body.toString('utf8')) as { events: Array<{ id: string }> };
        const post = { ids: parsed.events.map((event) => event.id), status: answer.statusCode ?? 0 };
        posts.push(post);
        verdict = (await options.onAnswered?.(post)) ?? 'pass';
      }
      if (verdict === 'drop') {
        outgoing.socket?.destroy();
        return;
      }
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      outgoing.end(answerBody);
    })().catch(() => outgoing.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
