/**
 * Issue 7, "tests that guard the security code": each test here fails for a change that mutation
 * testing showed nothing else would catch, though the behaviour is right today.
 */
import './support/timeouts.js';
import { describe, expect, it } from 'vitest';
import type { PasswordHashing } from '../src/security/password-hashing.js';
import { fastHashing, postMessage, registerUser, startApp, uniqueName } from './support/harness.js';
import { useAppPerTest, useOwnedSpacePerTest, useTestDatabase } from './support/lifecycle.js';

const database = useTestDatabase();
const app = useAppPerTest(database);
const fixture = useOwnedSpacePerTest(app);

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same token with its MAC spelled differently: 32 bytes take 43 base64url characters whose
 * last one carries 4 bits of data and 2 spare bits. Flipping a spare bit decodes to the same
 * bytes (so the MAC still checks), but it is not the string that was issued.
 */
function nonCanonical(token: string): string {
  const last = BASE64URL.indexOf(token.at(-1)!);
  return `${token.slice(0, -1)}${BASE64URL[last ^ 1]}`;
}

async function session(auth: string): Promise<string> {
  const response = await app().http.post('/sessions').set('Authorization', auth);
  expect(response.status).toBe(201);
  return response.body.token as string;
}

describe('authentication', () => {
  it('when the user is unknown, then the request still costs one password hash (no username enumeration by timing)', async () => {
    // A spy at the explicit dependency boundary: createApp's passwordHashing.
    const hashes: string[] = [];
    const spy: PasswordHashing = {
      hash: (password) => fastHashing.hash(password),
      verify: (password, stored) => {
        hashes.push('verify');
        return fastHashing.verify(password, stored);
      },
      verifyNothing: (password) => {
        hashes.push('verifyNothing');
        return fastHashing.verifyNothing(password);
      },
    };
    const spied = await startApp(database().db, { deps: { passwordHashing: spy } });
    try {
      const unknown = await spied.http.get('/logs').set('Authorization', `Basic ${Buffer.from(`${uniqueName()}:whatever-password`).toString('base64')}`);
      expect(unknown.status).toBe(401);
      expect(hashes).toEqual(['verifyNothing']);
      const known = await registerUser(spied);
      hashes.length = 0;
      const wrong = await spied.http.get('/logs').set('Authorization', `Basic ${Buffer.from(`${known.username}:not-the-password`).toString('base64')}`);
      expect(wrong.status).toBe(401);
      expect(hashes).toEqual(['verify']);
    } finally {
      await spied.close();
    }
  });

  it.each(['Token', 'Digest', 'Bearerx', 'MAC'])('when a valid session token comes with the %s scheme, then it is not a Bearer login (401)', async (scheme) => {
    const token = await session(fixture.owner.auth);
    expect((await app().http.get('/logs').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const response = await app().http.get('/logs').set('Authorization', `${scheme} ${token}`);
    expect(response.status).toBe(401);
  });

  it('when a session token\'s MAC is spelled non-canonically (a spare bit set), then it is no login (401)', async () => {
    const token = await session(fixture.owner.auth);
    const respelled = nonCanonical(token);
    expect(Buffer.from(respelled.split('.')[1]!, 'base64url')).toEqual(Buffer.from(token.split('.')[1]!, 'base64url'));
    expect((await app().http.get('/logs').set('Authorization', `Bearer ${respelled}`)).status).toBe(401);
  });
});

describe('capabilities', () => {
  it('when a capability\'s MAC is spelled non-canonically, then 403 for the request and for sharing', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'canonical only');
    const [path, token] = posted.uri.split('?access_token=') as [string, string];
    const respelled = `${path}?access_token=${nonCanonical(token)}`;
    expect((await app().http.get(posted.uri).set('Authorization', fixture.owner.auth)).status).toBe(200);
    expect((await app().http.get(respelled).set('Authorization', fixture.owner.auth)).status).toBe(403);
    const friend = await registerUser(app());
    expect((await app().http.post('/share').send({ uri: respelled, user: friend.username })).status).toBe(403);
  });

  it('when a capability is used at its exact expiry instant, then 403 (valid only before it); a millisecond earlier it works', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'expires on the dot');
    // The message's rd capability lives 5 minutes from the (test) clock's instant of posting.
    app().clock.advance(5 * 60 * 1000 - 1);
    expect((await app().http.get(posted.uri).set('Authorization', fixture.owner.auth)).status).toBe(200);
    app().clock.advance(1);
    const atExpiry = await app().http.get(posted.uri).set('Authorization', fixture.owner.auth);
    expect(atExpiry.status).toBe(403);
    expect(atExpiry.body).toEqual({ error: 'forbidden' });
  });

  it('when a capability is shared at its exact expiry instant, then 403', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'shared on the dot');
    const friend = await registerUser(app());
    app().clock.advance(5 * 60 * 1000);
    expect((await app().http.post('/share').send({ uri: posted.uri, user: friend.username })).status).toBe(403);
  });
});
