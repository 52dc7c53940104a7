/**
 * The book's curl walkthrough, end to end, against real processes on loopback: the link-preview
 * service, the Natter API (embedded database, or real PostgreSQL with NATTER_TEST_DATABASE_URL)
 * and a fixture page. link-preview rightly refuses loopback addresses, so one instance is started
 * through its test-only launcher with an explicit fixture allowance; a second, started exactly
 * as in production, shows the same link being refused while the message is still served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, request, type HttpResponse, apiEnvironment, createSecretsDirectory, ENTRIES, linkPreviewEnvironment, type SecretsDirectory, freePort, startService, type ServiceProcess, startCountingServer, type CountingServer } from '@natter/process-harness';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/database.js';

const FIXTURE_PAGE = `<!doctype html>
<html><head>
  <title>Fallback title</title>
  <meta property="og:title" content="Natter &amp; friends: loopback news">
  <meta property="og:description" content="A fixture page served on 127.0.0.1 for the walkthrough.">
  <meta property="og:image" content="/images/news-1.png">
</head><body><p>Body the previewer never needs.</p></body></html>`;

const processes: ServiceProcess[] = [];
let fixture: CountingServer;
let secrets: SecretsDirectory;
let database: TestDatabase | undefined;
/** An API whose link-preview may reach the loopback fixture (test launcher). */
let apiWithFixtureAllowance: ServiceProcess;
/** An API whose link-preview runs exactly as deployed. */
let apiWithDefaultPreviewer: ServiceProcess;

async function startLinkPreview(launcher: 'fixture-allowance' | 'production'): Promise<ServiceProcess> {
  const port = await freePort();
  const service = await startService({
    name: `link-preview (${launcher})`,
    entry: launcher === 'production' ? ENTRIES.linkPreview : ENTRIES.linkPreviewWithFixtureAllowance,
    args: launcher === 'production' ? [] : ['--allow-fixture-range', '127.0.0.0/8'],
    env: {
      ...linkPreviewEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [`127.0.0.1:${port}`] }),
      // The fixture's port must pass the port check, so that only the address check can refuse it.
      PREVIEW_ALLOWED_PORTS: String(fixture.port),
    },
  });
  processes.push(service);
  return service;
}

async function startApi(name: string, linkPreview: ServiceProcess): Promise<ServiceProcess> {
  const port = await freePort();
  const service = await startService({
    name,
    entry: ENTRIES.api,
    env: await apiEnvironment({
      port,
      bindAddress: '127.0.0.1',
      allowedHosts: [`127.0.0.1:${port}`],
      linkPreviewUrl: linkPreview.url,
      database: database?.api,
      secrets,
    }),
    startTimeoutMs: 60_000,
  });
  processes.push(service);
  return service;
}

beforeAll(async () => {
  fixture = await startCountingServer(FIXTURE_PAGE);
  secrets = await createSecretsDirectory('natter-walkthrough-');
  database = TEST_DATABASE_URL === undefined ? undefined : await createTestDatabase();
  const [withAllowance, asDeployed] = await Promise.all([startLinkPreview('fixture-allowance'), startLinkPreview('production')]);
  [apiWithFixtureAllowance, apiWithDefaultPreviewer] = await Promise.all([
    startApi('natter-api (fixture previews)', withAllowance),
    startApi('natter-api (default previews)', asDeployed),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((service) => service.stop()));
  await fixture?.close();
  await secrets?.remove();
  await database?.close();
});

/** The contract's curl commands, one by one, checking each answer on the way. */
async function walkThrough(api: string, username: string, linkUrl: string): Promise<{ read: HttpResponse; text: string }> {
  const auth = { authorization: basicAuth(username, 'password') };

  const user = await request(`${api}/users`, { json: { username, password: 'password' } });
  expect(user.status).toBe(201);
  expect(user.json()).toEqual({ username });

  const space = await request(`${api}/spaces`, { headers: auth, json: { owner: username, name: `${username} space` } });
  expect(space.status).toBe(201);
  const msgUri = space.json<Record<string, string>>()['messages-rw']!;
  expect(msgUri).toMatch(/^\/spaces\/\d+\/messages\?access_token=[\w-]+\.[\w-]+$/);

  const text = `Check out this link: ${linkUrl}`;
  const posted = await request(`${api}${msgUri}`, { headers: auth, json: { author: username, message: text } });
  expect(posted.status).toBe(201);
  const msgLink = posted.json<{ uri: string }>().uri;
  expect(msgLink).toMatch(/^\/spaces\/\d+\/messages\/\d+\?access_token=[\w-]+\.[\w-]+$/);

  return { read: await request(`${api}${msgLink}`, { headers: auth }), text };
}

describe('the book\'s curl walkthrough against real processes', () => {
  it('when a message links to a page, then reading it back shows the page\'s Open Graph preview', async () => {
    const linkUrl = `http://127.0.0.1:${fixture.port}/news/1`;
    const before = fixture.connections();

    const { read, text } = await walkThrough(apiWithFixtureAllowance.url, 'test', linkUrl);

    expect(read.status).toBe(200);
    const message = read.json<{ author: string; message: string; time: string; links: unknown[] }>();
    expect(message.author).toBe('test');
    expect(message.message).toBe(text);
    expect(new Date(message.time).toISOString()).toBe(message.time);
    expect(message.links).toEqual([
      {
        url: linkUrl,
        title: 'Natter & friends: loopback news',
        description: 'A fixture page served on 127.0.0.1 for the walkthrough.',
        image: `http://127.0.0.1:${fixture.port}/images/news-1.png`,
      },
    ]);
    expect(fixture.connections()).toBeGreaterThan(before);
  }, 30_000);

  it('when link-preview runs as deployed, then it refuses the loopback link without connecting, and the message is still served', async () => {
    const linkUrl = `http://127.0.0.1:${fixture.port}/news/2`;
    const before = fixture.connections();

    const { read, text } = await walkThrough(apiWithDefaultPreviewer.url, 'deployed', linkUrl);

    expect(read.status).toBe(200);
    expect(read.json()).toMatchObject({ author: 'deployed', message: text, links: [] });
    expect(fixture.connections()).toBe(before);
  }, 30_000);
});
