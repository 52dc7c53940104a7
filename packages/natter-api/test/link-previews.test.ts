import './support/timeouts.js';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLinkPreviewClient } from '../src/link-preview/client.js';
import { extractLinks } from '../src/link-preview/links.js';
import { createSpace, postMessage, registerUser, testClock, type SpaceUris } from './support/harness.js';
import { useAppsPerTest, useTestDatabase } from './support/lifecycle.js';
import { closedPort, startPreviewStub, type PreviewStub } from './support/preview-stub.js';

const database = useTestDatabase();
let stub: PreviewStub;
beforeEach(async () => {
  stub = await startPreviewStub();
});
afterEach(() => stub.close());
// Registered after the stub's hook, so it runs first: the apps close before the stub they call.
const startApp = useAppsPerTest(database);

async function scenario(env: Record<string, string> = {}, deps = {}) {
  const app = await startApp({ env: { LINK_PREVIEW_URL: stub.baseUrl, ...env }, deps });
  const owner = await registerUser(app);
  const space: SpaceUris = await createSpace(app, owner);
  const read = async (text: string) => {
    const posted = await postMessage(app, owner, space['messages-rw'], text);
    return { posted, response: await app.http.get(posted['read-only']).set('Authorization', owner.auth) };
  };
  return { app, owner, read };
}

describe('extractLinks', () => {
  it('when a message repeats links, then the first distinct ones in order, at most the limit', () => {
    const text = 'a http://a.example/1 b https://b.example/2 http://a.example/1 http://c.example http://d.example http://e.example http://f.example';
    expect(extractLinks(text, 5)).toEqual(['http://a.example/1', 'https://b.example/2', 'http://c.example', 'http://d.example', 'http://e.example']);
    expect(extractLinks('ftp://x.example and http:/broken', 5)).toEqual([]);
  });
});

