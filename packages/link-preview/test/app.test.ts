import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app.js';
import { createLinkPreviewer, PreviewError, type LinkPreview, type LinkPreviewer } from '../src/preview/index.js';
import { captureLogger } from './support/capture-logger.js';
import { html, startFixture, type FixtureServer } from './support/fixture-server.js';

const HOST = 'natter-link-preview-service:4567';
const config = { allowedHosts: [HOST, 'localhost:4567'], maxConcurrency: 4 };

/** A previewer double that records calls, for asserting what did NOT reach the previewer. */
function recordingPreviewer(result: () => Promise<LinkPreview> = async () => ({ url: 'http://x/', title: 'x' })) {
  return { preview: vi.fn((_url: string) => result()), close: vi.fn() } satisfies LinkPreviewer;
}

describe('createApp', () => {
  let fixture: FixtureServer | undefined;
  let realPreviewer: LinkPreviewer | undefined;
  afterEach(async () => {
    realPreviewer?.close();
    await fixture?.close();
    fixture = realPreviewer = undefined;
  });

  describe('Host allowlist', () => {
    it.each(['evil.example', 'natter-link-preview-service:4568', '127.0.0.1:4567', ''])(
      'when the Host is "%s", then 400 before the previewer is called',
      async (host) => {
        const previewer = recordingPreviewer();
        const response = await request(createApp(config, { previewer, logger: captureLogger().logger }).callback())
          .get('/preview?url=http%3A%2F%2Fexample.com%2F')
          .set('Host', host);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ status: 400, error: 'invalid Host header' });
        // The contract's headers are on every response, this refusal included.
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(previewer.preview).not.toHaveBeenCalled();
      },
    );

    it('when /health is asked with a foreign Host, then 400 too', async () => {
      const app = createApp(config, { previewer: recordingPreviewer(), logger: captureLogger().logger });
      expect((await request(app.callback()).get('/health').set('Host', 'evil.example')).status).toBe(400);
    });

    it('when the Host differs only in case, then it is accepted', async () => {
      const app = createApp(config, { previewer: recordingPreviewer(), logger: captureLogger().logger });
      expect((await request(app.callback()).get('/health').set('Host', HOST.toUpperCase())).status).toBe(200);
    });
  });

  it('when /health is asked with an allowed Host, then 200 {"status":"ok"}', async () => {
    const app = createApp(config, { previewer: recordingPreviewer(), logger: captureLogger().logger });
    const response = await request(app.callback()).get('/health').set('Host', HOST);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('when a page is previewed, then 200 with the preview as UTF-8 JSON and a log line without the query', async () => {
    fixture = await startFixture(html('<head><title>Fixture</title><meta property="og:image" content="/i.png"></head>'));
    realPreviewer = createLinkPreviewer({ allowedFixtureRanges: ['127.0.0.1/32'], allowedPorts: [fixture.port] });
    const { logger, lines } = captureLogger();
    const target = `${fixture.origin}/page?token=abc`;
    const response = await request(createApp(config, { previewer: realPreviewer, logger }).callback())
      .get('/preview')
      .query({ url: target })
      .set('Host', HOST);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({ url: target, title: 'Fixture', image: `${fixture.origin}/i.png` });
    expect(lines()).toContainEqual(expect.objectContaining({ event: 'preview', host: `127.0.0.1:${fixture.port}`, status: 200 }));
    expect(JSON.stringify(lines())).not.toContain('token=abc');
  });

  it.each([
    ['/preview', 'missing or repeated url parameter'],
    ['/preview?url=', 'missing or repeated url parameter'],
    ['/preview?url=http://a.example/&url=http://b.example/', 'missing or repeated url parameter'],
    ['/preview?url=not%20a%20url', 'invalid URL'],
    ['/preview?url=ftp://example.com/', 'only http and https URLs are allowed'],
    ['/preview?url=http://user:pw@example.com/', 'URLs with credentials are not allowed'],
    ['/preview?url=http://example.com:8080/', 'port not allowed'],
    ['/preview?url=http://example.com:0/', 'port not allowed'],
    ['/preview?url=http://169.254.169.254/latest/meta-data/', 'destination not allowed'],
  ])('when asked for %s, then 400 with a short reason', async (path, reason) => {
    realPreviewer = createLinkPreviewer();
    const response = await request(createApp(config, { previewer: realPreviewer, logger: captureLogger().logger }).callback())
      .get(path)
      .set('Host', HOST);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ status: 400, error: reason });
  });

  it.each(['user:pw@', 'user@', ':pw@'])(
    'when the URL carries credentials (%s) for a reachable fixture, then 400 and the fixture is never connected',
    async (userinfo) => {
      fixture = await startFixture(html('<title>must not be fetched</title>'));
      realPreviewer = createLinkPreviewer({ allowedFixtureRanges: ['127.0.0.1/32'], allowedPorts: [fixture.port] });
      const response = await request(createApp(config, { previewer: realPreviewer, logger: captureLogger().logger }).callback())
        .get('/preview')
        .query({ url: `http://${userinfo}127.0.0.1:${fixture.port}/` })
        .set('Host', HOST);
      expect(response.body).toEqual({ status: 400, error: 'URLs with credentials are not allowed' });
      expect(fixture.connections).toBe(0);
    },
  );

  it('when a request carries seam-looking parameters or headers, then they change nothing', async () => {
    fixture = await startFixture(html('<title>must not be reachable</title>'));
    realPreviewer = createLinkPreviewer({ allowedPorts: [fixture.port] });
    const response = await request(createApp(config, { previewer: realPreviewer, logger: captureLogger().logger }).callback())
      .get('/preview')
      .query({ url: `${fixture.origin}/`, allowedFixtureRanges: '127.0.0.0/8', allowFixtureRange: '127.0.0.0/8', lookup: 'x' })
      .set('Host', HOST)
      .set('X-Allow-Fixture-Range', '127.0.0.0/8');
    expect(response.body).toEqual({ status: 400, error: 'destination not allowed' });
    expect(fixture.connections).toBe(0);
  });

  it.each([
    [new PreviewError(404, 'host not found'), 404],
    [new PreviewError(502, 'upstream response is not HTML'), 502],
    [new PreviewError(504, 'upstream timed out'), 504],
  ])('when the previewer fails with %s, then that status and reason are returned', async (error, status) => {
    const previewer = recordingPreviewer(() => Promise.reject(error));
    const response = await request(createApp(config, { previewer, logger: captureLogger().logger }).callback())
      .get('/preview?url=http://example.com/')
      .set('Host', HOST);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ status, error: error.reason });
  });

  it('when something unexpected breaks, then 500 with a generic message and the details only in the log', async () => {
    const previewer = recordingPreviewer(() => Promise.reject(new Error('socket to 10.1.2.3 exploded')));
    const { logger, lines } = captureLogger();
    const response = await request(createApp(config, { previewer, logger }).callback()).get('/preview?url=http://example.com/').set('Host', HOST);
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ status: 500, error: 'internal error' });
    expect(response.text).not.toContain('10.1.2.3');
    expect(JSON.stringify(lines())).toContain('10.1.2.3');
  });

  it('when the path or method is unknown, then JSON 404 / 405', async () => {
    const app = createApp(config, { previewer: recordingPreviewer(), logger: captureLogger().logger });
    const missing = await request(app.callback()).get('/nope').set('Host', HOST);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ status: 404, error: 'not found' });
    const wrongMethod = await request(app.callback()).post('/preview').set('Host', HOST);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).toMatchObject({ status: 405 });
  });

  it('when maxConcurrency previews are in progress, then the next request gets 503 at once, and capacity returns afterwards', async () => {
    const pending: Array<(preview: LinkPreview) => void> = [];
    const previewer = recordingPreviewer(() => new Promise((resolve) => pending.push(resolve)));
    const server = createApp({ ...config, maxConcurrency: 2 }, { previewer, logger: captureLogger().logger }).listen(0, '127.0.0.1');
    try {
      const agent = request(server);
      const first = agent.get('/preview?url=http://a.example/').set('Host', HOST).then((r) => r);
      const second = agent.get('/preview?url=http://b.example/').set('Host', HOST).then((r) => r);
      await vi.waitFor(() => expect(pending).toHaveLength(2));
      const started = performance.now();
      const refused = await agent.get('/preview?url=http://c.example/').set('Host', HOST);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ status: 503, error: 'too many previews in progress' });
      expect(refused.headers['retry-after']).toBe('1');
      expect(previewer.preview).toHaveBeenCalledTimes(2);
      expect((await agent.get('/health').set('Host', HOST)).status).toBe(200);

      for (const resolve of pending) resolve({ url: 'http://a.example/', title: 'done' });
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      pending.length = 0;
      const afterwards = agent.get('/preview?url=http://d.example/').set('Host', HOST).then((r) => r);
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      pending[0]!({ url: 'http://d.example/', title: 'd' });
      expect((await afterwards).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
