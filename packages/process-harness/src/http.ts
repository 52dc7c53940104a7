/**
 * One HTTP request over node:http. Unlike `fetch`, it sends the `Host` header we give it, which
 * the Host-allowlist checks need (fetch always derives Host from the URL).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  json<T = unknown>(): T;
}

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON with `Content-Type: application/json`. */
  readonly json?: unknown;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

export function request(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          body: text,
          json: <T>() => JSON.parse(text) as T,
        });
      });
    });
    outgoing.setTimeout(options.timeoutMs ?? 10_000, () => outgoing.destroy(new Error(`request to ${url} timed out`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** `Authorization: Basic …` for a username and password. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
