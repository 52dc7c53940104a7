/**
 * The origin the contenders fetch from, run in its own process so that serving 2 MB pages does not
 * compete with the measured code for its event loop or show up in its RSS.
 *
 * Pages are streamed in 64 KiB writes with back-pressure, as a real origin does, so a client that
 * stops reading early also stops the server from pushing more than the socket buffers hold.
 * Talks to the parent over IPC only: { type: 'ready', port } once listening, and replies to
 * { type: 'stats' } with cumulative counters (the parent diffs them around each cell).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { PAGES, PAGES_DIR } from './pages.js';
import type { FixtureStats } from './protocol.js';

const WRITE_CHUNK_BYTES = 64 * 1024;

interface Route {
  readonly body: Buffer;
  readonly gzip: boolean;
}

const routes = new Map<string, Route>();
for (const page of PAGES) {
  const html = readFileSync(`${PAGES_DIR}${page.file}`);
  routes.set(page.path, { body: page.gzip ? gzipSync(html, { level: 6 }) : html, gzip: page.gzip });
}

const stats: Omit<FixtureStats, 'cpuMicros'> = { requests: 0, connections: 0, bodyBytesFlushed: 0, gzipWithoutAcceptEncoding: 0 };

async function streamBody(res: ServerResponse, body: Buffer): Promise<void> {
  for (let offset = 0; offset < body.length && !res.destroyed; offset += WRITE_CHUNK_BYTES) {
    const chunk = body.subarray(offset, offset + WRITE_CHUNK_BYTES);
    // Count only what reached the kernel: the callback runs once the chunk is flushed.
    const flushed = res.write(chunk, (error) => {
      if (!error) stats.bodyBytesFlushed += chunk.length;
    });
    if (!flushed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  stats.requests += 1;
  const route = routes.get(new URL(req.url ?? '/', 'http://fixture').pathname);
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    'content-length': route.body.length,
    'cache-control': 'no-store',
  };
  if (route.gzip) {
    // Served compressed whatever the client asked for (as pre-compressing CDNs do); counted so a
    // client that did not ask for gzip is visible in the results.
    headers['content-encoding'] = 'gzip';
    if (!/\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''))) stats.gzipWithoutAcceptEncoding += 1;
  }
  res.writeHead(200, headers);
  streamBody(res, route.body).catch((error: unknown) => {
    process.stderr.write(`fixture server: ${String(error)}\n`);
    res.destroy();
  });
}

const server = createServer(handle);
// Longer than any cell, so a keep-alive client never races an idle close in the middle of a run.
server.keepAliveTimeout = 60_000;
server.on('connection', () => {
  stats.connections += 1;
});
server.on('clientError', (_error, socket) => socket.destroy());

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fixture server: no TCP address');
  process.send?.({ type: 'ready', port: address.port });
});

process.on('message', (message: { type?: string }) => {
  if (message.type !== 'stats') return;
  const cpu = process.cpuUsage();
  process.send?.({ type: 'stats', stats: { ...stats, cpuMicros: cpu.user + cpu.system } satisfies FixtureStats });
});
// The parent going away (even by a crash) ends the fixture server too.
process.on('disconnect', () => process.exit(0));
