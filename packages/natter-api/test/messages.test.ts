import './support/timeouts.js';
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { createTokenService } from '../src/security/tokens.js';
import { expectSecurityHeaders, postMessage, startApp } from './support/harness.js';
import { useAppPerTest, useOwnedSpacePerTest, useTestDatabase } from './support/lifecycle.js';

const database = useTestDatabase();
const app = useAppPerTest(database);
const fixture = useOwnedSpacePerTest(app);

const TOKEN = '[A-Za-z0-9_-]{27}\\.[A-Za-z0-9_-]{43}';

describe('POST /spaces/:id/messages', () => {
  it('when the capability grants w, then 201 with a plain Location, an rd uri (5 min) and an r uri (365 days)', async () => {
    const response = await app().http.post(fixture.space['messages-rw']).set('Authorization', fixture.owner.auth).send({ author: fixture.owner.username, message: 'hello' });
    expect(response.status).toBe(201);
    const location = response.headers['location']!;
    expect(location).toMatch(new RegExp(`^/spaces/${fixture.space.id}/messages/\\d+$`));
    expect(response.body.uri).toMatch(new RegExp(`^${location}\\?access_token=${TOKEN}$`));
    expect(response.body['read-only']).toMatch(new RegExp(`^${location}\\?access_token=${TOKEN}$`));
    const tokens = await database().owner.query<{ perms: string; ttl_minutes: number }>(
      `SELECT attributes->>'perms' AS perms, round(extract(epoch FROM expiry - now()) / 60)::int AS ttl_minutes
       FROM tokens WHERE attributes->>'path' = $1 ORDER BY perms`,
      [location],
    );
    expect(tokens.map((token) => token.perms)).toEqual(['r', 'rd']);
    expect(tokens[0]!.ttl_minutes).toBeGreaterThan(364 * 24 * 60);
    expect(tokens[1]!.ttl_minutes).toBeLessThanOrEqual(5);
  });

  it('when the capability is read-only, then 403', async () => {
    const response = await app().http.post(fixture.space['messages-r']).set('Authorization', fixture.owner.auth).send({ author: fixture.owner.username, message: 'hi' });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'forbidden' });
    expectSecurityHeaders(response, expect);
  });

  it('when there is no capability and no user, then 401; with a user but no capability, then 403', async () => {
    const anonymous = await app().http.post(`/spaces/${fixture.space.id}/messages`).send({ author: fixture.owner.username, message: 'hi' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBeDefined();
    const noCapability = await app().http.post(`/spaces/${fixture.space.id}/messages`).set('Authorization', fixture.owner.auth).send({ author: fixture.owner.username, message: 'hi' });
    expect(noCapability.status).toBe(403);
  });

  it.each([
    [{ author: 'someoneelse', message: 'x' }, 'author must match authenticated user'],
    [{ author: '9nine', message: 'x' }, 'invalid username'],
    [{ message: 'x' }, 'author must be a string'],
    [{ author: 'AUTHOR', message: 'x'.repeat(1025) }, 'message is too long'],
    [{ author: 'AUTHOR', message: 'a\u0000b' }, 'message must not contain NUL characters'],
  ] as [Record<string, string>, string][])('when the body is %j, then 400 %s', async (body, error) => {
    const fixed = { ...body, author: body['author'] === 'AUTHOR' ? fixture.owner.username : body['author'] };
    const response = await app().http.post(fixture.space['messages-rw']).set('Authorization', fixture.owner.auth).send(fixed);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error });
  });

  it('when the message is exactly 1024 characters, then it is stored', async () => {
    const response = await app().http.post(fixture.space['messages-rw']).set('Authorization', fixture.owner.auth).send({ author: fixture.owner.username, message: '€'.repeat(1024) });
    expect(response.status).toBe(201);
  });
});