describe('link previews on GET of a message', () => {
  it('when the service answers, then previews are appended in link order, asked with the service URL\'s Host', async () => {
    const { read } = await scenario();
    const { response } = await read('Check out http://www.example.com/news/1 and https://example.org/a?b=c&d=%20e');
    expect(response.status).toBe(200);
    expect(response.body.links.map((link: { url: string }) => link.url)).toEqual(['http://www.example.com/news/1', 'https://example.org/a?b=c&d=%20e']);
    expect(response.body.links[0]).toEqual({ url: 'http://www.example.com/news/1', title: 'Title of http://www.example.com/news/1', description: 'A description', image: null });
    expect(stub.requests.map((request) => request.url)).toEqual(['http://www.example.com/news/1', 'https://example.org/a?b=c&d=%20e']);
    expect(new Set(stub.requests.map((request) => request.host))).toEqual(new Set([new URL(stub.baseUrl).host]));
  });

  it('when a message has more than 5 distinct links, then only the first 5 are fetched, all at once', async () => {
    const { read } = await scenario({ PREVIEW_BUDGET_MS: '20000' });
    const links = Array.from({ length: 7 }, (_, index) => `http://site${index}.example/`);
    for (const link of links) stub.behave(link, { kind: 'hold' });
    // Held answers are released only once five requests overlap: a sequential client would stall here.
    void stub.whenConcurrent(5).then(() => stub.release());
    const { response } = await read(`${links.join(' ')} ${links[0]}`);
    expect(response.status).toBe(200);
    expect(response.body.links).toHaveLength(5);
    expect(stub.requests.map((request) => request.url)).toEqual(links.slice(0, 5));
    expect(stub.maxConcurrent).toBe(5);
  });

  it('when one link is slower than the budget, then the message is served with the others and the failure counted', async () => {
    const { app, read } = await scenario({ PREVIEW_BUDGET_MS: '300' });
    stub.behave('http://slow.example/', { kind: 'delay', ms: 10_000 });
    const before = app.linkPreviews.failures;
    const { response } = await read('http://slow.example/ then http://fast.example/');
    expect(response.status).toBe(200);
    expect(response.body.links.map((link: { url: string }) => link.url)).toEqual(['http://fast.example/']);
    expect(app.linkPreviews.failures).toBe(before + 1);
  });

  it('when the service errs or answers garbage, then those previews are left out and counted', async () => {
    const { app, read } = await scenario();
    stub.behave('http://500.example/', { kind: 'status', status: 500 });
    stub.behave('http://404.example/', { kind: 'status', status: 404 });
    stub.behave('http://html.example/', { kind: 'not-json' });
    stub.behave('http://huge.example/', { kind: 'huge' });
    const { response } = await read('http://500.example/ http://ok.example/ http://404.example/ http://html.example/ http://huge.example/');
    expect(response.status).toBe(200);
    expect(response.body.links.map((link: { url: string }) => link.url)).toEqual(['http://ok.example/']);
    expect(app.linkPreviews.failures).toBe(4);
  });

  it('when the service is down, then the message is still served without previews', async () => {
    const port = await closedPort();
    const app = await startApp({ env: { LINK_PREVIEW_URL: `http://127.0.0.1:${port}` } });
    const owner = await registerUser(app);
    const space = await createSpace(app, owner);
    const posted = await postMessage(app, owner, space['messages-rw'], 'see http://down.example/');
    const response = await app.http.get(posted['read-only']).set('Authorization', owner.auth);
    expect(response.status).toBe(200);
    expect(response.body.links).toEqual([]);
    expect(app.linkPreviews.failures).toBe(1);
  });

  it('when a message is read again within the TTL, then the cache answers; after it, the service is asked again', async () => {
    const { app, owner, read } = await scenario({ PREVIEW_CACHE_TTL_MS: '60000' });
    const { posted, response } = await read('http://cached.example/');
    expect(response.body.links).toHaveLength(1);
    const again = await app.http.get(posted['read-only']).set('Authorization', owner.auth);
    expect(again.body.links).toEqual(response.body.links);
    expect(stub.requests).toHaveLength(1);
    app.clock.advance(60_001);
    await app.http.get(posted['read-only']).set('Authorization', owner.auth);
    expect(stub.requests).toHaveLength(2);
  });

  it('when no LINK_PREVIEW_URL is configured, then links is empty and nothing is fetched', async () => {
    const app = await startApp();
    const owner = await registerUser(app);
    const space = await createSpace(app, owner);
    const posted = await postMessage(app, owner, space['messages-rw'], 'http://nothing.example/');
    const response = await app.http.get(posted['read-only']).set('Authorization', owner.auth);
    expect(response.body.links).toEqual([]);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('link-preview client', () => {
  it('when a preview fails, then a warning names the host only, never the path or query', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }));
    stub.behave('http://secret.example/private/path?token=abc', { kind: 'status', status: 502 });
    const client = createLinkPreviewClient({ baseUrl: new URL(stub.baseUrl), budgetMs: 2000, cacheTtlMs: 0, cacheMaxEntries: 0, logger, clock: testClock() });
    expect(await client.previewsFor('http://secret.example/private/path?token=abc')).toEqual([]);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 40, linkHost: 'secret.example', failures: 1 });
    expect(lines[0]).not.toContain('private');
    expect(lines[0]).not.toContain('token=abc');
  });

  it('when every link is cached, then the previews come back in link order without asking; when one is missing, only it is fetched', async () => {
    const client = createLinkPreviewClient({ baseUrl: new URL(stub.baseUrl), budgetMs: 2000, cacheTtlMs: 60_000, cacheMaxEntries: 10, logger: pino({ level: 'silent' }), clock: testClock() });
    const first = await client.previewsFor('http://a.example/ http://b.example/');
    expect(first).toHaveLength(2);
    expect(stub.requests).toHaveLength(2);
    expect(await client.previewsFor('see http://b.example/ and http://a.example/')).toEqual([first[1], first[0]]);
    expect(stub.requests).toHaveLength(2);
    const mixed = await client.previewsFor('http://a.example/ http://c.example/ http://b.example/');
    expect(mixed).toHaveLength(3);
    expect([mixed[0], mixed[2]]).toEqual(first);
    expect(stub.requests).toHaveLength(3);
    expect(client.failures).toBe(0);
  });

  it('when the cache is full, then the oldest entry makes room', async () => {
    const client = createLinkPreviewClient({ baseUrl: new URL(stub.baseUrl), budgetMs: 2000, cacheTtlMs: 60_000, cacheMaxEntries: 2, logger: pino({ level: 'silent' }), clock: testClock() });
    await client.previewsFor('http://1.example/ http://2.example/');
    await client.previewsFor('http://3.example/');
    await client.previewsFor('http://2.example/ http://3.example/');
    expect(stub.requests).toHaveLength(3);
    await client.previewsFor('http://1.example/');
    expect(stub.requests).toHaveLength(4);
  });
});
