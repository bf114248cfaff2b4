import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Base URL of a listening server on loopback. */
export function baseUrl(server: Server): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export interface Sent {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Sent> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/**
 * POSTs a JSON body in separate chunks with pauses between them, so the server reads the body over several socket
 * reads (the case where a framework could resume the request from the socket's async context instead of the request's).
 */
export async function postInChunks(url: string, chunks: string[], headers: Record<string, string> = {}): Promise<Sent> {
  const target = new URL(url);
  return new Promise<Sent>((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: new Headers(Object.entries(res.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : []))),
            body: JSON.parse(text) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    const [first, ...rest] = chunks;
    req.write(first ?? '');
    const writeNext = (index: number): void => {
      if (index === rest.length) {
        req.end();
        return;
      }
      setTimeout(() => {
        req.write(rest[index] ?? '');
        writeNext(index + 1);
      }, 20);
    };
    writeNext(0);
  });
}
