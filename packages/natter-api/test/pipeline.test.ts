import './support/timeouts.js';
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scryptPasswordHashing } from '../src/security/password-hashing.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { expectSecurityHeaders, HOST, OTHER_ALLOWED_HOST, PASSWORD, registerUser, startApp, uniqueName, type TestApp } from './support/harness.js';

let database: TestDatabase;
const apps: TestApp[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(env: Record<string, string> = {}, deps = {}): Promise<TestApp> {
  const app = await startApp(database.db, { env, deps });
  apps.push(app);
  return app;
}

async function auditRowsFor(path: string): Promise<{ audit_id: number; status: number | null; method: string }[]> {
  await Promise.all(apps.map((app) => app.settled()));
  return database.owner.query('SELECT audit_id, status, method FROM audit_log WHERE path = $1 ORDER BY audit_id, status NULLS FIRST', [path]);
}

describe('security headers', () => {
  it('when responding with success, client errors, 404, 405 and 500, then every response carries them and JSON', async () => {
    const failingHashing = { ...scryptPasswordHashing({ N: 1024, r: 8, p: 1 }), hash: async () => { throw new Error('relation "users" at SELECT pw_hash FROM secret_table'); } };
    const app = await start({}, { passwordHashing: failingHashing });
    const responses = await Promise.all([
      app.http.get('/health'),
      app.http.get('/nowhere'),
      app.http.put('/users'),
      app.http.post('/users').send({ username: 'x' }),
      app.http.post('/users').send({ username: uniqueName(), password: PASSWORD }),
      app.http.get('/logs'),
    ]);
    expect(responses.map((response) => response.status)).toEqual([200, 404, 405, 400, 500, 401]);
    for (const response of responses) {
      expectSecurityHeaders(response, expect);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    expect(responses[1]!.body).toEqual({ error: 'not found' });
    expect(responses[2]!.headers['allow']).toBe('POST');
    expect(responses[4]!.body).toEqual({ error: 'internal server error' });
    expect(responses[4]!.text).not.toMatch(/secret_table|SELECT|at .*\.ts/);
  });

  it('when a path knows several methods, then 405 lists them all', async () => {
    const app = await start();
    const response = await app.http.post('/logs');
    expect(response.status).toBe(405);
    expect(response.headers['allow']?.split(', ').sort()).toEqual(['GET', 'HEAD']);
    const sessions = await app.http.put('/sessions');
    expect(sessions.headers['allow']?.split(', ').sort()).toEqual(['DELETE', 'POST']);
  });
});

describe('Host allowlist', () => {
  it('when the Host is not listed, then 400 JSON with security headers, and the request is audited', async () => {
    const app = await start();
    const path = `/users/${uniqueName()}`;
    const response = await app.http.get(path).set('Host', 'evil.example:4567');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid Host header' });
    expectSecurityHeaders(response, expect);
    const rows = await auditRowsFor(path);
    expect(rows.map((row) => row.status)).toEqual([null, 400]);
    expect(rows[0]!.audit_id).toBe(rows[1]!.audit_id);
  });

  it('when the Host is any listed name, then it passes, case-insensitively', async () => {
    const app = await start();
    expect((await app.http.get('/health').set('Host', OTHER_ALLOWED_HOST)).status).toBe(200);
    expect((await app.http.get('/health').set('Host', HOST.toUpperCase())).status).toBe(200);
    expect((await app.http.get('/health').set('Host', `${HOST}:80`)).status).toBe(400);
  });

  it('when a probe path is asked with a bad Host, then 400 too', async () => {
    const app = await start();
    expect((await app.http.get('/health').set('Host', 'rebind.example')).status).toBe(400);
    expect((await app.http.get('/ready').set('Host', 'rebind.example')).status).toBe(400);
    const ready = await app.http.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok' });
  });
});

describe('JSON only', () => {
  it('when a POST body is not JSON, then 415 with the contract\'s message, audited', async () => {
    const app = await start();
    const response = await app.http.post('/users').set('Content-Type', 'text/plain').send('username=x');
    expect(response.status).toBe(415);
    expect(response.body).toEqual({ error: 'Only application/json supported' });
    expectSecurityHeaders(response, expect);
    expect((await auditRowsFor('/users')).some((row) => row.status === 415)).toBe(true);
  });

  it.each(['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON'])('when Content-Type is %s, then it is accepted', async (type) => {
    const app = await start();
    const response = await app.http.post('/users').set('Content-Type', type).send(JSON.stringify({ username: uniqueName(), password: PASSWORD }));
    expect(response.status).toBe(201);
  });

  it.each(['application/json; charset=iso-8859-1', 'application/jsonp', 'text/json', ''])('when Content-Type is "%s", then 415', async (type) => {
    const app = await start();
    const response = await app.http.post('/users').set('Content-Type', type).send(Buffer.from('{"username":"abc","password":"password"}'));
    expect(response.status).toBe(415);
  });

  it('when a POST has no body, then no Content-Type is needed', async () => {
    const app = await start();
    const user = await registerUser(app);
    const response = await app.http.post('/sessions').set('Authorization', user.auth);
    expect(response.status).toBe(201);
  });

  it('when the body exceeds 64 KiB (declared or streamed), then 413 JSON', async () => {
    const app = await start();
    const big = JSON.stringify({ username: 'abc', password: 'x'.repeat(64 * 1024) });
    const declared = await app.http.post('/users').set('Content-Type', 'application/json').send(big);
    expect(declared.status).toBe(413);
    expect(declared.body.error).toContain('larger than');
    expectSecurityHeaders(declared, expect);
    const streamed = await chunkedPost(app, '/users', big);
    expect(streamed.status).toBe(413);
    const justUnder = JSON.stringify({ username: uniqueName(), password: 'y'.repeat(64 * 1024 - 100) });
    expect((await app.http.post('/users').set('Content-Type', 'application/json').send(justUnder)).status).toBe(201);
  });

  it.each([
    ['{"username":', 'body is not valid JSON'],
    ['[1,2]', 'body must be a JSON object'],
    ['null', 'body must be a JSON object'],
    ['"text"', 'body must be a JSON object'],
  ])('when the body is %s, then 400 %s', async (body, error) => {
    const app = await start();
    const response = await app.http.post('/users').set('Content-Type', 'application/json').send(body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error });
  });
});

describe('CORS', () => {
  const ORIGIN = 'https://localhost:9999';

  it('when a preflight comes from the allowed origin, then 204 with the allowed headers and methods, never credentials', async () => {
    const app = await start({ CORS_ORIGIN: ORIGIN });
    const response = await app.http.options('/spaces').set('Origin', ORIGIN).set('Access-Control-Request-Method', 'POST');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(response.headers['access-control-allow-headers']).toBe('Content-Type, Authorization');
    expect(response.headers['access-control-allow-methods']).toBe('GET, POST, DELETE');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    expect(response.headers['vary']).toContain('Origin');
    expectSecurityHeaders(response, expect);
  });

  it('when a preflight comes from another origin (or none is configured), then 403 JSON', async () => {
    const app = await start({ CORS_ORIGIN: ORIGIN });
    const response = await app.http.options('/spaces').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'origin not allowed' });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const unconfigured = await start();
    const none = await unconfigured.http.options('/spaces').set('Origin', ORIGIN).set('Access-Control-Request-Method', 'POST');
    expect(none.status).toBe(403);
  });

  it('when a simple request comes from the allowed origin, then Allow-Origin and Vary; from another, neither allow', async () => {
    const app = await start({ CORS_ORIGIN: ORIGIN });
    const allowed = await app.http.get('/nowhere').set('Origin', ORIGIN);
    expect(allowed.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(allowed.headers['vary']).toContain('Origin');
    const other = await app.http.get('/nowhere').set('Origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limiting', () => {
  it('when one address exceeds its bucket, then 429 with Retry-After, audited, until time refills it', async () => {
    const app = await start({ RATE_LIMIT_PER_ADDRESS_PER_SECOND: '1', RATE_LIMIT_PER_ADDRESS_BURST: '2' });
    const path = `/users/${uniqueName()}`;
    expect((await app.http.get(path)).status).toBe(404);
    expect((await app.http.get(path)).status).toBe(404);
    const limited = await app.http.get(path);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body).toEqual({ error: 'too many requests' });
    expectSecurityHeaders(limited, expect);
    expect((await auditRowsFor(path)).filter((row) => row.status === 429)).toHaveLength(1);
    app.clock.advance(1000);
    expect((await app.http.get(path)).status).toBe(404);
  });

  it('when X-Forwarded-For comes from a trusted proxy, then each client has its own bucket; from anyone else it is ignored', async () => {
    const trusting = await start({ RATE_LIMIT_PER_ADDRESS_PER_SECOND: '1', RATE_LIMIT_PER_ADDRESS_BURST: '1', TRUSTED_PROXIES: '127.0.0.0/8' });
    expect((await trusting.http.get('/nowhere').set('X-Forwarded-For', '203.0.113.1')).status).toBe(404);
    expect((await trusting.http.get('/nowhere').set('X-Forwarded-For', '203.0.113.2')).status).toBe(404);
    expect((await trusting.http.get('/nowhere').set('X-Forwarded-For', '203.0.113.1')).status).toBe(429);
    // A client cannot choose its bucket by prepending addresses: the proxy appends the real one.
    expect((await trusting.http.get('/nowhere').set('X-Forwarded-For', '198.51.100.9, 203.0.113.2')).status).toBe(429);

    const untrusting = await start({ RATE_LIMIT_PER_ADDRESS_PER_SECOND: '1', RATE_LIMIT_PER_ADDRESS_BURST: '1', TRUSTED_PROXIES: '10.0.0.0/8' });
    expect((await untrusting.http.get('/nowhere').set('X-Forwarded-For', '203.0.113.1')).status).toBe(404);
    expect((await untrusting.http.get('/nowhere').set('X-Forwarded-For', '203.0.113.2')).status).toBe(429);
  });

  it('when all clients together exceed the global ceiling, then 429 for everyone', async () => {
    const app = await start({ RATE_LIMIT_GLOBAL_PER_SECOND: '1', RATE_LIMIT_GLOBAL_BURST: '3', TRUSTED_PROXIES: '127.0.0.1' });
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      expect((await app.http.get('/nowhere').set('X-Forwarded-For', client)).status).toBe(404);
    }
    const limited = await app.http.get('/nowhere').set('X-Forwarded-For', '203.0.113.4');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('when one user exceeds the per-user bucket, then 429 for that user only', async () => {
    const app = await start({ RATE_LIMIT_PER_USER_PER_SECOND: '1', RATE_LIMIT_PER_USER_BURST: '2' });
    const alice = await registerUser(app);
    const bob = await registerUser(app);
    expect((await app.http.get('/logs').set('Authorization', alice.auth)).status).toBe(200);
    expect((await app.http.get('/logs').set('Authorization', alice.auth)).status).toBe(200);
    const limited = await app.http.get('/logs').set('Authorization', alice.auth);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect((await app.http.get('/logs').set('Authorization', bob.auth)).status).toBe(200);
  });

  it('when probes arrive during a flood, then they are not rate limited', async () => {
    const app = await start({ RATE_LIMIT_GLOBAL_PER_SECOND: '1', RATE_LIMIT_GLOBAL_BURST: '1' });
    await app.http.get('/nowhere');
    expect((await app.http.get('/nowhere')).status).toBe(429);
    expect((await app.http.get('/health')).status).toBe(200);
    expect((await app.http.get('/ready')).status).toBe(200);
  });
});

describe('audit', () => {
  it('when a request has a query string, then only the path is recorded', async () => {
    const app = await start();
    const path = `/users/${uniqueName()}`;
    await app.http.get(`${path}?access_token=supersecret&x=1`);
    await app.settled();
    const rows = await database.owner.query<{ path: string }>("SELECT path FROM audit_log WHERE path LIKE $1 OR path LIKE '%supersecret%'", [`${path}%`]);
    expect(rows.map((row) => row.path)).toEqual([path, path]);
  });
});

/** A POST with Transfer-Encoding: chunked and no Content-Length. */
function chunkedPost(app: TestApp, path: string, body: string): Promise<{ status: number }> {
  const address = app.server.address() as { port: number };
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: address.port, method: 'POST', path, headers: { Host: HOST, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
    });
    request.on('error', reject);
    for (let offset = 0; offset < body.length; offset += 8192) request.write(body.slice(offset, offset + 8192));
    request.end();
  });
}
