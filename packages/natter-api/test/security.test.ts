import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clientAddressResolver } from '../src/middleware/client-address.js';
import { TokenBuckets } from '../src/middleware/token-buckets.js';
import { PRODUCTION_SCRYPT_COST, scryptPasswordHashing } from '../src/security/password-hashing.js';
import { createTokenService } from '../src/security/tokens.js';
import type { Queryable } from '../src/db/database.js';

describe('password hashing', () => {
  it('when hashing at the contract\'s cost (N=32768, r=8, p=1), then it works despite Node\'s default maxmem and verifies', async () => {
    expect(PRODUCTION_SCRYPT_COST).toEqual({ N: 32768, r: 8, p: 1 });
    const hashing = scryptPasswordHashing();
    const hash = await hashing.hash('password');
    expect(hash).toMatch(/^\$scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashing.verify('password', hash)).toBe(true);
    expect(await hashing.verify('Password', hash)).toBe(false);
  });

  it('when the same password is hashed twice, then the salts differ', async () => {
    const hashing = scryptPasswordHashing({ N: 1024, r: 8, p: 1 });
    const [first, second] = await Promise.all([hashing.hash('same'), hashing.hash('same')]);
    expect(first).not.toBe(second);
  });

  it('when a stored hash is malformed or asks for absurd cost, then verify is false without deriving', async () => {
    const hashing = scryptPasswordHashing({ N: 1024, r: 8, p: 1 });
    const salt = randomBytes(16).toString('base64url');
    const key = randomBytes(32).toString('base64url');
    for (const stored of ['', 'plain', `$scrypt$N=1000,r=8,p=1$${salt}$${key}`, `$scrypt$N=${2 ** 24},r=8,p=1$${salt}$${key}`, `$scrypt$N=1024,r=8,p=1$${salt}$short`]) {
      expect(await hashing.verify('x', stored), stored).toBe(false);
    }
  });
});

describe('token service', () => {
  const memory = (): Queryable & { rows: unknown[][] } => {
    const rows: unknown[][] = [];
    return {
      rows,
      exec: async () => {},
      async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
        if (text.startsWith('INSERT')) {
          const [hashes, users, expiries, attributes] = params as string[][];
          hashes!.forEach((hash, index) => rows.push([hash, users![index], expiries![index], attributes![index]]));
          return [];
        }
        const wanted = params[0] as string[];
        return rows.filter((row) => wanted.includes(row[0] as string)).map((row) => ({ token_id: row[0], user_id: row[1], expiry: row[2], attributes: row[3] })) as Row[];
      },
    };
  };

  it('when a token is created, then the string is id.HMAC and only SHA-256(id) is stored', async () => {
    const db = memory();
    const tokens = createTokenService(randomBytes(32));
    const presented = await tokens.create(db, { user: 'alice', expiry: new Date(Date.now() + 1000), attributes: { scope: 'x' } });
    const [id] = presented.split('.');
    expect(db.rows[0]![0]).toBe(createHash('sha256').update(id!).digest('base64url'));
    expect(JSON.stringify(db.rows)).not.toContain(id);
    expect(await tokens.read(db, presented)).toMatchObject({ user: 'alice', attributes: { scope: 'x' } });
  });

  it('when the key differs, then a genuine-looking token is not even looked up', async () => {
    const db = memory();
    const presented = await createTokenService(randomBytes(32)).create(db, { user: 'a', expiry: new Date(), attributes: {} });
    let lookups = 0;
    const counting: Queryable = { ...db, query: async (...args) => { lookups += 1; return db.query(...args); } };
    expect(await createTokenService(randomBytes(32)).read(counting, presented)).toBeUndefined();
    expect(lookups).toBe(0);
  });

  it('when a string is genuine, then its stored hash is what the database holds; forged, truncated or empty strings have none', async () => {
    const db = memory();
    const tokens = createTokenService(randomBytes(32));
    const capability = await tokens.create(db, { user: 'alice', expiry: new Date(Date.now() + 1000), attributes: { path: '/spaces/1', perms: 'r' } });
    const forged = `${capability.slice(0, -1)}${capability.endsWith('A') ? 'B' : 'A'}`;

    expect(tokens.storedHash(capability)).toBe(db.rows[0]![0]);
    for (const other of [forged, capability.slice(0, -1), '', `${capability}A`]) expect(tokens.storedHash(other), other).toBeUndefined();
  });
});

describe('client address', () => {
  it('when the peer is not a trusted proxy, then X-Forwarded-For is ignored', () => {
    const resolve = clientAddressResolver(['10.0.0.0/8']);
    expect(resolve('192.0.2.7', '203.0.113.1')).toBe('192.0.2.7');
    expect(resolve('::ffff:192.0.2.7', undefined)).toBe('192.0.2.7');
  });

  it('when the peer is trusted, then the rightmost untrusted hop is the client', () => {
    const resolve = clientAddressResolver(['10.0.0.0/8', 'fd00::/8']);
    expect(resolve('10.1.2.3', '198.51.100.1, 203.0.113.9, 10.9.9.9')).toBe('203.0.113.9');
    expect(resolve('fd00::1', '2001:db8::5')).toBe('2001:db8::5');
    expect(resolve('10.1.2.3', 'not-an-ip')).toBe('10.1.2.3');
    expect(resolve('10.1.2.3', '10.0.0.1')).toBe('10.0.0.1');
  });
});

describe('token buckets', () => {
  it('when a key drains its burst, then it waits for the refill, and Retry-After rounds up', () => {
    const buckets = new TokenBuckets({ perSecond: 2, burst: 2 });
    expect(buckets.take('a', 0)).toEqual({ allowed: true });
    expect(buckets.take('a', 0)).toEqual({ allowed: true });
    expect(buckets.take('a', 0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(buckets.take('b', 0)).toEqual({ allowed: true });
    expect(buckets.take('a', 500)).toEqual({ allowed: true });
  });

  it('when more keys arrive than it may hold, then the least recently used is forgotten', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, 2);
    buckets.take('a', 0);
    buckets.take('b', 0);
    buckets.take('c', 0);
    expect(buckets.take('a', 0)).toEqual({ allowed: true });
    expect(buckets.take('c', 0)).toMatchObject({ allowed: false });
  });
});
