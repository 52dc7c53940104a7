import { afterEach, describe, expect, it } from 'vitest';
import { html } from './support/fixture-server.js';
import { previewFailure, redirect, startHarness, type Harness } from './support/previewer-harness.js';

/** 127.0.0.1 plays the public address (the previewer may reach it), 127.0.0.2 the private one. */
const PUBLIC = '127.0.0.1';
const PRIVATE = '127.0.0.2';

describe('DNS rebinding', () => {
  let harness: Harness | undefined;
  afterEach(async () => harness?.close());

  it('when the name rebinds to a private address between two connections of one preview, then the second is refused before connecting', async () => {
    harness = await startHarness(
      (request, response) => {
        // Connection: close forces a new connection, hence a new resolution, for the next hop.
        if (request.url === '/') redirect(response, '/next', 302, { connection: 'close' });
        else html('<title>should never be served</title>')(request, response, harness!.fixture);
      },
      { answer: (name, type, count) => (type === 'A' ? [count === 0 ? PUBLIC : PRIVATE] : []) },
    );
    const error = await previewFailure(harness.previewer, `http://rebind.test:${harness.fixture.port}/`);
    expect(error.status).toBe(400);
    expect(harness.fixture.requests.map((request) => request.path)).toEqual(['/']);
    expect(harness.network.attempts.map((attempt) => attempt.address)).toEqual([PUBLIC]);
    expect(harness.dns.resolutions('rebind.test')).toBe(2);
  });

  it('when the name rebinds between two previews, then the first succeeds and the second never connects', async () => {
    harness = await startHarness(
      (request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', connection: 'close' });
        response.end('<title>public page</title>');
      },
      { answer: (name, type, count) => (type === 'A' ? [count === 0 ? PUBLIC : PRIVATE] : []) },
    );
    const url = `http://rebind.test:${harness.fixture.port}/`;
    expect((await harness.previewer.preview(url)).title).toBe('public page');
    expect((await previewFailure(harness.previewer, url)).status).toBe(400);
    expect(harness.network.attempts.map((attempt) => attempt.address)).toEqual([PUBLIC]);
  });

  it.each([
    ['a public and a private IPv4 address', [PUBLIC, PRIVATE]],
    ['a private IPv4 address listed first', [PRIVATE, PUBLIC]],
    ['a public IPv4 and a loopback IPv6 address', [PUBLIC, '::1']],
    ['a public IPv4 and an IPv4-mapped private IPv6 address', [PUBLIC, '::ffff:10.0.0.1']],
  ])('when the answer mixes %s, then the whole answer is refused and nothing is connected', async (_case, addresses) => {
    harness = await startHarness(html('<title>never</title>'), {
      answer: (name, type) => addresses.filter((address) => (type === 'A') === !address.includes(':')),
    });
    const error = await previewFailure(harness.previewer, `http://mixed.test:${harness.fixture.port}/`);
    expect(error.status).toBe(400);
    expect(harness.network.attempts).toEqual([]);
    expect(harness.fixture.connections).toBe(0);
  });

  it('when a page is previewed, then its name is resolved exactly once and the socket connects to that answer', async () => {
    harness = await startHarness(html('<title>once</title>'), {
      answer: (name, type) => (type === 'A' ? [PUBLIC] : []),
    });
    const preview = await harness.previewer.preview(`http://once.test:${harness.fixture.port}/page`);
    expect(preview).toEqual({ url: `http://once.test:${harness.fixture.port}/page`, title: 'once' });
    expect(harness.dns.resolutions('once.test')).toBe(1);
    expect(harness.network.attempts).toEqual([{ address: PUBLIC, port: harness.fixture.port }]);
    // The Host header still names the host (the URL was never rewritten to an IP, so TLS/SNI would work).
    expect(harness.fixture.requests[0]?.headers.host).toBe(`once.test:${harness.fixture.port}`);
  });

  it('when the host does not resolve, then 404', async () => {
    harness = await startHarness(html('<title>never</title>'));
    const error = await previewFailure(harness.previewer, `http://nowhere.test:${harness.fixture.port}/`);
    expect(error.status).toBe(404);
    expect(error.reason).toBe('host not found');
    expect(harness.network.attempts).toEqual([]);
  });
});
