/**
 * Issue 7, defect 3, as found: requests that Node's HTTP parser rejects half-way (a bad chunk
 * size after the headers) carry credentials, and the error Node reports holds the raw request.
 * The real server process gets a known session token, capability, password and cookie in such
 * requests; then every line it wrote is scanned for them.
 */
import './support/timeouts.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiEnvironment,
  basicAuth,
  createSecretsDirectory,
  ENTRIES,
  freePort,
  rawRequest,
  request,
  startService,
  type SecretsDirectory,
  type ServiceProcess,
} from '@natter/process-harness';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/database.js';
import { expectSecurityHeaders, uniqueName } from './support/harness.js';

const PASSWORD = 'planted-password-7f3a9c';
const COOKIE = 'session=planted-cookie-5d1e';
/** Longest line a service may write: a 61 KB line holding the raw request is what was found. */
const MAX_LINE_BYTES = 8 * 1024;

describe('secrets never reach the log (real server process)', () => {
  let database: TestDatabase | undefined;
  let secrets: SecretsDirectory;
  let api: ServiceProcess;
  let host: string;
  const lines: string[] = [];

  beforeAll(async () => {
    database = TEST_DATABASE_URL === undefined ? undefined : await createTestDatabase();
    secrets = await createSecretsDirectory('natter-secrets-in-logs-');
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    api = await startService({
      name: 'natter-api',
      entry: ENTRIES.api,
      env: await apiEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [host], database: database?.api, secrets, logLevel: 'debug' }),
      onLine: (line) => lines.push(line),
      startTimeoutMs: 90_000,
    });
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await secrets?.remove();
    await database?.close();
  });

  it('when Node\'s HTTP parser rejects a request, then the answer is the contract\'s: a JSON error, every security header, Connection: close (issue 7, defect 4)', async () => {
    const start = `POST /users HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n`;
    const cases: [string, number, string][] = [
      [`${start}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400, 'malformed request'],
      [`${start}X-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n{}`, 400, 'malformed request'],
      [`${start}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400, 'malformed request'],
      [`${start}X-Big: ${'a'.repeat(20 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`, 431, 'request header fields too large'],
    ];
    for (const [payload, status, error] of cases) {
      const exchange = await rawRequest(api.url, payload);
      expect(exchange.status, payload.slice(0, 80)).toBe(status);
      expect(JSON.parse(exchange.body)).toEqual({ error });
      expectSecurityHeaders({ headers: exchange.headers }, expect);
      expect(exchange.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(exchange.headers['connection']).toBe('close');
      expect(exchange.closedByServer).toBe(true);
    }
  });

  it('when requests carrying a token, a capability, a password and a cookie fail in the HTTP parser or the app, then no line holds any of them and every line is bounded', async () => {
    const username = uniqueName();
    const json = (path: string, body: unknown, headers: Record<string, string> = {}) => request(`${api.url}${path}`, { headers: { Host: host, ...headers }, json: body });
    expect((await json('/users', { username, password: PASSWORD })).status).toBe(201);
    const basic = basicAuth(username, PASSWORD);
    const space = await json('/spaces', { name: uniqueName('space'), owner: username }, { Authorization: basic });
    const capabilityUri = space.json<{ 'messages-rw': string }>()['messages-rw'];
    const capability = new URL(capabilityUri, 'http://x').searchParams.get('access_token')!;
    const session = await request(`${api.url}/sessions`, { method: 'POST', headers: { Host: host, Authorization: basic } });
    const token = session.json<{ token: string }>().token;
    const planted = [token, capability, PASSWORD, basic.slice('Basic '.length), COOKIE];

    const head = (extra: string) =>
      `POST ${capabilityUri} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nCookie: ${COOKIE}\r\nContent-Type: application/json\r\n${extra}`;
    const exchanges = await Promise.all([
      // The issue's request: headers parse, the app starts, then the chunk size is garbage.
      rawRequest(api.url, `${head('Transfer-Encoding: chunked\r\n\r\n')}zz\r\n{}\r\n0\r\n\r\n`),
      rawRequest(api.url, `${head('Transfer-Encoding: chunked\r\n\r\n').replace(`Bearer ${token}`, basic)}zz\r\n{"password":"${PASSWORD}"}\r\n0\r\n\r\n`),
      rawRequest(api.url, `${head('X-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n')}{}`),
      rawRequest(api.url, `${head('Content-Length: 2\r\nContent-Length: 3\r\n\r\n')}{}`),
      rawRequest(api.url, `${head(`X-Big: ${'a'.repeat(20 * 1024)}\r\nContent-Length: 2\r\n\r\n`)}{}`),
      // The body ends early: the app sees the socket close while reading it.
      rawRequest(api.url, `${head('Content-Length: 100\r\n\r\n')}{"message":"${PASSWORD}"`, { waitMs: 300 }),
    ]);
    for (const exchange of exchanges) expect(exchange.raw).not.toContain(token);
    // Still serving, and every line so far is flushed before it is read.
    expect((await request(`${api.url}/health`, { headers: { Host: host } })).status).toBe(200);
    await api.stop();

    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      // A Buffer is logged as {"type":"Buffer","data":[80,79,…]}: read those bytes as text too.
      const text = `${line}\n${buffersIn(line).join('\n')}`;
      for (const secret of planted) expect(text, `a planted secret reached the log: ${line.slice(0, 300)}`).not.toContain(secret);
      expect(Buffer.byteLength(line), line.slice(0, 200)).toBeLessThanOrEqual(MAX_LINE_BYTES);
      expect(line.startsWith('{'), line.slice(0, 200)).toBe(true);
    }
  }, 60_000);
});

/** The text of every serialized Buffer in a JSON log line. */
function buffersIn(line: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    if (record['type'] === 'Buffer' && Array.isArray(record['data'])) found.push(Buffer.from(record['data'] as number[]).toString('latin1'));
    for (const child of Object.values(record)) walk(child);
  };
  try {
    walk(JSON.parse(line));
  } catch {
    // Not JSON: the line itself is checked as text.
  }
  return found;
}
