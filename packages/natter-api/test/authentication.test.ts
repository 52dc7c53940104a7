import './support/timeouts.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { basic, createSpace, testClock, expectSecurityHeaders, PASSWORD, registerUser, startApp, uniqueName, type TestApp } from './support/harness.js';

let database: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());
beforeEach(async () => {
  app = await startApp(database.db);
});
afterEach(() => app.close());

const raw = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('Basic authentication', () => {
  it('when the password is right, then the request is authenticated', async () => {
    const user = await registerUser(app);
    const response = await app.http.post('/sessions').set('Authorization', user.auth);
    expect(response.status).toBe(201);
  });

  it('when the password is wrong or the user unknown, then simply unauthenticated (401 where a user is needed)', async () => {
    const user = await registerUser(app);
    for (const auth of [basic(user.username, 'wrong password'), basic(uniqueName(), PASSWORD), basic(user.username, '')]) {
      const response = await app.http.post('/sessions').set('Authorization', auth);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'authentication required' });
      expect(response.headers['www-authenticate']).toMatch(/Basic realm="natter"/);
      expectSecurityHeaders(response, expect);
    }
    // A route that needs no user does not care.
    expect((await app.http.post('/users').set('Authorization', basic(user.username, 'wrong')).send({ username: uniqueName(), password: PASSWORD })).status).toBe(201);
  });

  it('when the password contains a colon, then only the first colon splits', async () => {
    const username = uniqueName();
    await app.http.post('/users').send({ username, password: 'pass:word:with:colons' });
    const response = await app.http.post('/sessions').set('Authorization', raw(`${username}:pass:word:with:colons`));
    expect(response.status).toBe(201);
  });

  it('when the password is non-ASCII, then UTF-8 Basic credentials work', async () => {
    const username = uniqueName();
    await app.http.post('/users').send({ username, password: 'pässwörd-ünïcødé' });
    expect((await app.http.post('/sessions').set('Authorization', basic(username, 'pässwörd-ünïcødé'))).status).toBe(201);
  });

  it.each([
    ['not base64', 'Basic !!!!'],
    ['base64 without padding', `Basic ${Buffer.from('ab:cdefghij').toString('base64').replace(/=+$/, '')}`],
    ['non-canonical base64 bits', 'Basic YR=='],
    ['base64url alphabet', 'Basic ' + Buffer.from('ab?>:~~~~~~~~').toString('base64url')],
    ['no colon', raw('nocolonhere')],
    ['an invalid username', raw('1bad:password')],
    ['invalid UTF-8', `Basic ${Buffer.from([0x61, 0x62, 0x3a, 0xff, 0xfe]).toString('base64')}`],
  ])('when the credentials are %s, then 400', async (_, header) => {
    const response = await app.http.get('/logs').set('Authorization', header);
    expect(response.status).toBe(400);
    expect(typeof response.body.error).toBe('string');
    expectSecurityHeaders(response, expect);
  });

  it('when the scheme is spelt in another case, then it is still Basic', async () => {
    const user = await registerUser(app);
    const response = await app.http.post('/sessions').set('Authorization', user.auth.replace('Basic', 'bAsIc'));
    expect(response.status).toBe(201);
  });
});

