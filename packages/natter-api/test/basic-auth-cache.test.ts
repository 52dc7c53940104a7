/**
 * Issue 13, the Basic credential cache seen from outside: the real app on loopback and the test
 * database (real PostgreSQL with NATTER_TEST_DATABASE_URL). scrypt runs are counted at
 * createApp's passwordHashing boundary — never timed (timing belongs to the benchmark).
 */
import './support/timeouts.js';
import { describe, expect, it } from 'vitest';
import { createCredentialCache } from '../src/security/credential-cache.js';
import { scryptPasswordHashing, type PasswordHashing } from '../src/security/password-hashing.js';
import { useAppsPerTest, useTestDatabase } from './support/lifecycle.js';
import { basic, fastHashing, PASSWORD, registerUser, testClock, uniqueName, type TestApp } from './support/harness.js';

const database = useTestDatabase();

/** createApp's passwordHashing, counting what each request costs. */
function countingHashing(inner: PasswordHashing = fastHashing) {
  const calls = { verify: 0, verifyNothing: 0 };
  const hashing: PasswordHashing = {
    hash: (password) => inner.hash(password),
    verify: (password, stored) => {
      calls.verify += 1;
      return inner.verify(password, stored);
    },
    verifyNothing: (password) => {
      calls.verifyNothing += 1;
      return inner.verifyNothing(password);
    },
  };
  return { hashing, calls };
}

const start = useAppsPerTest(database);

const status = async (app: TestApp, auth: string) => (await app.http.get('/logs').set('Authorization', auth)).status;

describe('Basic credential cache', () => {
  it('when a known user repeats Basic requests, then the password is verified once, not per request', async () => {
    const { hashing, calls } = countingHashing();
    const app = await start({ deps: { passwordHashing: hashing } });
    const user = await registerUser(app);
    for (let request = 0; request < 5; request += 1) expect(await status(app, user.auth)).toBe(200);
    expect(calls).toEqual({ verify: 1, verifyNothing: 0 });
  });

  it('when a cached user sends a wrong password, then each attempt costs a full verification and answers 401, and the right one still hits', async () => {
    const { hashing, calls } = countingHashing();
    const app = await start({ deps: { passwordHashing: hashing } });
    const user = await registerUser(app);
    expect(await status(app, user.auth)).toBe(200);
    for (const [attempt, guess] of ['wrong password', `${PASSWORD}x`, PASSWORD.slice(1)].entries()) {
      expect(await status(app, basic(user.username, guess))).toBe(401);
      expect(calls.verify).toBe(2 + attempt);
    }
    expect(await status(app, user.auth)).toBe(200);
    expect(calls).toEqual({ verify: 4, verifyNothing: 0 });
  });

  it('when the user is unknown, then every request still runs verifyNothing (no enumeration by timing)', async () => {
    const { hashing, calls } = countingHashing();
    const app = await start({ deps: { passwordHashing: hashing } });
    const stranger = basic(uniqueName(), PASSWORD);
    for (let request = 0; request < 3; request += 1) expect(await status(app, stranger)).toBe(401);
    expect(calls).toEqual({ verify: 0, verifyNothing: 3 });
  });

  it('when the stored password hash changes under two replicas, then neither honours the old password again and both accept the new one', async () => {
    const counted = [countingHashing(), countingHashing()];
    const replicas = [await start({ deps: { passwordHashing: counted[0]!.hashing } }), await start({ deps: { passwordHashing: counted[1]!.hashing } })];
    const user = await registerUser(replicas[0]!);
    for (const replica of replicas) expect(await status(replica, user.auth)).toBe(200);
    // A change made elsewhere (another replica, an administrator): only the row tells.
    await database().owner.query('UPDATE users SET pw_hash = $1 WHERE user_id = $2', [await fastHashing.hash('a brand new password'), user.username]);
    for (const [index, replica] of replicas.entries()) {
      expect(await status(replica, user.auth)).toBe(401);
      expect(await status(replica, basic(user.username, 'a brand new password'))).toBe(200);
      expect(await status(replica, basic(user.username, 'a brand new password'))).toBe(200);
      expect(counted[index]!.calls.verify).toBe(3);
    }
  });

  it('when an account is deleted, then its cached password no longer authenticates', async () => {
    const { hashing, calls } = countingHashing();
    const app = await start({ deps: { passwordHashing: hashing } });
    const user = await registerUser(app);
    expect(await status(app, user.auth)).toBe(200);
    await database().owner.query('DELETE FROM users WHERE user_id = $1', [user.username]);
    expect(await status(app, user.auth)).toBe(401);
    expect(calls).toEqual({ verify: 1, verifyNothing: 1 });
  });

  it('when an account is re-created under the same name, then the cache forgets the old one at once', async () => {
    const credentialCache = createCredentialCache({ ttlMs: 300_000, maxEntries: 100, clock: testClock() });
    const app = await start({ deps: { credentialCache } });
    const user = await registerUser(app);
    expect(await status(app, user.auth)).toBe(200);
    expect(credentialCache.size).toBe(1);
    await database().owner.query('DELETE FROM users WHERE user_id = $1', [user.username]);
    expect((await app.http.post('/users').send({ username: user.username, password: 'the second account' })).status).toBe(201);
    expect(credentialCache.size).toBe(0);
    expect(await status(app, user.auth)).toBe(401);
    expect(await status(app, basic(user.username, 'the second account'))).toBe(200);
  });

  it('when BASIC_AUTH_CACHE_TTL_SECONDS has passed since the verification, then the next request verifies in full', async () => {
    const { hashing, calls } = countingHashing();
    const clock = testClock();
    const app = await start({ env: { BASIC_AUTH_CACHE_TTL_SECONDS: '60' }, clock, deps: { passwordHashing: hashing } });
    const user = await registerUser(app);
    expect(await status(app, user.auth)).toBe(200);
    clock.advance(59_999);
    expect(await status(app, user.auth)).toBe(200);
    expect(calls.verify).toBe(1);
    clock.advance(1);
    expect(await status(app, user.auth)).toBe(200);
    expect(calls.verify).toBe(2);
  });

  it('when BASIC_AUTH_CACHE_TTL_SECONDS is 0, then every Basic request verifies in full', async () => {
    const { hashing, calls } = countingHashing();
    const app = await start({ env: { BASIC_AUTH_CACHE_TTL_SECONDS: '0' }, deps: { passwordHashing: hashing } });
    const user = await registerUser(app);
    for (let request = 0; request < 3; request += 1) expect(await status(app, user.auth)).toBe(200);
    expect(calls.verify).toBe(3);
  });

  it('when wrong passwords fill the hashing gate, then they get 503 while cached logins pass without waiting for it', async () => {
    // Real scrypt, one hash at a time and one waiting: misses queue at the gate, hits never reach it.
    const app = await start({ deps: { passwordHashing: scryptPasswordHashing({ N: 16384, r: 8, p: 1 }, { maxConcurrent: 1, maxQueued: 1 }) } });
    const user = await registerUser(app);
    expect(await status(app, user.auth)).toBe(200);
    const wrong = Array.from({ length: 6 }, () => status(app, basic(user.username, 'wrong password')));
    const cached = Array.from({ length: 6 }, () => status(app, user.auth));
    const [wrongStatuses, cachedStatuses] = await Promise.all([Promise.all(wrong), Promise.all(cached)]);
    expect(cachedStatuses).toEqual(Array(6).fill(200));
    expect(wrongStatuses.filter((code) => code === 503).length).toBeGreaterThanOrEqual(1);
    expect(wrongStatuses.every((code) => code === 401 || code === 503)).toBe(true);
  });
});
