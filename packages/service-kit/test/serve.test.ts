import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { createLogger, serve } from '../src/index.js';

const silent = createLogger({ name: 'test', destination: new Writable({ write: (_c, _e, done) => done() }) });

describe('serve', () => {
  it('when closed, then in-flight requests finish, onClose runs once, and new connections are refused', async () => {
    let releaseSlowRequest!: () => void;
    let slowRequestArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (slowRequestArrived = resolve));
    const app = new Koa();
    app.use(async (ctx) => {
      await new Promise<void>((resolve) => {
        releaseSlowRequest = resolve;
        slowRequestArrived();
      });
      ctx.body = { done: true };
    });
    let closes = 0;
    const running = await serve(app, {
      port: 0,
      host: '127.0.0.1',
      logger: silent,
      handleSignals: false,
      onClose: async () => {
        closes += 1;
      },
    });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const inFlight = fetch(running.url);
    // Close only once the request is inside the handler (a fixed delay loses that race on a busy machine).
    await arrived;
    const closed = running.close();
    releaseSlowRequest();
    const response = await inFlight;
    expect(await response.json()).toEqual({ done: true });
    const drainStarted = Date.now();
    await Promise.all([closed, running.close()]);
    // Not the keep-alive timeout (5 s): the drained connection is closed as soon as it is idle.
    expect(Date.now() - drainStarted).toBeLessThan(2_000);
    expect(closes).toBe(1);
    await expect(fetch(running.url)).rejects.toThrow();
  });

  it.each([
    ['synchronous standard output', []],
    ['coalescedStdout()', ['--coalesced']],
  ])('when the process receives SIGTERM (even twice), then it logs, closes and exits 0 (logging to %s)', async (_destination, flags) => {
    const script = fileURLToPath(new URL('./support/serve-until-signal.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) lines.push(JSON.parse(line) as Record<string, unknown>);
      if (lines.some((line) => line.msg === 'listening')) {
        child.kill('SIGTERM');
        child.kill('SIGTERM');
      }
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(lines.map((line) => line.msg)).toEqual(['listening', 'shutting down', 'stopped']);
    expect(lines[1]).toMatchObject({ signal: 'SIGTERM' });
  }, 20_000);
});
