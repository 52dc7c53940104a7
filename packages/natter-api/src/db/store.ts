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

/** What one request asks of {@link lookUpRequests}. */
export interface RequestLookup {
  /** SHA-256 of the `Bearer` session token, when one with a genuine MAC was presented. */
  readonly sessionHash: string | undefined;
  /** SHA-256 of the `?access_token=` capability, when one with a genuine MAC was presented. */
  readonly capabilityHash: string | undefined;
  /** The instant the session's expiry (for the start row's user) and the read's capability are checked at. */
  readonly at: Date;
  /** Write the request's audit start row, its user being the session's when that is valid at `at`. */
  readonly start: { readonly method: string; readonly path: string; readonly client: string | undefined } | undefined;
  /**
   * Fetch this message, but only if the session and capability allow it: session valid with `scope`,
   * capability not expired, issued to the session's user, for the start row's path, granting `perm`.
   */
  readonly read: { readonly spaceId: number; readonly msgId: number; readonly scope: string; readonly perm: string } | undefined;
}

/** What {@link lookUpRequests} found for one request. */
export interface RequestFound {
  readonly session: StoredToken | undefined;
  readonly capability: StoredToken | undefined;
  /** The id of the start row written, when one was asked for. */
  readonly auditId: number | undefined;
  /** When a read was asked for: whether the tokens allowed it and, if so, the message (undefined: none stored). */
  readonly read: { readonly allowed: boolean; readonly message: StoredMessage | undefined } | undefined;
}

const storedToken = (user: string | null, expiry: unknown, attributes: unknown): StoredToken | undefined =>
  user === null ? undefined : { user, expiry: asDate(expiry), attributes: (typeof attributes === 'string' ? JSON.parse(attributes) : attributes) as Record<string, unknown> };

/**
 * A request's whole database work before its answer, in one statement (one round trip): look up
 * its session and capability tokens by their stored hashes, write its audit start row naming the
 * session's user, and fetch the message it reads. The session counts for the start row exactly when
 * authentication accepts it (a string `scope`, not expired at `at`), and the message is fetched only
 * when the capability allows it; the API still checks every token itself and decides the answer.
 * Needs no privilege beyond the token lookup's, the audit log's and the message read's.
 * Several requests share the statement; results come back in input order.
 */
export async function lookUpRequests(db: Queryable, requests: readonly RequestLookup[]): Promise<RequestFound[]> {
  const rows = await db.query<{
    n: number;
    s_user: string | null;
    s_expiry: unknown;
    s_attributes: unknown;
    c_user: string | null;
    c_expiry: unknown;
    c_attributes: unknown;
    audit_id: number | null;
    allowed: boolean | null;
    author: string | null;
    msg_time: unknown;
    msg_text: string;
  }>(
    // `numbered` calls nextval() and so is evaluated exactly once, after sorting: ids follow the input
    // order. The read's path is the start row's: a message path is far below the audit log's
    // 1024-character cut.
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::boolean[], $5::text[], $6::text[], $7::text[],
                            $8::bigint[], $9::bigint[], $10::text[], $11::text[])
         WITH ORDINALITY AS x(session_hash, capability_hash, at, audited, method, path, client, space_id, msg_id, scope, perm, n)
     ), found AS (
       SELECT i.n, i.at, i.audited, i.method, i.path, i.client, i.space_id, i.msg_id,
              s.user_id AS s_user, s.expiry AS s_expiry, s.attributes AS s_attributes,
              c.user_id AS c_user, c.expiry AS c_expiry, c.attributes AS c_attributes,
              CASE WHEN jsonb_typeof(s.attributes->'scope') = 'string' AND s.expiry > i.at THEN s.user_id END AS user_id,
              i.space_id IS NOT NULL
                AND i.scope = ANY(string_to_array(s.attributes->>'scope', ' '))
                AND c.expiry > i.at
                AND c.attributes->>'path' = i.path
                AND strpos(c.attributes->>'perms', i.perm) > 0 AS may_read
       FROM input i
       LEFT JOIN tokens s ON s.token_id = i.session_hash
       LEFT JOIN tokens c ON c.token_id = i.capability_hash
     ), numbered AS (
       SELECT n, nextval('audit_id_seq') AS audit_id, method, path, user_id, at, client FROM found WHERE audited ORDER BY n
     ), inserted AS (
       INSERT INTO audit_log(audit_id, method, path, user_id, status, audit_time, client_address)
       SELECT audit_id, method, path, user_id, NULL, at, client FROM numbered
     )
     SELECT f.n, f.s_user, f.s_expiry, f.s_attributes, f.c_user, f.c_expiry, f.c_attributes, a.audit_id,
            f.may_read AND f.c_user = f.user_id AS allowed, m.author, m.msg_time, m.msg_text
     FROM found f
     LEFT JOIN numbered a ON a.n = f.n
     LEFT JOIN messages m ON f.may_read AND f.c_user = f.user_id AND m.space_id = f.space_id AND m.msg_id = f.msg_id`,
    [
      requests.map((request) => request.sessionHash ?? null),
      requests.map((request) => request.capabilityHash ?? null),
      requests.map((request) => request.at.toISOString()),
      requests.map((request) => request.start !== undefined),
      requests.map((request) => request.start?.method ?? null),
      requests.map((request) => request.start?.path ?? null),
      requests.map((request) => request.start?.client ?? null),
      requests.map((request) => request.read?.spaceId ?? null),
      requests.map((request) => request.read?.msgId ?? null),
      requests.map((request) => request.read?.scope ?? null),
      requests.map((request) => request.read?.perm ?? null),
    ],
  );
  const found = new Array<RequestFound>(requests.length);
  for (const row of rows) {
    const index = Number(row.n) - 1;
    found[index] = {
      session: storedToken(row.s_user, row.s_expiry, row.s_attributes),
      capability: storedToken(row.c_user, row.c_expiry, row.c_attributes),
      auditId: row.audit_id === null ? undefined : Number(row.audit_id),
      read: requests[index]!.read === undefined
        ? undefined
        : { allowed: row.allowed === true, message: row.author === null ? undefined : { author: row.author, time: asDate(row.msg_time), text: row.msg_text } },
    };
  }
  return found;
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
