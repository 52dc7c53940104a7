import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createCredentialCache, credentialsFingerprint, storedHashFingerprint, type VerifyPassword } from '../src/security/credential-cache.js';
import { testClock } from './support/harness.js';

// The real timingSafeEqual, counted: every comparison of fingerprints must go through it.
const compared = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.count += 1;
      return crypto.timingSafeEqual(a, b);
    },
  };
});

const TTL_MS = 60_000;
const STORED = '$scrypt$N=1024,r=8,p=1$c2FsdA$a2V5';
const RIGHT = 'correct horse battery staple';

/** A stand-in for scrypt that counts its calls: a password is right when it is the one given. */
function countingVerifier(right = RIGHT): VerifyPassword & { calls: number } {
  const verify = Object.assign(
    async (password: string) => {
      verify.calls += 1;
      return password === right;
    },
    { calls: 0 },
  );
  return verify;
}

function cache(options: { ttlMs?: number; maxEntries?: number } = {}) {
  const clock = testClock(0);
  return { clock, cache: createCredentialCache({ ttlMs: options.ttlMs ?? TTL_MS, maxEntries: options.maxEntries ?? 100, clock }) };
}

describe('credential cache', () => {
  it('when the same credentials come again within the TTL, then no second full verification', async () => {
    const { cache: credentials } = cache();
    const verify = countingVerifier();
    for (let attempt = 0; attempt < 5; attempt += 1) expect(await credentials.verify('alice', RIGHT, STORED, verify)).toBe(true);
    expect(verify.calls).toBe(1);
  });

  it('when a verification fails, then it is not remembered: every wrong password costs a full verification', async () => {
    const { cache: credentials } = cache();
    const verify = countingVerifier();
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await credentials.verify('alice', 'wrong password', STORED, verify)).toBe(false);
    expect(verify.calls).toBe(3);
    expect(credentials.size).toBe(0);
  });

  it('when the user is cached and a wrong password comes, then it still costs a full verification and the entry stays', async () => {
    const { cache: credentials } = cache();
    const verify = countingVerifier();
    await credentials.verify('alice', RIGHT, STORED, verify);
    for (const guess of ['wrong password', `${RIGHT} `, '', RIGHT.toUpperCase()]) {
      const before = verify.calls;
      expect(await credentials.verify('alice', guess, STORED, verify)).toBe(false);
      expect(verify.calls).toBe(before + 1);
    }
    expect(await credentials.verify('alice', RIGHT, STORED, verify)).toBe(true);
    expect(verify.calls).toBe(5);
  });

  it('when a verifier fails once for the right password (e.g. a transient error), then the next attempt verifies again', async () => {
    const { cache: credentials } = cache();
    let calls = 0;
    const flaky: VerifyPassword = async () => ++calls > 1;
    expect(await credentials.verify('alice', RIGHT, STORED, flaky)).toBe(false);
    expect(await credentials.verify('alice', RIGHT, STORED, flaky)).toBe(true);
    expect(await credentials.verify('alice', RIGHT, STORED, flaky)).toBe(true);
    expect(calls).toBe(2);
  });

  it('when the TTL has passed since the verification, then the next request verifies in full, and hits do not extend it', async () => {
    const { cache: credentials, clock } = cache();
    const verify = countingVerifier();
    await credentials.verify('alice', RIGHT, STORED, verify);
    clock.advance(TTL_MS - 1);
    expect(await credentials.verify('alice', RIGHT, STORED, verify)).toBe(true);
    expect(verify.calls).toBe(1);
    clock.advance(1);
    expect(await credentials.verify('alice', RIGHT, STORED, verify)).toBe(true);
    expect(verify.calls).toBe(2);
  });

  it('when the stored hash differs from the one the entry was verified against, then the entry is dropped and the password verified against the new hash', async () => {
    const { cache: credentials } = cache();
    const verifications: string[] = [];
    const verify: VerifyPassword = async (password, stored) => {
      verifications.push(stored);
      return stored === STORED ? password === RIGHT : password === 'the new password';
    };
    await credentials.verify('alice', RIGHT, STORED, verify);
    const changed = '$scrypt$N=1024,r=8,p=1$bmV3c2FsdA$bmV3a2V5';
    expect(await credentials.verify('alice', RIGHT, changed, verify)).toBe(false);
    expect(credentials.size).toBe(0);
    expect(await credentials.verify('alice', 'the new password', changed, verify)).toBe(true);
    expect(verifications).toEqual([STORED, changed, changed]);
  });

  it('when a user is evicted, then the next request verifies in full', async () => {
    const { cache: credentials } = cache();
    const verify = countingVerifier();
    await credentials.verify('alice', RIGHT, STORED, verify);
    await credentials.verify('bob', RIGHT, STORED, verify);
    credentials.evict('alice');
    expect(credentials.size).toBe(1);
    await credentials.verify('alice', RIGHT, STORED, verify);
    await credentials.verify('bob', RIGHT, STORED, verify);
    expect(verify.calls).toBe(3);
  });

  it('when a user is evicted while a verification runs, then that verification does not bring the entry back', async () => {
    const { cache: credentials } = cache();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow: VerifyPassword = async (password) => {
      await held;
      return password === RIGHT;
    };
    const running = credentials.verify('alice', RIGHT, STORED, slow);
    credentials.evict('alice');
    release();
    expect(await running).toBe(true);
    expect(credentials.size).toBe(0);
  });

  it('when more users than maxEntries verify, then the least recently used entry goes first', async () => {
    const { cache: credentials } = cache({ maxEntries: 2 });
    const verify = countingVerifier();
    await credentials.verify('alice', RIGHT, STORED, verify);
    await credentials.verify('bob', RIGHT, STORED, verify);
    await credentials.verify('alice', RIGHT, STORED, verify); // alice is now the most recently used
    await credentials.verify('carol', RIGHT, STORED, verify); // pushes bob out
    expect(credentials.size).toBe(2);
    expect(verify.calls).toBe(3);
    await credentials.verify('alice', RIGHT, STORED, verify);
    expect(verify.calls).toBe(3);
    await credentials.verify('bob', RIGHT, STORED, verify);
    expect(verify.calls).toBe(4);
  });

  it('when the TTL is 0, then nothing is cached and every request verifies in full', async () => {
    const { cache: credentials } = cache({ ttlMs: 0 });
    const verify = countingVerifier();
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await credentials.verify('alice', RIGHT, STORED, verify)).toBe(true);
    expect(verify.calls).toBe(3);
    expect(credentials.size).toBe(0);
  });

  it('when concurrent requests carry the same right credentials, then they share one verification', async () => {
    const { cache: credentials } = cache();
    const verify = countingVerifier();
    const results = await Promise.all(Array.from({ length: 8 }, () => credentials.verify('alice', RIGHT, STORED, verify)));
    expect(results).toEqual(Array(8).fill(true));
    expect(verify.calls).toBe(1);
  });

  it('when concurrent requests carry the same wrong password, then each still costs its own full verification', async () => {
    const { cache: credentials } = cache();
    const verify = countingVerifier();
    const results = await Promise.all(Array.from({ length: 8 }, () => credentials.verify('alice', 'wrong password', STORED, verify)));
    expect(results).toEqual(Array(8).fill(false));
    expect(verify.calls).toBe(8);
  });

  it('when a wrong password arrives while the right one is being verified, then it does not ride on that success', async () => {
    const { cache: credentials } = cache();
    const verify = countingVerifier();
    const [right, wrong] = await Promise.all([credentials.verify('alice', RIGHT, STORED, verify), credentials.verify('alice', 'wrong password', STORED, verify)]);
    expect([right, wrong]).toEqual([true, false]);
    expect(verify.calls).toBe(2);
  });

  it('when an entry is looked up, then the fingerprints are compared with timingSafeEqual', async () => {
    const { cache: credentials } = cache();
    const verify = countingVerifier();
    await credentials.verify('alice', RIGHT, STORED, verify);
    compared.count = 0;
    expect(await credentials.verify('alice', RIGHT, STORED, verify)).toBe(true);
    expect(await credentials.verify('alice', 'wrong password', STORED, verify)).toBe(false);
    // Both fingerprints (credentials and stored hash), on the hit and on the miss.
    expect(compared.count).toBe(4);
  });

  it('fails when maxEntries is below 1 or the TTL negative', () => {
    const clock = testClock(0);
    expect(() => createCredentialCache({ ttlMs: 1000, maxEntries: 0, clock })).toThrow('maxEntries must be a whole number >= 1, got 0');
    expect(() => createCredentialCache({ ttlMs: -1, maxEntries: 10, clock })).toThrow('ttlMs must be >= 0 (0 disables the cache), got -1');
  });
});

