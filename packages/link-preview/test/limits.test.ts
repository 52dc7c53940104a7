import type { ServerResponse } from 'node:http';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { html } from './support/fixture-server.js';
import { previewFailure, startHarness, type Harness } from './support/previewer-harness.js';

const MiB = 1024 * 1024;
const HEAD = '<!doctype html><html><head><title>Limits</title><meta property="og:description" content="ok"></head>';

/** Streams `total` bytes of filler after `prefix`, honouring back-pressure; reports what it wrote. */
function streamBody(response: ServerResponse, prefix: string, total: number): { written: () => number } {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let written = 0;
  response.writeHead(200, { 'content-type': 'text/html' });
  response.write(prefix);
  const pump = (): void => {
    while (written < total && !response.destroyed) {
      written += chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end();
  };
  pump();
  return { written: () => written };
}

describe('limits', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  describe('size', () => {
    it('when a 50 MB body never ends its head, then 502 at the cap and the transfer is cut off', async () => {
      let progress: { written: () => number } | undefined;
      harness = await startHarness((_request, response) => {
        progress = streamBody(response, '<html><head><title>big', 50 * MiB);
      });
      const error = await previewFailure(harness.previewer, `${harness.fixture.origin}/`);
      expect(error).toMatchObject({ status: 502, reason: 'upstream response too large' });
      await vi.waitFor(() => expect(harness!.fixture.closedConnections).toBe(1));
      // Kernel socket buffers hold a few MB; the point is that the 50 MB were never transferred.
      expect(progress!.written()).toBeLessThan(16 * MiB);
    });

    it('when a 50 MB body has a small head, then the preview is made and the rest is never transferred', async () => {
      let progress: { written: () => number } | undefined;
      harness = await startHarness((_request, response) => {
        progress = streamBody(response, HEAD, 50 * MiB);
      });
      expect(await harness.previewer.preview(`${harness.fixture.origin}/`)).toMatchObject({ title: 'Limits', description: 'ok' });
      await vi.waitFor(() => expect(harness!.fixture.closedConnections).toBe(1));
      expect(progress!.written()).toBeLessThan(16 * MiB);
    });

    it('when the head is larger than maxBytes, then 502', async () => {
      const bigHead = `<html><head><title>t</title><meta name="x" content="${'y'.repeat(4000)}"></head>`;
      harness = await startHarness(html(bigHead), { previewer: { maxBytes: 2048 } });
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({ status: 502 });
    });

    it('when the head fits in maxBytes but the page does not, then the preview is made', async () => {
      harness = await startHarness(html(`${HEAD}<body>${'z'.repeat(10_000)}</body>`), { previewer: { maxBytes: 2048 } });
      expect((await harness.previewer.preview(`${harness.fixture.origin}/`)).title).toBe('Limits');
    });
  });

  describe('compression', () => {
    const bombPayload = Buffer.alloc(64 * MiB, ' ');
    const bombs = {
      gzip: gzipSync(Buffer.concat([Buffer.from('<html><head>'), bombPayload])),
      br: brotliCompressSync(Buffer.concat([Buffer.from('<html><head>'), bombPayload])),
    };

    it.each(Object.keys(bombs) as Array<keyof typeof bombs>)(
      'when a %s bomb (64 MiB decoded) arrives, then 502 once the DECODED bytes pass the cap',
      async (encoding) => {
        const body = bombs[encoding];
        expect(body.length).toBeLessThan(512 * 1024);
        harness = await startHarness((_request, response) => {
          response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': encoding });
          response.end(body);
        });
        const heapBefore = process.memoryUsage().heapUsed;
        expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({
          status: 502,
          reason: 'upstream response too large',
        });
        expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * MiB);
      },
    );

    const page = Buffer.from(`${HEAD}<body>${'<p>text</p>'.repeat(5000)}</body></html>`);
    it.each([
      ['gzip', gzipSync(page)],
      ['x-gzip', gzipSync(page)],
      ['GZIP', gzipSync(page)],
      ['br', brotliCompressSync(page)],
      ['deflate', deflateSync(page)],
      ['deflate', deflateRawSync(page)],
    ])('when the page is %s-encoded, then it is decoded', async (encoding, body) => {
      harness = await startHarness((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': encoding });
        response.end(body);
      });
      expect(await harness.previewer.preview(`${harness.fixture.origin}/`)).toMatchObject({ title: 'Limits', description: 'ok' });
    });

    it.each([
      ['gzip', gzipSync(page)],
      ['deflate', deflateSync(page)],
      ['br', brotliCompressSync(page)],
    ])('when a %s page arrives in several pieces, then one decoder decodes them all', async (encoding, body) => {
      const pieces = [body.subarray(0, 7), body.subarray(7, 40), body.subarray(40)];
      harness = await startHarness((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': encoding });
        // A pause between writes makes each piece its own socket read.
        const next = (): void => {
          const piece = pieces.shift();
          if (piece === undefined) return void response.end();
          response.write(piece);
          setTimeout(next, 30);
        };
        next();
      });
      expect(await harness.previewer.preview(`${harness.fixture.origin}/`)).toMatchObject({ title: 'Limits', description: 'ok' });
    });

    it('when the compressed stream is corrupt, then 502', async () => {
      harness = await startHarness((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        response.end(Buffer.from('definitely not gzip data'));
      });
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({
        status: 502,
        reason: 'invalid compressed response',
      });
    });

    it('when the encoding is unknown, then 502', async () => {
      harness = await startHarness((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'zstd' });
        response.end('whatever');
      });
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({
        status: 502,
        reason: 'unsupported content encoding',
      });
    });
  });

  describe('time', () => {
    it('when the body drips one byte at a time, then 504 within the budget and the connection is closed', async () => {
      let drip: NodeJS.Timeout | undefined;
      harness = await startHarness(
        (request, response) => {
          if (request.url === '/fast') return html(HEAD)(request, response, harness!.fixture);
          response.writeHead(200, { 'content-type': 'text/html' });
          response.write('<html><head><title>');
          drip = setInterval(() => response.write('.'), 20);
          response.once('close', () => clearInterval(drip));
        },
        { previewer: { timeoutMs: 300 } },
      );
      const started = performance.now();
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/drip`)).toMatchObject({
        status: 504,
        reason: 'upstream timed out',
      });
      expect(performance.now() - started).toBeLessThan(2500);
      await vi.waitFor(() => expect(harness!.fixture.closedConnections).toBeGreaterThanOrEqual(1));
      // Nothing is left hanging: the same previewer serves the next page normally.
      expect((await harness.previewer.preview(`${harness.fixture.origin}/fast`)).title).toBe('Limits');
      clearInterval(drip);
    });

    it.each([
      ['closes the connection', 'upstream connection failed', (response: ServerResponse) => response.socket?.destroy()],
      ['breaks its chunked encoding', 'upstream connection failed', (response: ServerResponse) => response.socket?.write('zz\r\nnot a chunk\r\n')],
    ])('when the upstream %s mid-head, then 502 at once, long before the budget ends', async (_case, reason, breakOff) => {
      harness = await startHarness(
        (_request, response) => {
          response.writeHead(200, { 'content-type': 'text/html' });
          response.write('<html><head><title>cut');
          setTimeout(() => breakOff(response), 50);
        },
        { previewer: { timeoutMs: 10_000 } },
      );
      const started = performance.now();
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({ status: 502, reason });
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it('when the server never answers, then 504', async () => {
      harness = await startHarness(() => undefined, { previewer: { timeoutMs: 200 } });
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({ status: 504 });
    });

    it('when the name never resolves, then 504 within the budget and nothing is connected', async () => {
      harness = await startHarness(() => undefined, { previewer: { timeoutMs: 200, lookup: () => new Promise(() => undefined) } });
      const started = performance.now();
      expect(await previewFailure(harness.previewer, `http://never-answers.test:${harness.fixture.port}/`)).toMatchObject({
        status: 504,
        reason: 'upstream timed out',
      });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(harness.network.attempts).toEqual([]);
    });
  });

  describe('connection reuse', () => {
    it('when the previewer is closed, then its kept-alive connections are closed too', async () => {
      harness = await startHarness(html(`${HEAD}<body>short</body>`));
      await harness.previewer.preview(`${harness.fixture.origin}/`);
      expect(harness.fixture.closedConnections).toBe(0);
      harness.previewer.close();
      await vi.waitFor(() => expect(harness!.fixture.closedConnections).toBe(1));
    });

    it('when a small page is previewed twice, then the kept-alive connection is reused', async () => {
      harness = await startHarness(html(`${HEAD}<body>${'<p>short</p>'.repeat(100)}</body>`));
      await harness.previewer.preview(`${harness.fixture.origin}/a`);
      await harness.previewer.preview(`${harness.fixture.origin}/b`);
      expect(harness.fixture.connections).toBe(1);
    });

    it('when the page is larger than one socket read, then the rest is not read and the connection is dropped', async () => {
      harness = await startHarness(html(`${HEAD}<body>${'x'.repeat(512 * 1024)}</body>`));
      await harness.previewer.preview(`${harness.fixture.origin}/a`);
      await harness.previewer.preview(`${harness.fixture.origin}/b`);
      expect(harness.fixture.connections).toBe(2);
    });

    it('when a small remainder stalls after the head, then the socket is given up instead of kept busy', async () => {
      harness = await startHarness((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', 'content-length': 10_000 });
        response.write(HEAD);
      });
      expect((await harness.previewer.preview(`${harness.fixture.origin}/`)).title).toBe('Limits');
      await vi.waitFor(() => expect(harness!.fixture.closedConnections).toBe(1), { timeout: 3000 });
    });
  });

  describe('content', () => {
    it.each([
      ['application/json', '{"title":"no"}'],
      ['image/png', 'PNG'],
      ['text/plain', '<title>plain</title>'],
      ['text/htmlx', '<title>lookalike</title>'],
    ])('when the content type is %s, then 502 not HTML', async (contentType, body) => {
      harness = await startHarness(html(body, contentType));
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({
        status: 502,
        reason: 'upstream response is not HTML',
      });
    });

    it('when there is no content type, then 502 not HTML', async () => {
      harness = await startHarness((_request, response) => {
        response.removeHeader('content-type');
        response.end('<title>untyped</title>');
      });
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({ status: 502 });
    });

    it.each(['application/xhtml+xml', 'TEXT/HTML; charset=utf-8'])('when the content type is %s, then it is accepted', async (contentType) => {
      harness = await startHarness(html('<html><head><title>xhtml</title></head></html>', contentType));
      expect((await harness.previewer.preview(`${harness.fixture.origin}/`)).title).toBe('xhtml');
    });

    it.each([404, 500, 503])('when the upstream answers %i, then 502', async (status) => {
      harness = await startHarness((_request, response) => {
        response.writeHead(status, { 'content-type': 'text/html' });
        response.end('<title>error page</title>');
      });
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({
        status: 502,
        reason: `upstream responded with HTTP ${status}`,
      });
    });

    it('when a head script contains "</head>", then the tags after it are still read', async () => {
      harness = await startHarness(
        html('<head><script>document.write("</head><body>")</script><meta property="og:title" content="after the script"></head><body>'),
      );
      expect((await harness.previewer.preview(`${harness.fixture.origin}/`)).title).toBe('after the script');
    });

    it('when the response headers exceed 16 KiB, then 502', async () => {
      harness = await startHarness((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', 'x-padding': 'p'.repeat(20 * 1024) });
        response.end(HEAD);
      });
      expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({ status: 502 });
    });

    it('when the upstream resets the connection, then 502 without internal details', async () => {
      harness = await startHarness((request) => request.socket.destroy());
      const error = await previewFailure(harness.previewer, `${harness.fixture.origin}/`);
      expect(error).toMatchObject({ status: 502, reason: 'upstream connection failed' });
    });
  });
});
