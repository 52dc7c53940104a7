/**
 * Issue 7, defect 1, as it was found: the real server process (src/server.ts) on real PostgreSQL,
 * 20 Bearer-authenticated writes in flight, and PostgreSQL terminating the API's connections
 * (57P01, as on a restart). Only backends of this test's own database opened by the API are
 * terminated: the server is shared.
 */
import './support/timeouts.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiEnvironment,
  basicAuth,
  createSecretsDirectory,
  ENTRIES,
  freePort,
  request,
  startService,
  type HttpResponse,
  type SecretsDirectory,
  type ServiceProcess,
} from '@natter/process-harness';
import { createTestDatabase, terminateApplicationBackends, TEST_DATABASE_URL, type TestDatabase } from './support/database.js';
import { PASSWORD, uniqueName } from './support/harness.js';

const WRITERS = 20;
/** Several rounds: some crash windows are narrow (a 57P01 in the same socket chunk as a ReadyForQuery). */
const MIN_ROUNDS = 5;
const MAX_ROUNDS = 10;
/** What src/db/postgres.ts names its connections. */
const APPLICATION_NAME = 'natter-api';

describe.skipIf(TEST_DATABASE_URL === undefined)('connections lost under write load (real server process, real PostgreSQL)', () => {
  let database: TestDatabase;
  let secrets: SecretsDirectory;
  let api: ServiceProcess;
  let host: string;
  const output: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    secrets = await createSecretsDirectory('natter-connections-lost-');
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    api = await startService({
      name: 'natter-api',
      entry: ENTRIES.api,
      env: await apiEnvironment({
        port,
        bindAddress: '127.0.0.1',
        allowedHosts: [host],
        database: database.api,
        secrets,
        extra: {
          RATE_LIMIT_GLOBAL_PER_SECOND: '100000',
          RATE_LIMIT_PER_ADDRESS_PER_SECOND: '100000',
          RATE_LIMIT_PER_USER_PER_SECOND: '100000',
        },
      }),
      onLine: (line) => output.push(line),
      startTimeoutMs: 60_000,
    });
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await secrets?.remove();
    await database?.close();
  });

  const call = (path: string, options: { method?: string; auth?: string; json?: unknown } = {}): Promise<HttpResponse> =>
    request(`${api.url}${path}`, {
      method: options.method ?? (options.json === undefined ? 'GET' : 'POST'),
      headers: { Host: host, ...(options.auth === undefined ? {} : { Authorization: options.auth }) },
      json: options.json,
      timeoutMs: 20_000,
    });

  it('when PostgreSQL terminates the API connections while 20 Bearer writes are in flight, then the process lives, each write gets 201 or 503 + Retry-After, and later writes succeed', async () => {
    const username = uniqueName();
    expect((await call('/users', { json: { username, password: PASSWORD } })).status).toBe(201);
    const basic = basicAuth(username, PASSWORD);
    const space = await call('/spaces', { auth: basic, json: { name: uniqueName('space'), owner: username } });
    expect(space.status).toBe(201);
    const capability = space.json<{ 'messages-rw': string }>()['messages-rw'];
    const session = await call('/sessions', { method: 'POST', auth: basic });
    expect(session.status).toBe(201);
    const bearer = `Bearer ${session.json<{ token: string }>().token}`;
    const write = (message: string): Promise<HttpResponse> => call(capability, { auth: bearer, json: { author: username, message } });

    const statuses: number[] = [];
    let terminated = 0;
    // At least MIN_ROUNDS, and on until a termination has hit a request in flight (one round almost always does).
    for (let round = 0; round < MAX_ROUNDS && (round < MIN_ROUNDS || !statuses.includes(503)); round += 1) {
      const writes = Array.from({ length: WRITERS }, (_, index) => write(`round ${round} writer ${index}`));
      // Let the writes check connections out, then end every one of them, twice (mid-statement and between statements).
      await new Promise((resolve) => setTimeout(resolve, 20));
      terminated += await terminateApplicationBackends(database.api!.database, APPLICATION_NAME);
      await new Promise((resolve) => setTimeout(resolve, 10));
      terminated += await terminateApplicationBackends(database.api!.database, APPLICATION_NAME);
      const settled = await Promise.allSettled(writes);
      // A dead process shows as hung-up requests: give its exit a moment to arrive, then say so with its last words.
      if (settled.some((outcome) => outcome.status === 'rejected')) await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(api.child.exitCode, api.recentOutput()).toBeNull();
      for (const outcome of settled) {
        expect(outcome.status, outcome.status === 'rejected' ? String(outcome.reason) : '').toBe('fulfilled');
        const response = (outcome as PromiseFulfilledResult<HttpResponse>).value;
        statuses.push(response.status);
        if (response.status === 503) {
          expect(response.headers['retry-after']).toBe('1');
          expect(response.json()).toEqual({ error: 'service unavailable' });
        } else {
          expect(response.status, response.body).toBe(201);
        }
      }
    }
    expect(terminated).toBeGreaterThan(0);
    // Otherwise the fault never met a request in flight and this test proved nothing.
    expect(statuses).toContain(503);

    // Recovered without a restart: the broken connections were discarded, not handed out again.
    const later = await Promise.all(Array.from({ length: WRITERS }, (_, index) => write(`after ${index}`)));
    expect(later.map((response) => response.status)).toEqual(Array(WRITERS).fill(201));
    expect((await call('/ready')).status).toBe(200);
    expect(api.child.exitCode).toBeNull();
    expect(api.child.signalCode).toBeNull();
    // Every line the process wrote is JSON: no uncaught exception or warning on stderr.
    expect(output.filter((line) => !line.startsWith('{'))).toEqual([]);
  }, 120_000);
});
