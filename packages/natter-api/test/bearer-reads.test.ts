import './support/timeouts.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { createPostgresDatabase } from '../src/db/postgres.js';
import { startRoundTripProxy } from '../bench/round-trip-proxy.js';
import { createTokenService } from '../src/security/tokens.js';
import { TEST_DATABASE_URL } from './support/database.js';
import { createSpace, postMessage, registerUser, startApp, type TestApp } from './support/harness.js';
import { useAppPerTest, useOwnedSpacePerTest, useTestDatabase } from './support/lifecycle.js';

// Issue 13: a Bearer read of a message is one round trip before its answer. These tests pin that
// and every rule the single statement must keep (see also capabilities.test.ts, mostly over Basic).

const database = useTestDatabase();
const app = useAppPerTest(database);
const fixture = useOwnedSpacePerTest(app);

const MINUTE = 60_000;
const pathOf = (uri: string): string => uri.split('?')[0]!;
const tokenOf = (uri: string): string => new URL(uri, 'http://x').searchParams.get('access_token')!;

async function session(target: TestApp, auth: string, scope?: string): Promise<string> {
  const response = await target.http.post(scope === undefined ? '/sessions' : `/sessions?scope=${scope}`).set('Authorization', auth);
  if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
  return `Bearer ${response.body.token}`;
}

/** The audit rows of `path` in order: each request's start row (status null), then its end row. */
async function auditRows(path: string): Promise<{ user: string | null; status: number | null }[]> {
  return database().owner.query(
    'SELECT user_id AS "user", status FROM audit_log WHERE path = $1 ORDER BY audit_id, status NULLS FIRST',
    [path],
  );
}

/**
 * Every statement the app sends; all but the first `free` (counted from creation or the last
 * `holdAfter`) are held — not sent on — until `release()`, so a response that arrives anyway
 * needed no more than those.
 */
function holding(db: Database, free: number): {
  readonly db: Database;
  readonly statements: { text: string; params: readonly unknown[] }[];
  holdAfter(free: number): void;
  release(): void;
} {
  const statements: { text: string; params: readonly unknown[] }[] = [];
  let sentFree = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    statements,
    release,
    holdAfter: (next) => {
      free = next;
      sentFree = 0;
    },
    db: {
      ...db,
      query: async (text, params = []) => {
        statements.push({ text, params });
        sentFree += 1;
        if (sentFree > free) await released;
        return db.query(text, params);
      },
    },
  };
}

