/**
 * Generated input against the real processes over HTTP: whatever the query parameters, path ids
 * and JSON bodies, the API never answers 5xx and always answers JSON; link-preview's request
 * validation refuses every generated request with a JSON 4xx. On a failure fast-check shrinks the
 * input, so the report names a minimal failing request.
 */
import { parse as parseQuery } from 'node:querystring';
import { basicAuth, request, type HttpResponse } from '@natter/process-harness';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWithDatabase, type ApiWithDatabase } from '../src/api-with-database.js';
import { startLinkPreview, type RunningService } from '../src/services.js';

const RUNS = Number(process.env['NATTER_PROPERTY_RUNS'] ?? 120);
/** The one destination port link-preview may fetch from; generated URLs never name it (see below). */
const ALLOWED_PORT = 9;
const PASSWORD = 'reliability-suite-password';

let apiWithDatabase: ApiWithDatabase;
let linkPreview: RunningService;
let owner: { username: string; bearer: string };
let space: { id: number; uri: string; 'messages-rw': string };

async function call(service: RunningService, method: string, path: string, options: { auth?: string; json?: unknown } = {}): Promise<HttpResponse> {
  return request(`http://127.0.0.1:${service.port}${path}`, {
    method,
    headers: { host: service.host, ...(options.auth === undefined ? {} : { authorization: options.auth }) },
    ...(options.json === undefined ? {} : { json: options.json }),
    timeoutMs: 10_000,
  });
}

/** Below 500, JSON content type, a JSON body: what every answer must be. */
function expectJsonBelow500(response: HttpResponse, sent: string): void {
  expect(response.status, sent).toBeLessThan(500);
  expect(response.headers['content-type'], sent).toBe('application/json; charset=utf-8');
  expect(() => response.json(), sent).not.toThrow();
}

beforeAll(async () => {
  [apiWithDatabase, linkPreview] = await Promise.all([startApiWithDatabase(), startLinkPreview({ allowedPort: ALLOWED_PORT })]);
  const api = apiWithDatabase.api;
  const username = `prop${Date.now().toString(36)}`;
  expect((await call(api, 'POST', '/users', { json: { username, password: PASSWORD } })).status).toBe(201);
  const session = await call(api, 'POST', '/sessions', { auth: basicAuth(username, PASSWORD) });
  owner = { username, bearer: `Bearer ${session.json<{ token: string }>().token}` };
  const created = await call(api, 'POST', '/spaces', { auth: owner.bearer, json: { name: `space-${username}`, owner: username } });
  const body = created.json<{ uri: string; 'messages-rw': string }>();
  space = { ...body, id: Number(/\/spaces\/(\d+)/.exec(body.uri)![1]) };
});
afterAll(async () => {
  await Promise.all([apiWithDatabase?.stop(), linkPreview?.stop()]);
});

const accessToken = (uri: string): string => new URL(uri, 'http://x').searchParams.get('access_token')!;

/** ISO-8601-shaped instants whose parts may each be out of range (year 0, month 13, offset +99:99, …). */
const isoLikeInstant = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.option(fc.integer({ min: 0, max: 61 })),
    fc.option(fc.stringMatching(/^\d{1,9}$/)),
    fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 })).map(([sign, h, m]) => `${sign}${pad(h, 2)}:${pad(m, 2)}`)),
  )
  .map(([year, month, day, hour, minute, second, fraction, zone]) =>
    `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}${second === null ? '' : `:${pad(second, 2)}${fraction === null ? '' : `.${fraction}`}`}${zone}`,
  );
function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
/** Real instants across every year ISO-8601's four digits can spell, in UTC or with an offset. */
const fourDigitYearInstant = fc
  .tuple(fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), fc.constantFrom('Z', '+14:00', '-12:00', '+00:00'))
  .map(([date, zone]) => date.toISOString().replace('Z', zone));
/** The ends of that range, where PostgreSQL's and JavaScript's calendars part (year 0, 9999 + offsets). */
const boundaryInstant = fc.constantFrom('0000-01-01T00:00:00Z', '0000-12-31T23:59:59.999-12:00', '0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59-12:00', '1970-01-01T00:00:00Z');
const sinceValue = fc.oneof(boundaryInstant, fourDigitYearInstant, isoLikeInstant, fc.date({ noInvalidDate: true }).map((date) => date.toISOString()), fc.string({ maxLength: 40 }));

