/**
 * Two requests Node's HTTP server would answer itself, bare (no JSON, no security headers), before
 * any app code runs: an HTTP/1.1 request without Host (400) and an `Expect` it does not know (417).
 * `serve` hands both to the app, which answers them as it answers everything. Found by the
 * reliability suite's malformed-HTTP table (packages/reliability).
 */
import { Writable } from 'node:stream';
import { rawRequest } from '@natter/process-harness';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, serve, type RunningService } from '../src/index.js';

const silent = createLogger({ name: 'test', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

let running: RunningService;
beforeAll(async () => {
  const app = new Koa();
  // Echoes what the app saw, so each test can tell the app answered, not Node.
  app.use((ctx) => {
    ctx.set('X-Answered-By', 'app');
    ctx.body = { host: ctx.get('host'), expect: ctx.get('expect') };
  });
  running = await serve(app, { port: 0, host: '127.0.0.1', logger: silent, handleSignals: false });
});
afterAll(() => running?.close());

describe('requests Node would answer bare', () => {
  it('when an HTTP/1.1 request has no Host, then the app answers it (its Host allowlist refuses it in the service format)', async () => {
    const exchange = await rawRequest(running.url, 'GET /things HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(exchange.status, exchange.raw.slice(0, 200)).toBe(200);
    expect(exchange.headers['x-answered-by']).toBe('app');
    expect(JSON.parse(exchange.body)).toEqual({ host: '', expect: '' });
  });

  it('when a request carries an expectation other than 100-continue, then the app answers it instead of a bare 417', async () => {
    const exchange = await rawRequest(running.url, 'POST /things HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    expect(exchange.status, exchange.raw.slice(0, 200)).toBe(200);
    expect(exchange.headers['x-answered-by']).toBe('app');
    expect(JSON.parse(exchange.body)).toEqual({ host: 'x', expect: '200-ok' });
  });
});