describe('a Bearer read of a message: one round trip', () => {
  it('when read, then one statement before the answer looks up both tokens, writes the start row and fetches the message; the end row follows', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'one trip');
    const bearer = await session(app(), fixture.owner.auth);
    const recorded = holding(database().db, 1);
    // Same HMAC key as the app that issued the tokens.
    const counted = await startApp(recorded.db, { deps: { tokens: createTokenService(app().config.hmacKey!) } });
    try {
      // Answered while every statement after the first is held.
      const response = await counted.http.get(posted['read-only']).set('Authorization', bearer).timeout(10_000);
      // The start row is stored before the answer, naming the session's user; the end row is held.
      const rowsAtAnswer = await auditRows(pathOf(posted['read-only']));
      recorded.release();
      await counted.settled();

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ author: fixture.owner.username, message: 'one trip', links: [] });
      expect(recorded.statements[0]!.text).toMatch(/JOIN tokens s[\s\S]*JOIN tokens c[\s\S]*INSERT INTO audit_log[\s\S]*JOIN messages/);
      expect(rowsAtAnswer).toEqual([{ user: fixture.owner.username, status: null }]);
      const tokens = createTokenService(app().config.hmacKey!);
      const [sessionHashes, capabilityHashes] = recorded.statements[0]!.params as string[][];
      expect(sessionHashes).toEqual([tokens.storedHash(bearer.slice('Bearer '.length))]);
      expect(capabilityHashes).toEqual([tokens.storedHash(tokenOf(posted['read-only']))]);
      expect(recorded.statements).toHaveLength(2);
      expect(await auditRows(pathOf(posted['read-only']))).toEqual([
        { user: fixture.owner.username, status: null },
        { user: fixture.owner.username, status: 200 },
      ]);
    } finally {
      await counted.close();
    }
  });

  it.skipIf(TEST_DATABASE_URL === undefined)('when read on a real PostgreSQL, then the wire shows one round trip before the answer and one for the end row', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'on the wire');
    const bearer = await session(app(), fixture.owner.auth);
    const api = database().api!;
    const counter = await startRoundTripProxy({ host: api.host, port: api.port });
    const db = createPostgresDatabase({ ...api, host: '127.0.0.1', port: counter.port, poolMax: 1, logger: pino({ level: 'silent' }) });
    const held = holding(db, Number.POSITIVE_INFINITY);
    const counted = await startApp(held.db, { deps: { tokens: createTokenService(app().config.hmacKey!) } });
    try {
      // Warm: the connection is open and the statements prepared, as under load.
      expect((await counted.http.get(posted['read-only']).set('Authorization', bearer)).status).toBe(200);
      await counted.settled();
      counter.reset();
      held.holdAfter(1);

      const response = await counted.http.get(posted['read-only']).set('Authorization', bearer).timeout(10_000);
      const atAnswer = counter.roundTrips();
      held.release();
      await counted.settled();

      expect(response.status).toBe(200);
      expect(response.body.message).toBe('on the wire');
      expect(atAnswer).toBe(1);
      expect(counter.roundTrips()).toBe(2);
    } finally {
      await counted.close();
      await db.close();
      await counter.close();
    }
  });

  it('when read with Basic credentials instead, then the same answer and audit rows (the start row follows the password check)', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'by password');
    const response = await app().http.get(posted['read-only']).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(200);
    expect(response.body.message).toBe('by password');
    await app().settled();
    expect(await auditRows(pathOf(posted['read-only']))).toEqual([
      { user: fixture.owner.username, status: null },
      { user: fixture.owner.username, status: 200 },
    ]);
  });
});