describe('GET /spaces/:id/messages/:msgId', () => {
  it('when the capability grants r, then 200 with author, ISO time, text and links', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'no links here');
    const response = await app().http.get(posted['read-only']).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['author', 'links', 'message', 'time']);
    expect(response.body).toMatchObject({ author: fixture.owner.username, message: 'no links here', links: [] });
    expect(new Date(response.body.time).toISOString()).toBe(response.body.time);
    expectSecurityHeaders(response, expect);
  });

  it.each(['Basic', 'Bearer'])('when the audit start row cannot be written, then the read is not answered (no data leaves unaudited; %s)', async (scheme) => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'top secret text');
    const auth = scheme === 'Basic' ? fixture.owner.auth : `Bearer ${(await app().http.post('/sessions').set('Authorization', fixture.owner.auth)).body.token}`;
    const db = database().db;
    const auditFails: Database = {
      ...db,
      query: (text, params) => (text.includes('audit_log') ? Promise.reject(new Error('disk full')) : db.query(text, params)),
    };
    const broken = await startApp(auditFails, { deps: { tokens: createTokenService(app().config.hmacKey!) } });
    try {
      const response = await broken.http.get(posted['read-only']).set('Authorization', auth);
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: 'internal server error' });
      expect(response.text).not.toContain('top secret');
    } finally {
      await broken.close();
    }
  });

  it('when several messages are read at once, then each read gets its own message', async () => {
    const texts = ['first text', 'second text', 'third text', 'fourth text'];
    const posted = [];
    for (const text of texts) posted.push(await postMessage(app(), fixture.owner, fixture.space['messages-rw'], text));
    const responses = await Promise.all(posted.map((message) => app().http.get(message['read-only']).set('Authorization', fixture.owner.auth)));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    expect(responses.map((response) => response.body.message)).toEqual(texts);
  });

  it('when read with a Bearer session, then the session and the capability are looked up in one query', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'read by session');
    const session = await app().http.post('/sessions').set('Authorization', fixture.owner.auth);
    expect(session.status).toBe(201);
    const db = database().db;
    const tokenLookups: unknown[][] = [];
    const counting: Database = {
      ...db,
      query: (text, params) => {
        // Statements that look a token up (its hash among the parameters); audit rows share the statement text.
        const hashes = (params ?? []).slice(0, 2).flat();
        if (/\btokens\b/.test(text) && hashes.some((hash) => typeof hash === 'string')) tokenLookups.push([...(params ?? [])]);
        return db.query(text, params);
      },
    };
    // Same HMAC key as the app that issued the tokens.
    const counted = await startApp(counting, { deps: { tokens: createTokenService(app().config.hmacKey!) } });
    try {
      const response = await counted.http.get(posted['read-only']).set('Authorization', `Bearer ${session.body.token}`);
      expect(response.status).toBe(200);
      expect(response.body.message).toBe('read by session');
      expect(tokenLookups).toHaveLength(1);
      // One session hash and one capability hash (bearer-reads.test.ts: the statement does the rest of the read too).
      expect(tokenLookups[0]!.slice(0, 2)).toEqual([[expect.any(String)], [expect.any(String)]]);
    } finally {
      await counted.close();
    }
  });

  it('when the message was deleted, then 404', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'gone soon');
    expect((await app().http.delete(posted.uri).set('Authorization', fixture.owner.auth)).status).toBe(200);
    const response = await app().http.get(posted['read-only']).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'not found' });
  });

  it('when the id is not a number, then 404', async () => {
    const response = await app().http.get(`/spaces/${fixture.space.id}/messages/abc`).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'not found' });
  });
});

describe('GET /spaces/:id/messages', () => {
  it('when listing, then one capability URI per recent message, with the caller\'s perms minus w', async () => {
    const first = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'one');
    const second = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'two');
    const response = await app().http.get(fixture.space['messages-rwd']).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(200);
    const paths = (response.body as string[]).map((uri) => uri.split('?')[0]);
    expect(paths).toEqual([first.uri.split('?')[0], second.uri.split('?')[0]]);
    for (const uri of response.body as string[]) expect(uri).toMatch(new RegExp(`\\?access_token=${TOKEN}$`));
    const perms = await database().owner.query<{ perms: string }>(
      "SELECT DISTINCT attributes->>'perms' AS perms FROM tokens WHERE attributes->>'path' = $1 AND expiry < now() + interval '11 minutes'",
      [paths[0]],
    );
    expect(perms).toEqual([{ perms: 'rd' }]);
    // A listed URI reads the message and cannot be used to post.
    expect((await app().http.get(response.body[0]).set('Authorization', fixture.owner.auth)).body.message).toBe('one');
  });

  it('when since is in the future, then nothing; when it is malformed, then 400', async () => {
    await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'old news');
    const future = new Date(app().clock.now().getTime() + 60_000).toISOString();
    const empty = await app().http.get(`${fixture.space['messages-r']}&since=${future}`).set('Authorization', fixture.owner.auth);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual([]);
    const withOffset = await app().http.get(`${fixture.space['messages-r']}&since=2000-01-01T00:00:00+01:00`).set('Authorization', fixture.owner.auth);
    expect(withOffset.status).toBe(200);
    expect(withOffset.body).toHaveLength(1);
    // The path still matches: query parameters do not take part in the capability's path check.
    for (const since of ['yesterday', '2024-13-01T00:00:00Z', '2024-01-01']) {
      const bad = await app().http.get(`${fixture.space['messages-r']}&since=${since}`).set('Authorization', fixture.owner.auth);
      expect(bad.status, since).toBe(400);
      expect(bad.body.error).toContain('since');
    }
  });

  it('when messages are older than a day, then the default window leaves them out', async () => {
    await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'ancient');
    app().clock.advance(25 * 60 * 60 * 1000);
    const response = await app().http.get(fixture.space['messages-r']).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });
});

describe('DELETE /spaces/:id/messages/:msgId', () => {
  it('when the capability grants d, then 200 {} and the row is gone', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'delete me');
    const response = await app().http.delete(posted.uri).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    const msgId = Number(posted.uri.split('?')[0]!.split('/').pop());
    expect(await database().owner.query('SELECT 1 FROM messages WHERE msg_id = $1', [msgId])).toEqual([]);
  });

  it('when the capability is read-only, then 403 and the message stays', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'keep me');
    const response = await app().http.delete(posted['read-only']).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(403);
    expect((await app().http.get(posted['read-only']).set('Authorization', fixture.owner.auth)).status).toBe(200);
  });
});
