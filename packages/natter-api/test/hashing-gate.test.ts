import './support/timeouts.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../src/http-error.js';
import { createHashingGate } from '../src/security/hashing-gate.js';
import { scryptPasswordHashing } from '../src/security/password-hashing.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { basic, expectSecurityHeaders, PASSWORD, registerUser, startApp, uniqueName } from './support/harness.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('hashing gate', () => {
  it('when more work arrives than slots, then at most maxConcurrent run and the rest start in arrival order', async () => {
    const gate = createHashingGate({ maxConcurrent: 2, maxQueued: 10 });
    const started: number[] = [];
    const releases = Array.from({ length: 5 }, deferred);
    const runs = releases.map((release, index) =>
      gate(async () => {
        started.push(index);
        await release.promise;
        return index;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    releases[1]!.resolve();
    await runs[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    for (const release of releases) release.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('when the queue is full, then the next caller gets 503 with Retry-After at once, and a failed run frees its slot', async () => {
    const gate = createHashingGate({ maxConcurrent: 1, maxQueued: 1 });
    const hold = deferred();
    const running = gate(() => hold.promise);
    const queued = gate(async () => 'queued ran');
    const refused = await gate(async () => 'never').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused).toMatchObject({ status: 503, message: 'server busy, retry later', headers: { 'Retry-After': '1' } });
    hold.resolve();
    await running;
    expect(await queued).toBe('queued ran');
    await expect(gate(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate(async () => 'slot free again')).toBe('slot free again');
  });

  it('fails when maxConcurrent is below 1', () => {
    expect(() => createHashingGate({ maxConcurrent: 0, maxQueued: 1 })).toThrow('maxConcurrent must be >= 1, got 0');
  });
});

describe('a burst of Basic logins', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  it('when more logins arrive than the gate holds, then the excess gets JSON 503 with Retry-After and none a 500', async () => {
    const app = await startApp(database.db, {
      deps: { passwordHashing: scryptPasswordHashing({ N: 16384, r: 8, p: 1 }, { maxConcurrent: 1, maxQueued: 2 }) },
    });
    try {
      const user = await registerUser(app);
      const auths = [user.auth, basic(user.username, 'wrong password'), basic(uniqueName(), PASSWORD)];
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, index) => app.http.post('/sessions').set('Authorization', auths[index % auths.length]!)),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.every((status) => [201, 401, 503].includes(status))).toBe(true);
      expect(statuses.filter((status) => status === 503).length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((status) => status !== 503).length).toBeGreaterThanOrEqual(3);
      for (const response of responses.filter((candidate) => candidate.status === 503)) {
        expect(response.body).toEqual({ error: 'server busy, retry later' });
        expect(response.headers['retry-after']).toBe('1');
        expectSecurityHeaders(response, expect);
      }
    } finally {
      await app.close();
    }
  });
});
