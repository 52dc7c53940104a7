/**
 * Credentials never reach a log. Known values (a Bearer token, a Basic password, a cookie, a
 * capability's access_token — and a real session token the API issued) are planted in ordinary
 * requests that fail in every way we can provoke and in the whole malformed-HTTP table; then every
 * line both services wrote, start to shutdown, is scanned.
 */
import { basicAuth, rawRequest, request } from '@natter/process-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWithDatabase, type ApiWithDatabase } from '../src/api-with-database.js';
import { malformedRequests } from '../src/malformed-requests.js';
import { basicHeaderValue, linesRevealing, plantSecrets, revealingForms } from '../src/planted-secrets.js';
import { startLinkPreview, type LogLine, type RunningService } from '../src/services.js';

/** Longer lines are a dump (a raw packet, a body), not a log entry. */
const MAX_LOG_LINE_BYTES = 8192;
const PASSWORD = 'reliability-suite-password';

const secrets = plantSecrets();
let apiWithDatabase: ApiWithDatabase;
let linkPreview: RunningService;
/** The session token the API really issued, used in the failing requests too. */
let issuedToken: string;
let logs: readonly LogLine[];

async function send(service: RunningService, path: string, options: { method?: string; headers?: Record<string, string>; json?: unknown } = {}): Promise<number> {
  const response = await request(`http://127.0.0.1:${service.port}${path}`, { ...options, headers: { host: service.host, ...options.headers }, timeoutMs: 5000 });
  return response.status;
}

beforeAll(async () => {
  [apiWithDatabase, linkPreview] = await Promise.all([startApiWithDatabase(), startLinkPreview({ allowedPort: 9 })]);
  const api = apiWithDatabase.api;
  const username = `rel${Date.now().toString(36)}`;
  expect(await send(api, '/users', { json: { username, password: PASSWORD } })).toBe(201);
  const session = await request(`http://127.0.0.1:${api.port}/sessions`, { method: 'POST', headers: { host: api.host, authorization: basicAuth(username, PASSWORD) } });
  issuedToken = session.json<{ token: string }>().token;

  const planted = { authorization: `Bearer ${secrets.bearer}`, cookie: `session=${secrets.cookie}` };
  const withIssued = { authorization: `Bearer ${issuedToken}`, cookie: `session=${secrets.cookie}` };
  const capability = `access_token=${secrets.accessToken}`;
  // Ordinary requests that fail: bad credentials, bad capabilities, bad bodies, unknown paths, a
  // value PostgreSQL refuses. (Their statuses are the other tests' business; here only the logs count.)
  for (const sent of [
    await send(api, '/sessions', { method: 'POST', headers: { authorization: basicHeaderValue(secrets) } }),
    await send(api, '/logs', { headers: planted }),
    await send(api, `/spaces/1/messages?${capability}`, { headers: planted }),
    await send(api, `/spaces/1/messages?${capability}`, { headers: withIssued, json: { author: username, message: 'x' } }),
    await send(api, `/spaces/1/members?${capability}`, { headers: withIssued, json: { username: secrets.basicPassword } }),
    await send(api, '/share', { headers: planted, json: { uri: `/spaces/1/messages?${capability}`, user: username } }),
    await send(api, '/users', { json: { username: `-${secrets.basicUser}`, password: secrets.basicPassword } }),
    await send(api, `/nowhere?${capability}`, { headers: withIssued }),
    await send(api, `/spaces/1/messages?since=0000-01-01T00:00:00Z&${capability}`, { headers: withIssued }),
    // Every URL names a port link-preview refuses, so it is rejected before any name is resolved.
    await send(linkPreview, `/preview?url=${encodeURIComponent(`http://${secrets.basicUser}:${secrets.basicPassword}@127.0.0.1:1/`)}`, { headers: planted }),
    await send(linkPreview, `/preview?url=${encodeURIComponent(`http://127.0.0.1:1/page?${capability}`)}`, { headers: planted }),
    await send(linkPreview, `/preview?${capability}`, { headers: planted }),
    await send(linkPreview, `/preview?url=a&url=b&${capability}`, { headers: withIssued }),
  ]) {
    expect(sent).toBeGreaterThanOrEqual(400);
  }
  // The malformed table, credentials and all, against both.
  for (const [service, path] of [[api, '/spaces/1/messages'], [linkPreview, '/preview']] as const) {
    const rows = malformedRequests({ host: service.host, path, secrets }).filter((row) => row.waitsForHeadersTimeout !== true);
    for (const row of rows) await rawRequest(`http://127.0.0.1:${service.port}`, row.payload, { until: 'response', waitMs: 5000 });
  }
  // Shut down cleanly, so every line they would write has been written.
  await Promise.all([apiWithDatabase.stop(), linkPreview.stop()]);
  logs = [...api.logs, ...linkPreview.logs];
});
afterAll(async () => {
  await Promise.all([apiWithDatabase?.stop(), linkPreview?.stop()]);
});

describe('secrets never logged', () => {
  it('when credentials were planted in failing and malformed requests, then no line either service wrote contains one', () => {
    const forms = [...revealingForms(secrets), issuedToken];
    const leaks = linesRevealing(logs, forms).map(({ line, form }) => `${line.service} leaks ${form.slice(0, 16)}…: ${line.text.slice(0, 300)}`);
    console.log(`secrets in logs: ${logs.length} lines scanned (natter-api ${logs.filter((line) => line.service === 'natter-api').length}, link-preview ${logs.filter((line) => line.service === 'link-preview').length}), ${forms.length} secrets, ${leaks.length} leaks`);
    // Both wrote something worth scanning: at least start, the failures, and shutdown.
    expect(new Set(logs.map((line) => line.service))).toEqual(new Set(['natter-api', 'link-preview']));
    expect(leaks).toEqual([]);
  });

  it(`then every line is one JSON object of at most ${MAX_LOG_LINE_BYTES} bytes`, () => {
    const oversized = logs.filter((line) => Buffer.byteLength(line.text) > MAX_LOG_LINE_BYTES).map((line) => `${line.service}: ${Buffer.byteLength(line.text)} bytes: ${line.text.slice(0, 200)}`);
    expect(oversized).toEqual([]);
    const notJson = logs.filter((line) => {
      try {
        return typeof JSON.parse(line.text) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson.map((line) => `${line.service} ${line.stream}: ${line.text.slice(0, 200)}`)).toEqual([]);
  });
});
