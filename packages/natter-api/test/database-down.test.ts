import './support/timeouts.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, type Database } from '../src/db/database.js';
import { createPostgresDatabase } from '../src/db/postgres.js';
import { createTestDatabase, terminateBackends, TEST_DATABASE_URL, type TestDatabase } from './support/database.js';
import { createSpace, expectSecurityHeaders, PASSWORD, registerUser, startApp, uniqueName, type TestApp } from './support/harness.js';
import { startCuttableProxy } from './support/tcp-proxy.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

async function expectDown(app: TestApp): Promise<void> {
  const ready = await app.http.get('/ready');
  expect(ready.status).toBe(503);
  expect(ready.body).toEqual({ error: 'database unavailable' });
  const write = await app.http.post('/users').send({ username: uniqueName(), password: PASSWORD });
  expect(write.status).toBe(503);
  expect(write.body).toEqual({ error: 'service unavailable' });
  expect(write.headers['retry-after']).toBe('1');
  expectSecurityHeaders(write, expect);
  // Liveness stays green: restarting the pod would not bring the database back.
  expect((await app.http.get('/health')).status).toBe(200);
}

async function expectUp(app: TestApp): Promise<void> {
  expect((await app.http.get('/ready')).status).toBe(200);
  expect((await app.http.post('/users').send({ username: uniqueName(), password: PASSWORD })).status).toBe(201);
}

describe('database outage', () => {
  it('when the database fails with connection errors, then 503 and recovery as soon as it answers again', async () => {
    let down = false;
    const flaky: Database = {
      query: (text, params) => (down ? Promise.reject(new DatabaseUnavailableError(new Error('ECONNREFUSED'))) : database.db.query(text, params)),
      exec: (script) => database.db.exec(script),
      transaction: (work) => (down ? Promise.reject(new DatabaseUnavailableError(new Error('ECONNREFUSED'))) : database.db.transaction(work)),
      close: async () => {},
    };
    const app = await startApp(flaky);
    try {
      await expectUp(app);
      down = true;
      await expectDown(app);
      down = false;
      await expectUp(app);
    } finally {
      await app.close();
    }
  });

  it.skipIf(TEST_DATABASE_URL === undefined)(
    'when the network to real PostgreSQL is cut, then 503; when it is restored, then the pool reconnects without a restart',
    async () => {
      const api = database.api!;
      const proxy = await startCuttableProxy({ host: api.host, port: api.port });
      const pool = createPostgresDatabase({ ...api, host: '127.0.0.1', port: proxy.port, connectTimeoutMs: 500, logger: pino({ level: 'silent' }) });
      const app = await startApp(pool);
      try {
        await expectUp(app);
        proxy.cut();
        await expectDown(app);
        proxy.restore();
        await expectUp(app);
      } finally {
        await app.close();
        await pool.close();
        await proxy.close();
      }
    },
  );

  it.skipIf(TEST_DATABASE_URL === undefined)(
    'when PostgreSQL terminates the connection a write transaction holds, then that request gets 503 + Retry-After, nothing crashes and the next write succeeds',
    async () => {
      // Node turns an 'error' event without a listener into an uncaught exception: record any.
      const uncaught: unknown[] = [];
      const record = (error: unknown): void => void uncaught.push(error);
      process.on('uncaughtException', record);
      const pool = createPostgresDatabase({ ...database.api!, logger: pino({ level: 'silent' }) });
      let terminateNextTransaction = false;
      const terminated: number[] = [];
      // The connection dies between two statements of the transaction, as under a restart with writes in flight.
      const dying: Database = {
        query: (text, params) => pool.query(text, params),
        exec: (script) => pool.exec(script),
        close: () => pool.close(),
        transaction: (work) =>
          pool.transaction(async (tx) => {
            if (terminateNextTransaction) {
              terminateNextTransaction = false;
              const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
              terminated.push(row!.pid);
              await terminateBackends([row!.pid]);
              // Let the client see the server's goodbye (57P01) and the closed socket before the next statement.
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
            return work(tx);
          }),
      };
      const app = await startApp(dying);
      try {
        const owner = await registerUser(app);
        const space = await createSpace(app, owner);
        terminateNextTransaction = true;
        const lost = await app.http.post(space['messages-rw']).set('Authorization', owner.auth).send({ author: owner.username, message: 'in flight' });
        expect(terminated).toHaveLength(1);
        expect(lost.status).toBe(503);
        expect(lost.headers['retry-after']).toBe('1');
        expect(lost.body).toEqual({ error: 'service unavailable' });
        expectSecurityHeaders(lost, expect);
        const next = await app.http.post(space['messages-rw']).set('Authorization', owner.auth).send({ author: owner.username, message: 'after' });
        expect(next.status).toBe(201);
        const [fresh] = await pool.transaction((tx) => tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'));
        expect(fresh?.pid).not.toBe(terminated[0]);
        expect(uncaught).toEqual([]);
      } finally {
        process.off('uncaughtException', record);
        await app.close();
        await pool.close();
      }
    },
  );
});
