import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { privatePostgresSupport, startPrivatePostgres } from '../src/index.js';

const support = await privatePostgresSupport();
if (!support.available) console.warn(`private PostgreSQL tests skipped: ${support.reason}`);

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!support.available)('a private PostgreSQL cluster', () => {
  it('when it is killed (SIGKILL to the postmaster) or stopped immediately, then it refuses connections, and after start it has every committed row', async () => {
    const server = await startPrivatePostgres();
    try {
      expect(server.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
      await query(server.url, 'CREATE TABLE survivors (id int PRIMARY KEY)');
      await query(server.url, 'INSERT INTO survivors VALUES (1)');
      await server.stop('kill');
      await expect(query(server.url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
      await server.start();
      await query(server.url, 'INSERT INTO survivors VALUES (2)');
      await server.stop('immediate');
      await expect(query(server.url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
      await server.start();
      expect(await query(server.url, 'SELECT id FROM survivors ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
      // Password authentication, not trust: a wrong password is refused.
      await expect(query(server.url.replace(/:[^:@/]+@/, ':wrong@'), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    } finally {
      await server.close();
    }
    expect(existsSync(server.directory)).toBe(false);
  });
});
