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

/** What a request asks of {@link lookUpAndAudit} before it can be authenticated and authorized. */
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
   * capability not expired, issued to the session's user, for the start row's path, granting `perm`
   * (one letter).
   */
  readonly read: { readonly spaceId: number; readonly msgId: number; readonly scope: string; readonly perm: string } | undefined;
}

/** One piece of a request's work in {@link lookUpAndAudit}: its lookup, or an audit row of its own. */
export type RequestWork = { readonly kind: 'lookup'; readonly lookup: RequestLookup } | AuditWrite;

/** What {@link lookUpAndAudit} found or wrote for one piece of work. */
export interface RequestFound {
  readonly session: StoredToken | undefined;
  readonly capability: StoredToken | undefined;
  /** The id of the start row written (a lookup's, or a start write's). */
  readonly auditId: number | undefined;
  /** When a read was asked for: whether the tokens allowed it and, if so, the message (undefined: none stored). */
  readonly read: { readonly allowed: boolean; readonly message: StoredMessage | undefined } | undefined;
}

const storedToken = (user: string | null, expiry: unknown, attributes: unknown): StoredToken | undefined =>
  user === null ? undefined : { user, expiry: asDate(expiry), attributes: (typeof attributes === 'string' ? JSON.parse(attributes) : attributes) as Record<string, unknown> };

/**
 * The database work of many requests in one statement, so that each needs one round trip before
 * its answer and concurrent requests share it (one commit). A lookup finds a request's session
 * and capability tokens by their stored hashes, can write its audit start row naming the session's
 * user — exactly when authentication accepts the session: a string `scope`, not expired at `at` —
 * and fetches the message it reads only when the session's scope and the capability allow it; the
 * API still checks every token itself and decides the answer. Start and end rows of other requests
 * ride along. Needs no privilege beyond the token lookup's, the audit log's and the message read's.
 * Results come back in input order.
 */
export async function lookUpAndAudit(db: Queryable, work: readonly RequestWork[]): Promise<RequestFound[]> {
  const lookups = work.map((item) => (item.kind === 'lookup' ? item.lookup : undefined));
  const entries = work.map((item) => (item.kind === 'lookup' ? undefined : item.entry));
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
    // audit: 'session' (a lookup's start row, its user the session's), 'start' (a start row, user
    // given), 'end' (an end row: the start's id and the status) or NULL (no row). `numbered` calls
    // nextval() and so is evaluated exactly once, after sorting: ids follow the input order. The
    // read's path is the start row's: a message path is far below the audit log's 1024-character cut.
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::bigint[], $6::int[], $7::text[],
                            $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::text[], $14::text[])
         WITH ORDINALITY AS x(session_hash, capability_hash, at, audit, end_id, status, method,
                              path, given_user, client, space_id, msg_id, scope, perm, n)
     ), found AS (
       SELECT i.n, i.at, i.audit, i.end_id, i.status, i.method, i.path, i.client, i.space_id, i.msg_id,
              s.user_id AS s_user, s.expiry AS s_expiry, s.attributes AS s_attributes,
              c.user_id AS c_user, c.expiry AS c_expiry, c.attributes AS c_attributes,
              CASE WHEN i.audit <> 'session' THEN i.given_user
                   WHEN jsonb_typeof(s.attributes->'scope') = 'string' AND s.expiry > i.at THEN s.user_id END AS user_id,
              i.space_id IS NOT NULL
                AND i.scope = ANY(string_to_array(s.attributes->>'scope', ' '))
                AND c.expiry > i.at
                AND c.attributes->>'path' = i.path
                AND strpos(c.attributes->>'perms', i.perm) > 0 AS may_read
       FROM input i
       LEFT JOIN tokens s ON s.token_id = i.session_hash
       LEFT JOIN tokens c ON c.token_id = i.capability_hash
     ), numbered AS (
       SELECT n, nextval('audit_id_seq') AS audit_id, method, path, user_id, at, client FROM found WHERE audit IN ('session', 'start') ORDER BY n
     ), inserted AS (
       INSERT INTO audit_log(audit_id, method, path, user_id, status, audit_time, client_address)
       SELECT audit_id, method, path, user_id, NULL, at, client FROM numbered
       UNION ALL
       SELECT end_id, method, path, user_id, status, at, client FROM found WHERE audit = 'end'
     )
     SELECT f.n, f.s_user, f.s_expiry, f.s_attributes, f.c_user, f.c_expiry, f.c_attributes, a.audit_id,
            f.may_read AND f.c_user = f.user_id AS allowed, m.author, m.msg_time, m.msg_text
     FROM found f
     LEFT JOIN numbered a ON a.n = f.n
     LEFT JOIN messages m ON f.may_read AND f.c_user = f.user_id AND m.space_id = f.space_id AND m.msg_id = f.msg_id`,
    [
      lookups.map((lookup) => lookup?.sessionHash ?? null),
      lookups.map((lookup) => lookup?.capabilityHash ?? null),
      work.map((item) => (item.kind === 'lookup' ? item.lookup.at : item.entry.time).toISOString()),
      work.map((item) => (item.kind === 'lookup' ? (item.lookup.start === undefined ? null : 'session') : item.kind)),
      entries.map((entry) => (entry !== undefined && 'id' in entry ? entry.id : null)),
      entries.map((entry) => entry?.status ?? null),
      work.map((item) => (item.kind === 'lookup' ? item.lookup.start?.method : item.entry.method) ?? null),
      work.map((item) => (item.kind === 'lookup' ? item.lookup.start?.path : item.entry.path) ?? null),
      entries.map((entry) => entry?.user ?? null),
      work.map((item) => (item.kind === 'lookup' ? item.lookup.start?.client : item.entry.client) ?? null),
      lookups.map((lookup) => lookup?.read?.spaceId ?? null),
      lookups.map((lookup) => lookup?.read?.msgId ?? null),
      lookups.map((lookup) => lookup?.read?.scope ?? null),
      lookups.map((lookup) => lookup?.read?.perm ?? null),
    ],
  );
  const found = new Array<RequestFound>(work.length);
  for (const row of rows) {
    const index = Number(row.n) - 1;
    const read = lookups[index]?.read;
    found[index] = {
      session: storedToken(row.s_user, row.s_expiry, row.s_attributes),
      capability: storedToken(row.c_user, row.c_expiry, row.c_attributes),
      auditId: row.audit_id === null ? undefined : Number(row.audit_id),
      read: read === undefined
        ? undefined
        : { allowed: row.allowed === true, message: row.author === null ? undefined : { author: row.author, time: asDate(row.msg_time), text: row.msg_text } },
    };
  }
  return found;
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
