import './support/timeouts.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSpace, postMessage, registerUser } from './support/harness.js';
import { useAppPerTest, useOwnedSpacePerTest, useTestDatabase } from './support/lifecycle.js';

const database = useTestDatabase();
const app = useAppPerTest(database);
const fixture = useOwnedSpacePerTest(app);

const tokenOf = (uri: string): string => new URL(uri, 'http://x').searchParams.get('access_token')!;
const withToken = (uri: string, token: string): string => `${uri.split('?')[0]}?access_token=${token}`;

describe('capability tokens', () => {
  it('when issued, then only SHA-256(id) is stored, never the id or the MAC', async () => {
    const token = tokenOf(fixture.space['messages-r']);
    const [id, mac] = token.split('.') as [string, string];
    expect(Buffer.from(id, 'base64url')).toHaveLength(20);
    const rows = await database().owner.query<{ token_id: string; user_id: string; attributes: unknown }>('SELECT token_id, user_id, attributes FROM tokens');
    const ids = rows.map((row) => row.token_id);
    expect(ids).toContain(createHash('sha256').update(id).digest('base64url'));
    expect(ids.some((stored) => stored.includes(id) || stored.includes(mac))).toBe(false);
    const stored = rows.find((row) => row.token_id === createHash('sha256').update(id).digest('base64url'))!;
    expect(stored.user_id).toBe(fixture.owner.username);
    expect(typeof stored.attributes === 'string' ? JSON.parse(stored.attributes) : stored.attributes).toEqual({ path: `/spaces/${fixture.space.id}/messages`, perms: 'r' });
  });

  it.each([
    ['a flipped MAC character', (token: string) => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`],
    ['a truncated MAC', (token: string) => token.slice(0, -3)],
    ['no MAC', (token: string) => token.split('.')[0]!],
    ['the MAC of another token', (token: string, other: string) => `${token.split('.')[0]}.${other.split('.')[1]}`],
    ['an empty token', () => ''],
  ])('when the token has %s, then 403', async (_, forge) => {
    const forged = forge(tokenOf(fixture.space['messages-r']), tokenOf(fixture.space['messages-rwd']));
    const response = await app().http.get(withToken(fixture.space['messages-r'], forged)).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'forbidden' });
  });

  it('when the capability has expired, then 403 (the book never checked)', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'short-lived');
    expect((await app().http.get(posted.uri).set('Authorization', fixture.owner.auth)).status).toBe(200);
    app().clock.advance(5 * 60 * 1000 + 1);
    const expired = await app().http.get(posted.uri).set('Authorization', fixture.owner.auth);
    expect(expired.status).toBe(403);
    expect((await app().http.get(posted['read-only']).set('Authorization', fixture.owner.auth)).status).toBe(200);
  });

  it('when another user presents the capability, then 403', async () => {
    const other = await registerUser(app());
    const response = await app().http.get(fixture.space['messages-r']).set('Authorization', other.auth);
    expect(response.status).toBe(403);
  });

  it('when the capability is for another path, then 403', async () => {
    const second = await createSpace(app(), fixture.owner);
    const response = await app().http.get(withToken(second['messages-r'], tokenOf(fixture.space['messages-r']))).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(403);
    const trailingSlash = await app().http.get(fixture.space['messages-r'].replace('/messages?', '/messages/?')).set('Authorization', fixture.owner.auth);
    expect(trailingSlash.status).not.toBe(200);
  });

  it('when access_token is given twice, then 403', async () => {
    const token = tokenOf(fixture.space['messages-r']);
    const response = await app().http.get(`${fixture.space['messages-r']}&access_token=${token}`).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(403);
  });

  it('when expired tokens are purged, then only expired rows go', async () => {
    const { startTokenPurge } = await import('../src/token-purge.js');
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'purge');
    const path = posted.uri.split('?')[0];
    const count = async () => (await database().owner.query('SELECT 1 FROM tokens WHERE attributes->>\'path\' = $1', [path])).length;
    expect(await count()).toBe(2);
    app().clock.advance(6 * 60 * 1000);
    const purge = startTokenPurge({ db: database().db, intervalMs: 3_600_000, logger: (await import('pino')).pino({ level: 'silent' }), clock: app().clock });
    try {
      expect(await purge.purgeNow()).toBeGreaterThanOrEqual(1);
    } finally {
      purge.stop();
    }
    expect(await count()).toBe(1);
  });
});

describe('POST /share', () => {
  it('when sharing a subset with another user, then 200 with a URI for the same path that works for them only', async () => {
    const friend = await registerUser(app());
    const response = await app().http.post('/share').send({ uri: fixture.space['messages-rwd'], user: friend.username, perms: 'r' });
    expect(response.status).toBe(200);
    expect(response.body.uri.split('?')[0]).toBe(`/spaces/${fixture.space.id}/messages`);
    expect((await app().http.get(response.body.uri).set('Authorization', friend.auth)).status).toBe(200);
    expect((await app().http.get(response.body.uri).set('Authorization', fixture.owner.auth)).status).toBe(403);
    const post = await app().http.post(response.body.uri).set('Authorization', friend.auth).send({ author: friend.username, message: 'x' });
    expect(post.status).toBe(403);
  });

  it('when perms are omitted, then the token\'s perms are shared; rd from rwd is fine', async () => {
    const friend = await registerUser(app());
    const all = await app().http.post('/share').send({ uri: fixture.space['messages-rw'], user: friend.username });
    expect(all.status).toBe(200);
    const post = await app().http.post(all.body.uri).set('Authorization', friend.auth).send({ author: friend.username, message: 'shared' });
    expect(post.status).toBe(201);
    const rd = await app().http.post('/share').send({ uri: fixture.space['messages-rwd'], user: friend.username, perms: 'rd' });
    expect(rd.status).toBe(200);
  });

  it('when asking for more than the token holds, then 403', async () => {
    const friend = await registerUser(app());
    const response = await app().http.post('/share').send({ uri: fixture.space['messages-r'], user: friend.username, perms: 'rw' });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'forbidden' });
  });

  it('when the uri\'s path is not the token\'s, then 400', async () => {
    const friend = await registerUser(app());
    const response = await app().http.post('/share').send({ uri: withToken(fixture.space.uri, tokenOf(fixture.space['messages-rwd'])), user: friend.username });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'incorrect path' });
  });

  it('when the token is unknown, forged or expired, then 403', async () => {
    const friend = await registerUser(app());
    const token = tokenOf(fixture.space['messages-r']);
    const forged = await app().http.post('/share').send({ uri: withToken(fixture.space['messages-r'], `${token.slice(0, -1)}x`), user: friend.username });
    expect(forged.status).toBe(403);
    const missing = await app().http.post('/share').send({ uri: fixture.space['messages-r'].split('?')[0], user: friend.username });
    expect(missing.status).toBe(403);
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'expiring');
    app().clock.advance(6 * 60 * 1000);
    const expired = await app().http.post('/share').send({ uri: posted.uri, user: friend.username });
    expect(expired.status).toBe(403);
  });

  it('when the user does not exist or the perms are malformed, then 400', async () => {
    const unknown = await app().http.post('/share').send({ uri: fixture.space['messages-r'], user: 'nobodyatall' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: 'unknown user' });
    const friend = await registerUser(app());
    for (const perms of ['', 'x', 'rr', 'rwdx']) {
      const response = await app().http.post('/share').send({ uri: fixture.space['messages-rwd'], user: friend.username, perms });
      expect(response.status, perms).toBe(400);
    }
  });
});

describe('POST /spaces/:id/members', () => {
  it('when the space\'s rwd capability is presented, then 200 with the roles, stored', async () => {
    const member = await registerUser(app());
    const response = await app().http.post(`/spaces/${fixture.space.id}/members?access_token=${tokenOf(fixture.space.uri)}`)
      .set('Authorization', fixture.owner.auth).send({ username: member.username, roles: ['member', 'observer'] });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ username: member.username, roles: ['member', 'observer'] });
    const rows = await database().owner.query<{ role_id: string }>('SELECT role_id FROM user_roles WHERE space_id = $1 AND user_id = $2 ORDER BY role_id', [fixture.space.id, member.username]);
    expect(rows.map((row) => row.role_id)).toEqual(['member', 'observer']);
  });

  it('when roles are omitted, then the member role; adding again is idempotent', async () => {
    const member = await registerUser(app());
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await app().http.post(`/spaces/${fixture.space.id}/members?access_token=${tokenOf(fixture.space.uri)}`)
        .set('Authorization', fixture.owner.auth).send({ username: member.username });
      expect(response.status).toBe(200);
      expect(response.body.roles).toEqual(['member']);
    }
  });

  it('when the capability lacks d (or is for the messages path), then 403', async () => {
    const member = await registerUser(app());
    const friend = await registerUser(app());
    const shared = await app().http.post('/share').send({ uri: fixture.space.uri, user: fixture.owner.username, perms: 'rw' });
    const response = await app().http.post(`/spaces/${fixture.space.id}/members?access_token=${tokenOf(shared.body.uri)}`)
      .set('Authorization', fixture.owner.auth).send({ username: member.username });
    expect(response.status).toBe(403);
    const messagesCapability = await app().http.post(`/spaces/${fixture.space.id}/members?access_token=${tokenOf(fixture.space['messages-rwd'])}`)
      .set('Authorization', fixture.owner.auth).send({ username: friend.username });
    expect(messagesCapability.status).toBe(403);
  });

  it('when a role is unknown or the user does not exist, then 400 / 404', async () => {
    const member = await registerUser(app());
    const badRole = await app().http.post(`/spaces/${fixture.space.id}/members?access_token=${tokenOf(fixture.space.uri)}`)
      .set('Authorization', fixture.owner.auth).send({ username: member.username, roles: ['admin'] });
    expect(badRole.status).toBe(400);
    const nobody = await app().http.post(`/spaces/${fixture.space.id}/members?access_token=${tokenOf(fixture.space.uri)}`)
      .set('Authorization', fixture.owner.auth).send({ username: 'nosuchuser' });
    expect(nobody.status).toBe(404);
  });
});
