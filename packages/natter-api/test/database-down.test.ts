import './support/timeouts.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, type Database } from '../src/db/database.js';
import { createPostgresDatabase } from '../src/db/postgres.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { expectSecurityHeaders, PASSWORD, startApp, uniqueName, type TestApp } from './support/harness.js';
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

  it.skipIf(process.env['NATTER_TEST_DATABASE_URL'] === undefined)(
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
});
