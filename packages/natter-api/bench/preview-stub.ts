/**
 * A stand-in for the link-preview service with a fixed delay, so the benchmark measures how the
 * API fans out and caches previews, not how fast some page on the internet is. It runs as its own
 * process (loopback only), so the load generator does not slow its answers down.
 *
 *   GET /preview?url=…  → 200 {"url","title","description"} after PREVIEW_STUB_DELAY_MS
 *   GET /count          → {"previews": <how many previews were asked for so far>}
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request, baseEnvironment, startService } from '@natter/process-harness';

export interface PreviewStub {
  /** Base URL to give the API as LINK_PREVIEW_URL. */
  readonly url: string;
  /** How many previews were asked for so far (a warm cache asks for none). */
  requests(): Promise<number>;
  close(): Promise<unknown>;
}

export async function startPreviewStub(options: { delayMs: number }): Promise<PreviewStub> {
  const stub = await startService({
    name: 'preview-stub',
    entry: fileURLToPath(import.meta.url),
    env: { ...baseEnvironment(), NODE_ENV: 'production', PREVIEW_STUB_DELAY_MS: String(options.delayMs) },
  });
  return {
    url: stub.url,
    requests: async () => (await request(`${stub.url}/count`)).json<{ previews: number }>().previews,
    close: () => stub.stop(),
  };
}

function serveStub(delayMs: number): void {
  let previews = 0;
  const server = createServer((incoming, response) => {
    const url = new URL(incoming.url ?? '/', 'http://stub');
    const target = url.searchParams.get('url');
    if (url.pathname === '/count') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ previews }));
    } else if (url.pathname === '/preview' && target !== null) {
      previews += 1;
      setTimeout(() => {
        const body = JSON.stringify({ url: target, title: `Title of ${target}`, description: 'A fixed preview from the benchmark stub' });
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
      }, delayMs);
    } else {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"status":404,"error":"not found"}');
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` }));
  });
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serveStub(Number(process.env['PREVIEW_STUB_DELAY_MS'] ?? '100'));
