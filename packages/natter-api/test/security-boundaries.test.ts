/**
 * Issue 7, "tests that guard the security code": each test here fails for a change that mutation
 * testing showed nothing else would catch, though the behaviour is right today.
 */
import './support/timeouts.js';
import Koa from 'koa';
import pino from 'pino';
import supertest from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import type { NatterState } from '../src/context.js';
import type { Database } from '../src/db/database.js';
import { authenticate } from '../src/middleware/authenticate.js';
import { requireAuthentication, requireCapability } from '../src/middleware/authorize.js';
import { errorResponses } from '../src/middleware/error-responses.js';
import type { PasswordHashing } from '../src/security/password-hashing.js';
import { createTokenService, TOKEN_IN_TEXT } from '../src/security/tokens.js';
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

describe('authentication, more edges', () => {
  it('when a request is unauthenticated, then the 401 offers exactly both schemes', async () => {
    const response = await app().http.get('/logs');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="natter", charset="UTF-8", Bearer realm="natter"');
  });

  it('when Basic credentials name an impossible username, then 400 saying so', async () => {
    const response = await app().http.get('/logs').set('Authorization', `Basic ${Buffer.from('1bad:password').toString('base64')}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid username' });
  });

  it.each(['Basic', 'basic'])('when the header is the bare scheme %j (no space, no credentials), then 400 like any Basic value without a colon', async (header) => {
    const response = await app().http.get('/logs').set('Authorization', header);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid auth header' });
  });

  it('when a token string has the right length but its dot elsewhere (a 33-byte MAC), then no login (401), never a 500', async () => {
    const misplaced = `${'a'.repeat(26)}.${Buffer.alloc(33, 7).toString('base64url')}`;
    expect(misplaced).toHaveLength(71);
    expect((await app().http.get('/logs').set('Authorization', `Bearer ${misplaced}`)).status).toBe(401);
  });

  it('when revoking a string that is no token, then the database is not touched', async () => {
    const db = { query: vi.fn(), exec: vi.fn(), transaction: vi.fn(), close: vi.fn() } as unknown as Database;
    await createTokenService(Buffer.alloc(32, 1)).revoke(db, 'not-a-token');
    expect(db.query).not.toHaveBeenCalled();
  });
});

/** One middleware on its own, as another composition might use it (no prefetch before it). */
function alone(...stack: Koa.Middleware<NatterState>[]): supertest.Agent {
  const koa = new Koa<NatterState>();
  koa.use(errorResponses({ logger: pino({ level: 'silent' }) }));
  for (const middleware of stack) koa.use(middleware);
  koa.use((ctx) => {
    ctx.body = { user: ctx.state.user, perms: ctx.state.perms };
  });
  return supertest.agent(koa.callback());
}

describe('the middleware without prefetch', () => {
  it('when authenticate runs alone, then it looks the Bearer session up itself', async () => {
    const token = await session(fixture.owner.auth);
    const tokens = createTokenService(app().config.hmacKey!);
    const agent = alone(authenticate({ db: database().db, passwordHashing: fastHashing, tokens, clock: app().clock }), requireAuthentication());
    const response = await agent.get('/').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ user: fixture.owner.username });
  });

  it('when requireCapability runs alone, then it looks ?access_token= up itself', async () => {
    const tokens = createTokenService(app().config.hmacKey!);
    const asOwner: Koa.Middleware<NatterState> = (ctx, next) => {
      ctx.state.user = fixture.owner.username;
      return next();
    };
    const agent = alone(asOwner, requireCapability('r', { db: database().db, tokens, clock: app().clock }));
    const response = await agent.get(fixture.space['messages-r']);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ user: fixture.owner.username, perms: 'r' });
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

describe('tokens in logged text', () => {
  it('when an issued session token or capability appears in text, then the shape the logger censors finds exactly it', async () => {
    const token = await session(fixture.owner.auth);
    const capability = fixture.space.uri.split('?access_token=')[1]!;
    const text = `lookup of ${token} failed; uri /spaces/1?access_token=${capability}&x=1`;
    expect(text.match(TOKEN_IN_TEXT)).toEqual([token, capability]);
    expect(text.replace(TOKEN_IN_TEXT, '[redacted]')).toBe('lookup of [redacted] failed; uri /spaces/1?access_token=[redacted]&x=1');
  });
});
