import './support/timeouts.js';
import { describe, expect, it } from 'vitest';
import { createSpace, expectSecurityHeaders, PASSWORD, registerUser, uniqueName } from './support/harness.js';
import { useAppPerTest, useTestDatabase } from './support/lifecycle.js';

const database = useTestDatabase();
const app = useAppPerTest(database);

describe('POST /users', () => {
  it('when the input is valid, then 201 with Location and the username, and the password is stored as scrypt', async () => {
    const username = uniqueName();
    const response = await app().http.post('/users').send({ username, password: PASSWORD });
    expect(response.status).toBe(201);
    expect(response.headers['location']).toBe(`/users/${username}`);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.body).toEqual({ username });
    expectSecurityHeaders(response, expect);
    const [row] = await database().owner.query<{ pw_hash: string }>('SELECT pw_hash FROM users WHERE user_id = $1', [username]);
    expect(row!.pw_hash).toMatch(/^\$scrypt\$N=\d+,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(row!.pw_hash).not.toContain(PASSWORD);
  });

  it('when the username is taken, then 409 (the book answered 500)', async () => {
    const { username } = await registerUser(app());
    const response = await app().http.post('/users').send({ username, password: 'another password' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: 'username already exists' });
  });

  it.each([
    [{ username: '1abc', password: PASSWORD }, 'invalid username'],
    [{ username: 'a', password: PASSWORD }, 'invalid username'],
    [{ username: 'a'.repeat(31), password: PASSWORD }, 'invalid username'],
    [{ username: 'bad-name', password: PASSWORD }, 'invalid username'],
    [{ username: 'shortpw', password: '1234567' }, 'password must be at least 8 characters'],
    [{ username: 'nopw' }, 'password must be a string'],
    [{ password: PASSWORD }, 'username must be a string'],
    [{ username: 42, password: PASSWORD }, 'username must be a string'],
  ])('when the body is %j, then 400 %s', async (body, error) => {
    const response = await app().http.post('/users').send(body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error });
  });

  it('when the password has 8 characters made of multi-byte letters, then it is accepted', async () => {
    const response = await app().http.post('/users').send({ username: uniqueName(), password: 'ÄÖÜäöüßé' });
    expect(response.status).toBe(201);
  });
});

describe('POST /spaces', () => {
  it('when authenticated as the owner, then 201 with four capability URIs and a token-free Location', async () => {
    const owner = await registerUser(app());
    const name = uniqueName('space');
    const response = await app().http.post('/spaces').set('Authorization', owner.auth).send({ name, owner: owner.username });
    expect(response.status).toBe(201);
    const id = /^\/spaces\/(\d+)$/.exec(response.headers['location'] ?? '')?.[1];
    expect(id).toBeDefined();
    expect(Object.keys(response.body).sort()).toEqual(['messages-r', 'messages-rw', 'messages-rwd', 'name', 'uri']);
    expect(response.body.name).toBe(name);
    const token = '[A-Za-z0-9_-]{27}\\.[A-Za-z0-9_-]{43}';
    expect(response.body.uri).toMatch(new RegExp(`^/spaces/${id}\\?access_token=${token}$`));
    for (const key of ['messages-rwd', 'messages-rw', 'messages-r']) {
      expect(response.body[key]).toMatch(new RegExp(`^/spaces/${id}/messages\\?access_token=${token}$`));
    }
    const roles = await database().owner.query('SELECT role_id FROM user_roles WHERE space_id = $1 AND user_id = $2', [Number(id), owner.username]);
    expect(roles).toEqual([{ role_id: 'owner' }]);
  });

  it('when the name is taken, then 409', async () => {
    const owner = await registerUser(app());
    const name = uniqueName('space');
    await createSpace(app(), owner, name);
    const response = await app().http.post('/spaces').set('Authorization', owner.auth).send({ name, owner: owner.username });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: 'a space with this name already exists' });
  });

  it('when not authenticated, then 401 with WWW-Authenticate', async () => {
    const response = await app().http.post('/spaces').send({ name: 'x', owner: 'nobody' });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('Bearer');
    expect(response.body).toEqual({ error: 'authentication required' });
  });

  it('when the owner is someone else, then 400', async () => {
    const owner = await registerUser(app());
    const other = await registerUser(app());
    const response = await app().http.post('/spaces').set('Authorization', owner.auth).send({ name: uniqueName(), owner: other.username });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'owner must match authenticated user' });
  });

  it.each([
    [{ name: 'x'.repeat(256) }, 'space name too long'],
    [{ name: '' }, 'invalid space name'],
    [{ name: 'nul\u0000byte' }, 'space name must not contain NUL characters'],
    [{ name: 7 }, 'name must be a string'],
  ])('when the space is %j, then 400 %s', async (fields, error) => {
    const owner = await registerUser(app());
    const response = await app().http.post('/spaces').set('Authorization', owner.auth).send({ owner: owner.username, ...fields });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error });
  });

  it('when the name has exactly 255 characters, then it is accepted', async () => {
    const owner = await registerUser(app());
    const name = `${uniqueName()}${'é'.repeat(255)}`.slice(0, 255);
    const response = await app().http.post('/spaces').set('Authorization', owner.auth).send({ name, owner: owner.username });
    expect(response.status).toBe(201);
  });
});