describe('sessions', () => {
  it('when created, then 201 with a token valid for 10 minutes carrying the default scope', async () => {
    const user = await registerUser(app);
    const created = await app.http.post('/sessions').set('Authorization', user.auth);
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(['token']);
    expect(created.body.token).toMatch(/^[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{43}$/);
    const bearer = `Bearer ${created.body.token}`;
    const space = await app.http.post('/spaces').set('Authorization', bearer).send({ name: uniqueName(), owner: user.username });
    expect(space.status).toBe(201);
    app.clock.advance(10 * 60 * 1000);
    const expired = await app.http.get('/logs').set('Authorization', bearer);
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token",error_description="Expired"');
    expect(expired.body).toEqual({ error: 'token expired' });
    expectSecurityHeaders(expired, expect);
  });

  it('when a scope lacks create_space, then POST /spaces is 403 insufficient_scope', async () => {
    const user = await registerUser(app);
    const created = await app.http.post('/sessions?scope=read_message+list_messages').set('Authorization', user.auth);
    expect(created.status).toBe(201);
    const response = await app.http.post('/spaces').set('Authorization', `Bearer ${created.body.token}`).send({ name: uniqueName(), owner: user.username });
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe('Bearer error="insufficient_scope",scope="create_space"');
    expect(response.body).toEqual({ error: 'insufficient scope' });
  });

  it('when a Bearer session without full_access asks for another session, then 403; with full_access, then 201', async () => {
    const user = await registerUser(app);
    const limited = await app.http.post('/sessions').set('Authorization', user.auth);
    expect((await app.http.post('/sessions').set('Authorization', `Bearer ${limited.body.token}`)).status).toBe(403);
    const full = await app.http.post('/sessions?scope=full_access').set('Authorization', user.auth);
    expect((await app.http.post('/sessions').set('Authorization', `Bearer ${full.body.token}`)).status).toBe(201);
  });

  it('when the scope names something unknown, then 400', async () => {
    const user = await registerUser(app);
    const response = await app.http.post('/sessions?scope=create_space+admin').set('Authorization', user.auth);
    expect(response.status).toBe(400);
  });

  it('when deleted, then 200 {} and the token no longer authenticates', async () => {
    const user = await registerUser(app);
    const created = await app.http.post('/sessions').set('Authorization', user.auth);
    const bearer = `Bearer ${created.body.token}`;
    expect((await app.http.get('/logs').set('Authorization', bearer)).status).toBe(200);
    const deleted = await app.http.delete('/sessions').set('Authorization', bearer);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({});
    expect((await app.http.get('/logs').set('Authorization', bearer)).status).toBe(401);
  });

  it('when DELETE /sessions comes with Basic only, then 400; with nothing, then 401', async () => {
    const user = await registerUser(app);
    const basicOnly = await app.http.delete('/sessions').set('Authorization', user.auth);
    expect(basicOnly.status).toBe(400);
    expect(basicOnly.body).toEqual({ error: 'missing token header' });
    expect((await app.http.delete('/sessions')).status).toBe(401);
  });

  it('when a capability token or a forged token is used as Bearer, then it authenticates nobody', async () => {
    const user = await registerUser(app);
    const space = await createSpace(app, user);
    const capability = new URL(space.uri, 'http://x').searchParams.get('access_token')!;
    expect((await app.http.get('/logs').set('Authorization', `Bearer ${capability}`)).status).toBe(401);
    const session = (await app.http.post('/sessions').set('Authorization', user.auth)).body.token as string;
    expect((await app.http.get('/logs').set('Authorization', `Bearer ${session.slice(0, -2)}`)).status).toBe(401);
  });
});

describe('GET /logs', () => {
  // Earlier tests wrote rows at their own (advanced) times: start this app's clock well past them.
  const DAY = 24 * 60 * 60 * 1000;
  let offsetDays = 30;
  beforeEach(async () => {
    await app.close();
    app = await startApp(database.db, { clock: testClock(Date.now() + offsetDays * DAY) });
    offsetDays += 30;
  });

  it('when not authenticated, then 401 (the book left it open)', async () => {
    const response = await app.http.get('/logs');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBeDefined();
  });

  it('when authenticated, then at most 20 rows of the last hour, newest first, start and end rows sharing ids, no query strings', async () => {
    const user = await registerUser(app);
    const space = await createSpace(app, user);
    await app.http.get(space['messages-r']).set('Authorization', user.auth);
    const response = await app.http.get('/logs').set('Authorization', user.auth);
    expect(response.status).toBe(200);
    const rows = response.body as { id: number; method: string; path: string; status: number | null; user: string | null; time: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(20);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['id', 'method', 'path', 'status', 'time', 'user']);
      expect(row.path).not.toContain('?');
      expect(row.path).not.toContain('access_token');
      expect(new Date(row.time).toISOString()).toBe(row.time);
    }
    const times = rows.map((row) => Date.parse(row.time));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(rows[0]).toMatchObject({ method: 'GET', path: '/logs', user: user.username, status: null });
    const read = rows.filter((row) => row.path === `/spaces/${space.id}/messages`);
    expect(read.map((row) => row.status).sort()).toEqual([200, null]);
    expect(new Set(read.map((row) => row.id)).size).toBe(1);
    expect(read.every((row) => row.user === user.username)).toBe(true);
  });

  it('when rows are older than an hour, then they are left out', async () => {
    const user = await registerUser(app);
    await app.http.get('/logs').set('Authorization', user.auth);
    app.clock.advance(61 * 60 * 1000);
    const response = await app.http.get('/logs').set('Authorization', user.auth);
    // Only this request's own start row is within the window now.
    expect(response.body).toHaveLength(1);
    expect(response.body[0]).toMatchObject({ path: '/logs', status: null });
  });
});
