import { afterEach, describe, expect, it } from 'vitest';
import { html, startFixture, type FixtureServer } from './support/fixture-server.js';
import { previewFailure, redirect, startHarness, type Harness } from './support/previewer-harness.js';

const PAGE = '<title>landing</title>';

describe('redirects', () => {
  let harness: Harness | undefined;
  let other: FixtureServer | undefined;
  afterEach(async () => {
    await harness?.close();
    await other?.close();
    harness = other = undefined;
  });

  /** A fixture whose `/go` redirects to `location`; every other path serves PAGE. */
  async function redirectingTo(location: (origin: string) => string | undefined, status = 302): Promise<Harness> {
    return startHarness(
      (request, response, fixture) => {
        if (request.url === '/go') redirect(response, location(fixture.origin), status);
        else html(PAGE)(request, response, fixture);
      },
      {
        answer: (name, type) => (name === 'private.test' && type === 'A' ? ['127.0.0.2'] : undefined),
        // Port 80 is allowed too, so redirects to addresses on the default port fail for their address.
        extraPorts: [80],
      },
    );
  }

  it.each([301, 302, 303, 307, 308])('when the status is %i with a Location, then the target is previewed', async (status) => {
    harness = await redirectingTo((origin) => `${origin}/landing`, status);
    const preview = await harness.previewer.preview(`${harness.fixture.origin}/go`);
    expect(preview).toEqual({ url: `${harness.fixture.origin}/landing`, title: 'landing' });
  });

  it('when the Location is relative, then it is resolved against the current URL', async () => {
    harness = await startHarness((request, response, fixture) => {
      if (request.url === '/a/b/c') redirect(response, '../d?x=1#frag');
      else html(PAGE)(request, response, fixture);
    });
    const preview = await harness.previewer.preview(`${harness.fixture.origin}/a/b/c`);
    expect(preview.url).toBe(`${harness.fixture.origin}/a/d?x=1`);
    expect(harness.fixture.requests.map((request) => request.path)).toEqual(['/a/b/c', '/a/d?x=1']);
  });

  it.each([
    ['a private IPv4 literal', () => 'http://10.0.0.1/'],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a loopback address outside the fixture allowance', (origin: string) => origin.replace('127.0.0.1', '127.0.0.2')],
    ['an IPv6 loopback literal', (origin: string) => origin.replace('127.0.0.1', '[::1]')],
    ['a name resolving to a private address', (origin: string) => origin.replace('127.0.0.1', 'private.test')],
  ])('when it points to %s, then 400 and nothing is connected after the first hop', async (_case, location) => {
    harness = await redirectingTo(location);
    const error = await previewFailure(harness.previewer, `${harness.fixture.origin}/go`);
    expect(error).toMatchObject({ status: 400, reason: 'destination not allowed' });
    expect(harness.network.attempts).toEqual([{ address: '127.0.0.1', port: harness.fixture.port }]);
  });

  it.each([
    ['file:///etc/passwd', 'only http and https URLs are allowed'],
    ['gopher://127.0.0.1:70/_GET', 'only http and https URLs are allowed'],
    ['javascript:alert(1)', 'only http and https URLs are allowed'],
  ])('when it points to %s, then 400', async (location, reason) => {
    harness = await redirectingTo(() => location);
    expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/go`)).toMatchObject({ status: 400, reason });
  });

  it.each(['admin:secret@', 'admin@', ':secret@'])('when the Location carries credentials (%s), then 400 and the target is never requested', async (userinfo) => {
    harness = await redirectingTo((origin) => origin.replace('http://', `http://${userinfo}`) + '/secret');
    const error = await previewFailure(harness.previewer, `${harness.fixture.origin}/go`);
    expect(error).toMatchObject({ status: 400, reason: 'URLs with credentials are not allowed' });
    expect(harness.fixture.requests.map((request) => request.path)).toEqual(['/go']);
  });

  it('when a hop sets a cookie, then the next hop receives no cookie and no credentials', async () => {
    harness = await startHarness((request, response, fixture) => {
      if (request.url === '/login') redirect(response, '/home', 302, { 'set-cookie': 'session=s3cr3t; Path=/', 'www-authenticate': 'Basic' });
      else html(PAGE)(request, response, fixture);
    });
    await harness.previewer.preview(`${harness.fixture.origin}/login`);
    const home = harness.fixture.requests.find((request) => request.path === '/home');
    expect(home).toBeDefined();
    expect(home?.headers.cookie).toBeUndefined();
    expect(home?.headers.authorization).toBeUndefined();
    expect(home?.headers['proxy-authorization']).toBeUndefined();
  });

  it('when the Location uses a port that is not allowed, then 400 and that port is never connected', async () => {
    other = await startFixture(html(PAGE));
    const otherPort = other.port;
    harness = await redirectingTo(() => `http://127.0.0.1:${otherPort}/`);
    const error = await previewFailure(harness.previewer, `${harness.fixture.origin}/go`);
    expect(error).toMatchObject({ status: 400, reason: 'port not allowed' });
    expect(other.connections).toBe(0);
  });

  it('when a 3xx has no Location, then 502', async () => {
    harness = await redirectingTo(() => undefined);
    expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/go`)).toMatchObject({
      status: 502,
      reason: 'redirect without Location',
    });
  });

  it('when a 3xx has an empty Location, then 502 without following it', async () => {
    harness = await redirectingTo(() => '');
    expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/go`)).toMatchObject({
      status: 502,
      reason: 'redirect without Location',
    });
    expect(harness.fixture.requests).toHaveLength(1);
  });

  it('when the Location is not a URL, then 502 without following it', async () => {
    harness = await redirectingTo(() => 'http://[::1');
    expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/go`)).toMatchObject({
      status: 502,
      reason: 'invalid redirect Location',
    });
    expect(harness.fixture.requests).toHaveLength(1);
  });

  it('when the URL is exactly 4096 characters long, then it is previewed', async () => {
    harness = await redirectingTo(() => '/landing');
    const prefix = `${harness.fixture.origin}/`;
    const url = `${prefix}${'a'.repeat(4096 - prefix.length)}`;
    expect(url).toHaveLength(4096);
    expect((await harness.previewer.preview(url)).title).toBe('landing');
  });

  it('when the URL is longer than 4096 characters, then 400 before anything is resolved or connected', async () => {
    harness = await redirectingTo(() => '/landing');
    const error = await previewFailure(harness.previewer, `${harness.fixture.origin}/${'a'.repeat(4100)}`);
    expect(error).toMatchObject({ status: 400, reason: 'URL too long' });
    expect(harness.fixture.connections).toBe(0);
  });

  it('when redirects loop, then 502 after the initial request and 10 redirects', async () => {
    harness = await startHarness((_request, response) => redirect(response, '/loop'));
    expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/loop`)).toMatchObject({
      status: 502,
      reason: 'too many redirects',
    });
    expect(harness.fixture.requests).toHaveLength(11);
  });

  /** `/hops/n` redirects to `/hops/n-1`; `/hops/0` is the page. */
  const chain = (): Promise<Harness> =>
    startHarness((request, response, fixture) => {
      const remaining = Number(request.url?.split('/')[2]);
      if (remaining > 0) redirect(response, `/hops/${remaining - 1}`);
      else html(PAGE)(request, response, fixture);
    });

  it('when there are exactly 10 redirects, then the page is previewed', async () => {
    harness = await chain();
    expect((await harness.previewer.preview(`${harness.fixture.origin}/hops/10`)).url).toBe(`${harness.fixture.origin}/hops/0`);
  });

  it('when a 10-hop chain is followed, then the process emits no warning and the hops share kept-alive connections', async () => {
    harness = await chain();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      expect((await harness.previewer.preview(`${harness.fixture.origin}/hops/10`)).url).toBe(`${harness.fixture.origin}/hops/0`);
      // Node emits warnings on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).toEqual([]);
    // Each hop's response is read to its end, so its socket returns to the pool instead of staying
    // open (one connection per hop); the next hop may start before the previous socket is back.
    expect(harness.fixture.connections).toBeLessThanOrEqual(2);

  });

  it('when there are 11 redirects, then 502 and the 11th is not followed', async () => {
    harness = await chain();
    expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/hops/11`)).toMatchObject({ status: 502 });
    expect(harness.fixture.requests.map((request) => request.path)).not.toContain('/hops/0');
  });

  it('when maxRedirects is 0, then the first redirect already fails', async () => {
    harness = await startHarness((_request, response) => redirect(response, '/elsewhere'), { previewer: { maxRedirects: 0 } });
    expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/`)).toMatchObject({ status: 502, reason: 'too many redirects' });
    expect(harness.fixture.requests).toHaveLength(1);
  });

  it('when a page asks for a refresh (header or meta), then it is previewed itself and the refresh is not followed', async () => {
    harness = await startHarness((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html', refresh: '0; url=/other' });
      response.end('<head><meta http-equiv="refresh" content="0; url=/other"><title>stays</title></head>');
    });
    expect((await harness.previewer.preview(`${harness.fixture.origin}/`)).title).toBe('stays');
    expect(harness.fixture.requests.map((request) => request.path)).toEqual(['/']);
  });

  it('when each hop is slow, then one budget covers the whole chain and ends it with 504', async () => {
    harness = await startHarness(
      (request, response) => {
        setTimeout(() => redirect(response, `${request.url}x`), 150);
      },
      { previewer: { timeoutMs: 400 } },
    );
    const started = performance.now();
    expect(await previewFailure(harness.previewer, `${harness.fixture.origin}/x`)).toMatchObject({ status: 504 });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(harness.fixture.requests.length).toBeLessThanOrEqual(3);
  });
});
