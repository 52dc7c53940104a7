/**
 * A stand-in for the link-preview service with a fixed delay, so the benchmark measures how the
 * API fans out and caches previews, not how fast some page on the internet is. Loopback only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PreviewStub {
  /** Base URL to give the API as LINK_PREVIEW_URL. */
  readonly url: string;
  /** How many previews were asked for so far (a warm cache asks for none). */
  requests(): number;
  close(): Promise<void>;
}

export async function startPreviewStub(options: { delayMs: number }): Promise<PreviewStub> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    const target = new URL(request.url ?? '/', 'http://stub').searchParams.get('url');
    if (!request.url?.startsWith('/preview?') || target === null) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"status":404,"error":"not found"}');
      return;
    }
    requests += 1;
    setTimeout(() => {
      const body = JSON.stringify({ url: target, title: `Title of ${target}`, description: 'A fixed preview from the benchmark stub' });
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
    }, options.delayMs);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