/** Numbers and digit strings around every integer limit PostgreSQL has. */
const edgeInteger = fc.oneof(
  fc.constantFrom('0', '-1', '2147483647', '2147483648', '9223372036854775807', '9223372036854775808', '99999999999999999999', '1e400', '-0', '00000000000000000001'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);
/** Strings PostgreSQL may refuse: NUL, lone surrogates, very long, and ordinary ones. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '\udfff', 'x'.repeat(2000), ''),
  edgeInteger,
);
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  fc.jsonValue({ maxDepth: 2 }),
  edgeInteger.map(Number),
  fc.array(hostileString, { maxLength: 4 }),
);

describe('the API under generated input', () => {
  it('when GET /spaces/{id}/messages gets any since (and any extra parameters), then the answer is JSON below 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sinceValue, { minLength: 1, maxLength: 2 }), fc.webQueryParameters(), async (since, extra) => {
        const query = [`access_token=${accessToken(space['messages-rw'])}`, ...since.map((value) => `since=${encodeURIComponent(value)}`), ...(extra === '' ? [] : [extra])].join('&');
        const path = `/spaces/${space.id}/messages?${query}`;
        expectJsonBelow500(await call(apiWithDatabase.api, 'GET', path, { auth: owner.bearer }), `GET ${path}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('when any ids and capability tokens are in the path, then the answer is JSON below 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'DELETE'), edgeInteger, edgeInteger, fc.oneof(fc.string({ maxLength: 60 }), fc.constant(accessToken(space['messages-rw']))), async (method, spaceId, msgId, token) => {
        const path = `/spaces/${encodeURIComponent(spaceId)}/messages/${encodeURIComponent(msgId)}?access_token=${encodeURIComponent(token)}`;
        expectJsonBelow500(await call(apiWithDatabase.api, method, path, { auth: owner.bearer }), `${method} ${path}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('when any JSON object is POSTed to any route, authenticated, then the answer is JSON below 500', async () => {
    const routes = () => [
      { path: '/users', fields: ['username', 'password'] },
      { path: '/spaces', fields: ['name', 'owner'] },
      { path: space['messages-rw'], fields: ['author', 'message'] },
      { path: `/spaces/${space.id}/members?access_token=${accessToken(space.uri)}`, fields: ['username', 'roles'] },
      { path: '/share', fields: ['uri', 'user', 'perms'] },
      { path: `/sessions?scope=${encodeURIComponent('create_space post_message')}`, fields: [] },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(5),
        fc.dictionary(fc.constantFrom('username', 'password', 'name', 'owner', 'author', 'message', 'roles', 'uri', 'user', 'perms', '__proto__'), fieldValue, { maxKeys: 4 }),
        fc.boolean(),
        async (routeIndex, generated, ownFields) => {
          const route = routes()[routeIndex]!;
          // Half the bodies keep the route's own fields valid but one, so validation reaches SQL.
          const valid: Record<string, unknown> = { username: owner.username, name: `s${Date.now()}`, owner: owner.username, author: owner.username, message: 'hello', user: owner.username, uri: space['messages-rw'] };
          const body = ownFields ? { ...Object.fromEntries(route.fields.map((field) => [field, valid[field]])), ...generated } : generated;
          const sent = `POST ${route.path} ${JSON.stringify(body)}`;
          expectJsonBelow500(await call(apiWithDatabase.api, 'POST', route.path, { auth: owner.bearer, json: body }), sent);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('when POST /sessions gets any scope, then the answer is JSON below 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constantFrom('create_space', 'full_access', 'post_message', ''), fc.string({ maxLength: 20 })), { maxLength: 4 }), async (scopes) => {
        const path = `/sessions?scope=${encodeURIComponent(scopes.join(' '))}`;
        expectJsonBelow500(await call(apiWithDatabase.api, 'POST', path, { auth: owner.bearer }), `POST ${path}`);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});

/**
 * True when link-preview could fetch `value`: it parses and names the one allowed port. Such
 * values are never sent, so the service refuses every request before resolving a name or opening
 * a socket — the suite stays on loopback.
 */
function couldFetch(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  const port = url.port === '' ? ({ 'http:': 80, 'https:': 443 } as Record<string, number>)[url.protocol] : Number(url.port);
  return port === ALLOWED_PORT;
}

describe('link-preview under generated input', () => {
  it('when GET /preview gets any query, then it is refused with a JSON 4xx and the contract headers, never fetched', async () => {
    const urlValue = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom('http://[::1]:1/', 'http://0x7f.1/', 'javascript:alert(1)', 'http://user:pw@example.com/', 'http://:pw@example.com/', 'file:///etc/passwd', 'http://%00/', `http://${'a'.repeat(3000)}.example/`, ' ', 'http://example.com:0/'),
    );
    const parameter = fc.tuple(fc.oneof(fc.constantFrom('url', 'URL', 'url[]', 'access_token'), fc.string({ maxLength: 10 })), urlValue);
    await fc.assert(
      fc.asyncProperty(fc.array(parameter, { maxLength: 3 }), async (parameters) => {
        const query = parameters.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
        // Decoded as Koa decodes it, so the precondition sees exactly what the service will.
        const decoded = Object.values(parseQuery(query)).flat().filter((value): value is string => typeof value === 'string');
        fc.pre(!decoded.some(couldFetch));
        const path = `/preview?${query}`;
        const response = await call(linkPreview, 'GET', path);
        expect(response.status, `GET ${path}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `GET ${path}`).toBeLessThan(500);
        expect(response.headers['content-type'], `GET ${path}`).toBe('application/json; charset=utf-8');
        expect(response.headers['x-content-type-options'], `GET ${path}`).toBe('nosniff');
        expect(response.json<{ error?: unknown }>().error, `GET ${path}`).toEqual(expect.any(String));
      }),
      { numRuns: RUNS },
    );
  });
});
