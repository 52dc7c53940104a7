/**
 * Issue 7, defect 4 and the timeouts: what `serve` answers when Node's own HTTP parser rejects a
 * request, and how soon it drops a client that is too slow. Raw bytes on loopback sockets.
 */
import { Writable } from 'node:stream';
import { rawRequest, type RawExchange } from '@natter/process-harness';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, DEFAULT_ERROR_HEADERS, serve, type RunningService } from '../src/index.js';

const TOKEN = 'planted-bearer-token-0123456789abcdef';
const lines: string[] = [];
const logger = createLogger({
  name: 'test',
  destination: new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk).trimEnd());
      done();
    },
  }),
});

/** An app that reads the whole body before answering, as a JSON API does. */
function bodyReadingApp(): Koa {
  const app = new Koa();
  // A request the parser broke off fails its body read: expected here, not worth stderr.
  app.silent = true;
  app.use(async (ctx) => {
    let length = 0;
    for await (const chunk of ctx.req) length += (chunk as Buffer).length;
    ctx.body = { length };
  });
  return app;
}

let running: RunningService;
beforeAll(async () => {
  running = await serve(bodyReadingApp(), { port: 0, host: '127.0.0.1', logger, handleSignals: false, headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
});
afterAll(() => running?.close());

const head = (extra: string) => `POST /things HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n${extra}`;

function expectJsonError(exchange: RawExchange, status: number, reason: string): void {
  expect(exchange.status, exchange.raw.slice(0, 200)).toBe(status);
  expect(JSON.parse(exchange.body)).toEqual({ status, error: reason });
  expect(exchange.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(exchange.headers['connection']).toBe('close');
  for (const [name, value] of Object.entries(DEFAULT_ERROR_HEADERS)) expect(exchange.headers[name.toLowerCase()]).toBe(value);
  expect(exchange.headers['server']).toBeUndefined();
  expect(exchange.closedByServer).toBe(true);
}

describe('requests Node\'s HTTP parser rejects', () => {
  it.each([
    ['a bad chunk size after the headers', `${head('Transfer-Encoding: chunked\r\n\r\n')}zz\r\n{}\r\n0\r\n\r\n`, 400, 'malformed request'],
    ['a NUL byte in a header value', `${head('X-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n')}{}`, 400, 'malformed request'],
    ['duplicate Content-Length', `${head('Content-Length: 2\r\nContent-Length: 3\r\n\r\n')}{}`, 400, 'malformed request'],
    ['Content-Length and Transfer-Encoding together', `${head('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n')}{}`, 400, 'malformed request'],
    ['a header section over 16 KiB', `${head(`X-Big: ${'a'.repeat(20 * 1024)}\r\nContent-Length: 2\r\n\r\n`)}{}`, 431, 'request header fields too large'],
    ['100 headers of 8 KB', `${head(Array.from({ length: 100 }, (_, index) => `X-H${index}: ${'b'.repeat(8000)}\r\n`).join(''))}\r\n`, 431, 'request header fields too large'],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'malformed request'],
    ['a space in the method', `G ET / HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'malformed request'],
  ])('when the request has %s, then a JSON 4xx with the security headers and Connection: close, and the connection is closed', async (_name, payload, status, reason) => {
    const before = lines.length;
    expectJsonError(await rawRequest(running.url, payload), status, reason);
    // Logged with its code and status only: never the raw request (rawPacket) or its credentials.
    const logged = lines.slice(before);
    expect(logged.map((line) => JSON.parse(line).msg)).toContain('request rejected by the HTTP parser');
    for (const line of logged) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain('rawPacket');
    }
    // And the service goes on serving.
    const ok = await rawRequest(running.url, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(ok.status).toBe(200);
  });

  it('when the client resets the connection mid-request, then nothing is answered or logged as a parser error', async () => {
    const before = lines.length;
    const { connect } = await import('node:net');
    const { hostname, port } = new URL(running.url);
    const socket = connect({ host: hostname, port: Number(port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(head('Content-Length: 100\r\n\r\n{"a":'));
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines.slice(before).filter((line) => line.includes('request rejected')), lines.slice(before).join('\n')).toEqual([]);
  });
});

describe('timeouts (headers 1 s, request 2 s in this test; Node checks every second)', () => {
  it('when a client sends its headers too slowly, then 408 JSON and the connection closes within about a second of the timeout', async () => {
    const started = Date.now();
    // Half a head, then nothing (slowloris). Node's default check interval (30 s) let this live 31 s.
    const exchange = await rawRequest(running.url, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n', { waitMs: 10_000 });
    const elapsed = Date.now() - started;
    expectJsonError(exchange, 408, 'request timeout');
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3500);
  }, 15_000);

  it('when a client sends its body too slowly, then the request timeout closes it within about a second', async () => {
    const started = Date.now();
    const exchange = await rawRequest(running.url, `${head('Content-Length: 10\r\n\r\n')}{`, { waitMs: 10_000 });
    const elapsed = Date.now() - started;
    expect(exchange.closedByServer).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4500);
  }, 15_000);
});

describe('server errors after listening', () => {
  it('when the listening server reports an error (accept failing with EMFILE), then it is logged and the service goes on', async () => {
    const before = lines.length;
    expect(() => running.server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }))).not.toThrow();
    expect(JSON.parse(lines[before]!)).toMatchObject({ level: 'error', msg: 'server error', err: { code: 'EMFILE' } });
    expect((await rawRequest(running.url, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
  });
});
