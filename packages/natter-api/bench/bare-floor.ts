/**
 * The floor the API is compared against: bare Koa plus one SELECT of a message, with no rate
 * limit, Host check, authentication, audit or security headers. Run as its own process by the
 * benchmark, against the API's PostgreSQL database (as the API role) or, when the API runs on the
 * embedded database, against an embedded PGlite of its own holding one message.
 *
 * Environment: FLOOR_DATABASE_URL (postgres://…; unset → embedded), FLOOR_SPACE_ID, FLOOR_MSG_ID.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import pg from 'pg';

type Select = (spaceId: number, msgId: number) => Promise<unknown[]>;

const SELECT_MESSAGE = 'SELECT author, msg_time, msg_text FROM messages WHERE space_id = $1 AND msg_id = $2';

async function postgresSelect(url: string): Promise<Select> {
  // The API's default pool size, so both sides get the same number of connections.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return async (spaceId, msgId) => (await pool.query(SELECT_MESSAGE, [spaceId, msgId])).rows;
}

async function embeddedSelect(spaceId: number, msgId: number): Promise<Select> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create();
  await db.exec(`CREATE TABLE messages (space_id INT NOT NULL, msg_id INT PRIMARY KEY, author TEXT NOT NULL,
    msg_time TIMESTAMPTZ NOT NULL DEFAULT now(), msg_text TEXT NOT NULL)`);
  await db.query('INSERT INTO messages (space_id, msg_id, author, msg_text) VALUES ($1, $2, $3, $4)', [spaceId, msgId, 'bench', 'no links here']);
  return async (space, msg) => (await db.query(SELECT_MESSAGE, [space, msg])).rows;
}

const spaceId = Number(process.env['FLOOR_SPACE_ID'] ?? '1');
const msgId = Number(process.env['FLOOR_MSG_ID'] ?? '1');
const url = process.env['FLOOR_DATABASE_URL'];
const select = url === undefined || url === '' ? await embeddedSelect(spaceId, msgId) : await postgresSelect(url);

const app = new Koa();
app.use(async (ctx) => {
  const match = /^\/spaces\/(\d+)\/messages\/(\d+)$/.exec(ctx.path);
  if (ctx.method !== 'GET' || match === null) return;
  const [row] = await select(Number(match[1]), Number(match[2]));
  if (row !== undefined) ctx.body = row;
});
const server = createServer(app.callback());
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