describe('credential fingerprints', () => {
  const key = randomBytes(32);

  it('when computed, then they are HMAC-SHA-256 under the key — never the password, never an unkeyed hash', () => {
    const fingerprint = credentialsFingerprint(key, 'alice', RIGHT);
    expect(fingerprint).toEqual(createHmac('sha256', key).update(`credentials\0${5}\0alice\0${RIGHT}`).digest());
    expect(fingerprint).not.toEqual(credentialsFingerprint(randomBytes(32), 'alice', RIGHT));
    expect(fingerprint).not.toEqual(createHash('sha256').update(`credentials\0${5}\0alice\0${RIGHT}`).digest());
    expect(fingerprint.includes(Buffer.from(RIGHT))).toBe(false);
    expect(storedHashFingerprint(key, STORED)).toEqual(createHmac('sha256', key).update(`stored\0${STORED}`).digest());
  });

  it('when username and password split the same text differently, then the fingerprints differ', () => {
    expect(credentialsFingerprint(key, 'alice', 'bob:secret')).not.toEqual(credentialsFingerprint(key, 'alice\0bob', 'secret'));
    expect(credentialsFingerprint(key, 'ab', 'c')).not.toEqual(credentialsFingerprint(key, 'a', 'bc'));
  });

  it('when a password comes in another Unicode normalization form, then it has the same fingerprint (as password hashing sees it)', () => {
    expect(credentialsFingerprint(key, 'alice', 'p\u00e4ss')).toEqual(credentialsFingerprint(key, 'alice', 'pa\u0308ss'));
  });
});