describe('a Bearer read of a message: the rules the statement keeps', () => {
  it('when the capability has expired (the session has not), then 403 and the start row names the user', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'short-lived');
    const bearer = await session(app(), fixture.owner.auth);
    // The rd capability lives 5 minutes, the session 10.
    app().clock.advance(5 * MINUTE);
    const response = await app().http.get(posted.uri).set('Authorization', bearer);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'forbidden' });
    expect(response.text).not.toContain('short-lived');
    await app().settled();
    expect(await auditRows(pathOf(posted.uri))).toEqual([
      { user: fixture.owner.username, status: null },
      { user: fixture.owner.username, status: 403 },
    ]);
  });

  it('when the session expires at the read\'s very instant, then 401 Expired and the start row names no one; a millisecond earlier, 200', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'on the edge');
    const bearer = await session(app(), fixture.owner.auth);
    app().clock.advance(10 * MINUTE - 1);
    expect((await app().http.get(posted['read-only']).set('Authorization', bearer)).status).toBe(200);
    app().clock.advance(1);
    const expired = await app().http.get(posted['read-only']).set('Authorization', bearer);
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token",error_description="Expired"');
    expect(expired.text).not.toContain('on the edge');
    await app().settled();
    expect(await auditRows(pathOf(posted['read-only']))).toEqual([
      { user: fixture.owner.username, status: null },
      { user: fixture.owner.username, status: 200 },
      { user: null, status: null },
      { user: null, status: 401 },
    ]);
  });

  it('when the session was revoked, then 401 asking for credentials and the start row names no one', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'after logout');
    const bearer = await session(app(), fixture.owner.auth);
    expect((await app().http.delete('/sessions').set('Authorization', bearer)).status).toBe(200);
    const response = await app().http.get(posted['read-only']).set('Authorization', bearer);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'authentication required' });
    expect(response.headers['www-authenticate']).toContain('Bearer realm="natter"');
    await app().settled();
    expect(await auditRows(pathOf(posted['read-only']))).toEqual([
      { user: null, status: null },
      { user: null, status: 401 },
    ]);
  });

  it('when another user\'s session presents the capability, then 403 and the start row names that user', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'not yours');
    const friend = await registerUser(app());
    const response = await app().http.get(posted['read-only']).set('Authorization', await session(app(), friend.auth));
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('not yours');
    await app().settled();
    expect(await auditRows(pathOf(posted['read-only']))).toEqual([
      { user: friend.username, status: null },
      { user: friend.username, status: 403 },
    ]);
  });

  it('when the capability is presented on the same message id in another space, then 403', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'wrong space');
    const other = await createSpace(app(), fixture.owner);
    const msgId = pathOf(posted['read-only']).split('/').pop();
    const response = await app().http.get(`/spaces/${other.id}/messages/${msgId}?access_token=${tokenOf(posted['read-only'])}`).set('Authorization', await session(app(), fixture.owner.auth));
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('wrong space');
  });

  it('when a capability names another space than the message\'s, then 404: the message is looked up in the space of the path', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'lives elsewhere');
    const other = await createSpace(app(), fixture.owner);
    const path = `/spaces/${other.id}/messages/${pathOf(posted['read-only']).split('/').pop()}`;
    // Never issued by the API (it hands out capabilities for existing messages only): written as the owner.
    const capability = await createTokenService(app().config.hmacKey!).create(database().owner, {
      user: fixture.owner.username,
      expiry: new Date(app().clock.now().getTime() + MINUTE),
      attributes: { path, perms: 'r' },
    });
    const response = await app().http.get(`${path}?access_token=${capability}`).set('Authorization', await session(app(), fixture.owner.auth));
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'not found' });
  });

  it('when the capability lacks r, then 403', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'delete only');
    const path = pathOf(posted['read-only']);
    const capability = await createTokenService(app().config.hmacKey!).create(database().owner, {
      user: fixture.owner.username,
      expiry: new Date(app().clock.now().getTime() + MINUTE),
      attributes: { path, perms: 'wd' },
    });
    const response = await app().http.get(`${path}?access_token=${capability}`).set('Authorization', await session(app(), fixture.owner.auth));
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('delete only');
  });

  it('when the session lacks read_message, then 403 insufficient_scope', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'no scope');
    const response = await app().http.get(posted['read-only']).set('Authorization', await session(app(), fixture.owner.auth, 'list_messages'));
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe('Bearer error="insufficient_scope",scope="read_message"');
    expect(response.text).not.toContain('no scope');
  });

  it('when the capability itself is presented as the Bearer token, then it authenticates nobody: 401', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'not a login');
    const response = await app().http.get(posted['read-only']).set('Authorization', `Bearer ${tokenOf(posted['read-only'])}`);
    expect(response.status).toBe(401);
    await app().settled();
    expect(await auditRows(pathOf(posted['read-only']))).toEqual([
      { user: null, status: null },
      { user: null, status: 401 },
    ]);
  });

  it('when the capability is forged, then 403; when the message was deleted, then 404', async () => {
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'soon gone');
    const bearer = await session(app(), fixture.owner.auth);
    const token = tokenOf(posted['read-only']);
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await app().http.get(`${pathOf(posted['read-only'])}?access_token=${forged}`).set('Authorization', bearer)).status).toBe(403);
    expect((await app().http.delete(posted.uri).set('Authorization', bearer)).status).toBe(200);
    const gone = await app().http.get(posted['read-only']).set('Authorization', bearer);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: 'not found' });
  });

  it('when many sessions read at once, then each read gets its own message and its own user in the audit log', async () => {
    const readers = [];
    for (let index = 0; index < 6; index += 1) {
      const user = await registerUser(app());
      const space = await createSpace(app(), user);
      const posted = await postMessage(app(), user, space['messages-rw'], `message ${index}`);
      readers.push({ user, posted, bearer: await session(app(), user.auth) });
    }
    const responses = await Promise.all(readers.map((reader) => app().http.get(reader.posted['read-only']).set('Authorization', reader.bearer)));
    expect(responses.map((response) => response.body.message)).toEqual(readers.map((_, index) => `message ${index}`));
    await app().settled();
    for (const reader of readers) {
      expect(await auditRows(pathOf(reader.posted['read-only']))).toEqual([
        { user: reader.user.username, status: null },
        { user: reader.user.username, status: 200 },
      ]);
    }
  });
});
