import http from 'node:http';

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface HttpClient {
  request(method: string, path: string, options?: { body?: Buffer | string; token?: string }): Promise<HttpResponse>;
  close(): void;
}

/**
 * node:http with a keep-alive agent: producers keep their connections open, so connection set-up is not part of any
 * number here. `maxSockets` bounds how many requests one client has in flight.
 */
export function createHttpClient(baseUrl: string, maxSockets: number, defaultToken?: string): HttpClient {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  return {
    request(method, path, options = {}) {
      const token = options.token ?? defaultToken;
      const headers: http.OutgoingHttpHeaders = { accept: 'application/json, text/plain' };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(options.body);
      }
      return new Promise<HttpResponse>((resolve, reject) => {
        const req = http.request(
          { agent, method, host: base.hostname, port: base.port, path, headers },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', reject);
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                contentType: res.headers['content-type'] ?? '',
                body: Buffer.concat(chunks).toString('utf8'),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(options.body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Fails with the service's problem document, so a broken run says why instead of printing a bad number. */
export function expectStatus(response: HttpResponse, status: number, what: string): HttpResponse {
  if (response.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${response.status}: ${response.body.slice(0, 500)}`);
  }
  return response;
}
