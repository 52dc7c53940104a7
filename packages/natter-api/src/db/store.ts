import type { Queryable } from './database.js';

// Every statement the API runs lives here, so least privilege is reviewable in one file.

export interface StoredToken {
  readonly user: string;
  readonly expiry: Date;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface StoredMessage {
  readonly author: string;
  readonly time: Date;
  readonly text: string;
}

export interface AuditRow {
  readonly id: number;
  readonly method: string;
  readonly path: string;
  readonly user: string | null;
  readonly status: number | null;
  readonly time: Date;
}

export interface AuditEntry {
  readonly id: number;
  readonly method: string;
  readonly path: string;
  readonly user: string | undefined;
  /** Where the request came from (the resolved client address; stored, not served by GET /logs). */
  readonly client: string | undefined;
  readonly status?: number;
}

const asDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

/** The cheapest round trip: does the database answer at all? */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

export async function insertUser(db: Queryable, username: string, passwordHash: string): Promise<void> {
  await db.query('INSERT INTO users(user_id, pw_hash) VALUES ($1, $2)', [username, passwordHash]);
}

export async function findPasswordHash(db: Queryable, username: string): Promise<string | undefined> {
  const rows = await db.query<{ pw_hash: string }>('SELECT pw_hash FROM users WHERE user_id = $1', [username]);
  return rows[0]?.pw_hash;
}

/** Creates the space and makes its creator the owner. Call inside a transaction. */
export async function insertSpace(tx: Queryable, name: string, owner: string): Promise<number> {
  const [row] = await tx.query<{ id: number }>("SELECT nextval('space_id_seq') AS id");
  const spaceId = Number(row?.id);
  await tx.query('INSERT INTO spaces(space_id, name, owner) VALUES ($1, $2, $3)', [spaceId, name, owner]);
  await tx.query('INSERT INTO user_roles(space_id, user_id, role_id) VALUES ($1, $2, $3)', [spaceId, owner, 'owner']);
  return spaceId;
}

export async function insertMessage(db: Queryable, spaceId: number, author: string, text: string, time: Date): Promise<number> {
  const [row] = await db.query<{ msg_id: number }>(
    "INSERT INTO messages(space_id, msg_id, author, msg_text, msg_time) VALUES ($1, nextval('msg_id_seq'), $2, $3, $4) RETURNING msg_id",
    [spaceId, author, text, time.toISOString()],
  );
  return Number(row?.msg_id);
}

/** The messages with the given ids, in input order (undefined where none is stored). */
export async function findMessages(db: Queryable, keys: readonly { readonly spaceId: number; readonly msgId: number }[]): Promise<(StoredMessage | undefined)[]> {
  const rows = await db.query<{ n: number; author: string; msg_time: unknown; msg_text: string }>(
    `SELECT k.n, m.author, m.msg_time, m.msg_text
     FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(space_id, msg_id, n)
     JOIN messages m ON m.space_id = k.space_id AND m.msg_id = k.msg_id`,
    [keys.map((key) => key.spaceId), keys.map((key) => key.msgId)],
  );
  const found = new Map(rows.map((row) => [Number(row.n), { author: row.author, time: asDate(row.msg_time), text: row.msg_text }]));
  return keys.map((_, index) => found.get(index + 1));
}

export async function listMessageIds(db: Queryable, spaceId: number, since: Date): Promise<number[]> {
  const rows = await db.query<{ msg_id: number }>(
    'SELECT msg_id FROM messages WHERE space_id = $1 AND msg_time >= $2 ORDER BY msg_time, msg_id',
    [spaceId, since.toISOString()],
  );
  return rows.map((row) => Number(row.msg_id));
}

/** @returns whether a message was deleted */
export async function deleteMessage(db: Queryable, spaceId: number, msgId: number): Promise<boolean> {
  const rows = await db.query('DELETE FROM messages WHERE space_id = $1 AND msg_id = $2 RETURNING msg_id', [spaceId, msgId]);
  return rows.length > 0;
}

/** Adds roles idempotently (ON CONFLICT DO NOTHING needs only INSERT). */
export async function insertMemberRoles(db: Queryable, spaceId: number, username: string, roles: readonly string[]): Promise<void> {
  await db.query(
    'INSERT INTO user_roles(space_id, user_id, role_id) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING',
    [spaceId, username, roles],
  );
}

export async function insertTokens(
  db: Queryable,
  tokens: readonly { readonly hash: string; readonly user: string; readonly expiry: Date; readonly attributes: object }[],
): Promise<void> {
  if (tokens.length === 0) return;
  await db.query(
    `INSERT INTO tokens(token_id, user_id, expiry, attributes)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[])`,
    [
      tokens.map((token) => token.hash),
      tokens.map((token) => token.user),
      tokens.map((token) => token.expiry.toISOString()),
      tokens.map((token) => JSON.stringify(token.attributes)),
    ],
  );
}

/** The stored tokens for the given hashes, in input order (undefined where none is stored). */
export async function findTokens(db: Queryable, hashes: readonly string[]): Promise<(StoredToken | undefined)[]> {
  const rows = await db.query<{ token_id: string; user_id: string; expiry: unknown; attributes: unknown }>(
    'SELECT token_id, user_id, expiry, attributes FROM tokens WHERE token_id = ANY($1::text[])',
    [hashes],
  );
  const found = new Map(
    rows.map((row) => {
      const attributes = typeof row.attributes === 'string' ? JSON.parse(row.attributes) : row.attributes;
      return [row.token_id, { user: row.user_id, expiry: asDate(row.expiry), attributes: attributes as Record<string, unknown> }];
    }),
  );
  return hashes.map((hash) => found.get(hash));
}

export async function deleteToken(db: Queryable, hash: string): Promise<void> {
  await db.query('DELETE FROM tokens WHERE token_id = $1', [hash]);
}

/** @returns how many expired tokens were removed */
export async function deleteExpiredTokens(db: Queryable, now: Date): Promise<number> {
  const rows = await db.query('DELETE FROM tokens WHERE expiry < $1 RETURNING 1', [now.toISOString()]);
  return rows.length;
}

/** A start row (no status yet) or an end row (the start's id, with the final status). */
export type AuditWrite =
  | { readonly kind: 'start'; readonly entry: Omit<AuditEntry, 'id'> & { readonly time: Date } }
  | { readonly kind: 'end'; readonly entry: AuditEntry & { readonly time: Date } };

/**
 * Writes start and end rows in one statement; returns the new audit id of each start row (undefined
 * for end rows), in input order.
 */
export async function insertAuditRows(db: Queryable, writes: readonly AuditWrite[]): Promise<(number | undefined)[]> {
  const starts = writes.flatMap((write) => (write.kind === 'start' ? [write.entry] : []));
  const ends = writes.flatMap((write) => (write.kind === 'end' ? [write.entry] : []));
  // `numbered` calls nextval() and so is evaluated exactly once; WITH ORDINALITY maps ids back to inputs.
  const rows = await db.query<{ n: number; id: number }>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) WITH ORDINALITY AS x(method, path, user_id, at, client, n)
     ), numbered AS (
       SELECT n, nextval('audit_id_seq') AS id, method, path, user_id, at, client FROM input
     ), inserted AS (
       INSERT INTO audit_log(audit_id, method, path, user_id, status, audit_time, client_address)
       SELECT id, method, path, user_id, NULL, at, client FROM numbered
       UNION ALL
       SELECT * FROM unnest($6::bigint[], $7::text[], $8::text[], $9::text[], $10::int[], $11::timestamptz[], $12::text[])
     )
     SELECT n, id FROM numbered`,
    [
      starts.map((entry) => entry.method),
      starts.map((entry) => entry.path),
      starts.map((entry) => entry.user ?? null),
      starts.map((entry) => entry.time.toISOString()),
      starts.map((entry) => entry.client ?? null),
      ends.map((entry) => entry.id),
      ends.map((entry) => entry.method),
      ends.map((entry) => entry.path),
      ends.map((entry) => entry.user ?? null),
      ends.map((entry) => entry.status ?? null),
      ends.map((entry) => entry.time.toISOString()),
      ends.map((entry) => entry.client ?? null),
    ],
  );
  const ids = new Map(rows.map((row) => [Number(row.n), Number(row.id)]));
  let startIndex = 0;
  return writes.map((write) => (write.kind === 'start' ? ids.get((startIndex += 1))! : undefined));
}

export async function recentAuditRows(db: Queryable, since: Date, limit: number): Promise<AuditRow[]> {
  const rows = await db.query<{ audit_id: number; method: string; path: string; user_id: string | null; status: number | null; audit_time: unknown }>(
    `SELECT audit_id, method, path, user_id, status, audit_time FROM audit_log
     WHERE audit_time >= $1 ORDER BY audit_time DESC, audit_id DESC, status DESC NULLS LAST LIMIT $2`,
    [since.toISOString(), limit],
  );
  return rows.map((row) => ({
    id: Number(row.audit_id),
    method: row.method,
    path: row.path,
    user: row.user_id,
    status: row.status === null ? null : Number(row.status),
    time: asDate(row.audit_time),
  }));
}
