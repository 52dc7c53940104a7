import './support/timeouts.js';
import { describe, expect, it } from 'vitest';
import { lookUpAndAudit, type RequestLookup } from '../src/db/store.js';
import { useTestDatabase } from './support/lifecycle.js';

const database = useTestDatabase();

describe('lookUpAndAudit (as the least-privileged API role)', () => {
  it('when several requests share the statement, then each gets its own tokens, start row and message, in input order, and a message only where its tokens allow it', async () => {
    const at = new Date('2026-03-04T05:06:07.000Z');
    const later = new Date(at.getTime() + 60_000);
    const owner = database().owner;
    await owner.query("INSERT INTO users(user_id, pw_hash) VALUES ('lookupalice', 'x'), ('lookupbob', 'x')");
    const [space] = await owner.query<{ id: number }>("INSERT INTO spaces(space_id, name, owner) VALUES (nextval('space_id_seq'), 'lookups', 'lookupalice') RETURNING space_id AS id");
    const [message] = await owner.query<{ id: number }>(
      "INSERT INTO messages(space_id, msg_id, author, msg_text, msg_time) VALUES ($1, nextval('msg_id_seq'), 'lookupalice', 'found it', $2) RETURNING msg_id AS id",
      [space!.id, at.toISOString()],
    );
    const spaceId = Number(space!.id);
    const msgId = Number(message!.id);
    const path = `/spaces/${spaceId}/messages/${msgId}`;
    const token = (hash: string, user: string, expiry: Date, attributes: object) => [hash, user, expiry.toISOString(), JSON.stringify(attributes)];
    for (const row of [
      token('lookup-session-alice', 'lookupalice', later, { scope: 'read_message list_messages' }),
      token('lookup-session-expired', 'lookupalice', at, { scope: 'read_message' }),
      token('lookup-session-bob', 'lookupbob', later, { scope: 'read_message' }),
      token('lookup-capability-alice', 'lookupalice', later, { path, perms: 'rd' }),
    ]) {
      await owner.query('INSERT INTO tokens(token_id, user_id, expiry, attributes) VALUES ($1, $2, $3, $4)', row);
    }
    const read = { spaceId, msgId, scope: 'read_message', perm: 'r' };
    const start = { method: 'GET', path, client: '192.0.2.9' };
    const request = (sessionHash: string | undefined, extra: Partial<RequestLookup> = {}): RequestLookup => ({
      sessionHash, capabilityHash: 'lookup-capability-alice', at, start, read, ...extra,
    });

    const lookups = [
      request('lookup-session-alice'),
      // A Basic request: the capability only, no start row, no read.
      request(undefined, { start: undefined, read: undefined }),
      // Expired at the very instant: returned for authentication to answer 401, but it names no one.
      request('lookup-session-expired'),
      request('lookup-session-bob'),
      request('lookup-session-alice', { capabilityHash: undefined }),
      request('lookup-session-alice', { read: { ...read, perm: 'w' } }),
      request('lookup-session-alice', { read: { ...read, scope: 'list' } }),
      request('lookup-session-alice', { read: { ...read, msgId: msgId + 1_000_000 } }),
    ];
    const found = await lookUpAndAudit(database().db, lookups.map((lookup) => ({ kind: 'lookup', lookup })));

    expect(found.map((result) => result.session?.user)).toEqual(['lookupalice', undefined, 'lookupalice', 'lookupbob', 'lookupalice', 'lookupalice', 'lookupalice', 'lookupalice']);
    expect(found[0]!.session).toEqual({ user: 'lookupalice', expiry: later, attributes: { scope: 'read_message list_messages' } });
    expect(found[1]!.capability).toEqual({ user: 'lookupalice', expiry: later, attributes: { path, perms: 'rd' } });
    expect(found[4]!.capability).toBeUndefined();
    expect(found.map((result) => result.read?.allowed)).toEqual([true, undefined, false, false, false, false, false, true]);
    expect(found[0]!.read!.message).toEqual({ author: 'lookupalice', time: at, text: 'found it' });
    expect(found.map((result) => result.read?.message?.text)).toEqual(['found it', undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(found[1]!.auditId).toBeUndefined();
    const ids = found.map((result) => result.auditId).filter((id) => id !== undefined);
    expect(new Set(ids).size).toBe(7);
    const rows = await owner.query<{ audit_id: number; user_id: string | null; method: string; status: number | null; client_address: string; audit_time: Date }>(
      'SELECT audit_id, user_id, method, status, client_address, audit_time FROM audit_log WHERE path = $1 ORDER BY audit_id',
      [path],
    );
    expect(rows.map((row) => Number(row.audit_id))).toEqual(ids);
    expect(rows.map((row) => row.user_id)).toEqual(['lookupalice', null, 'lookupbob', 'lookupalice', 'lookupalice', 'lookupalice', 'lookupalice']);
    for (const row of rows) expect({ ...row, audit_id: 0, user_id: null }).toEqual({ audit_id: 0, user_id: null, method: 'GET', status: null, client_address: '192.0.2.9', audit_time: at });
  });

  it('when audit rows of other requests ride along with a lookup, then each is written as given and start rows get ids in input order', async () => {
    const at = new Date('2026-03-05T00:00:00.000Z');
    const path = '/lookups/ride-along';
    const lookup: RequestLookup = { sessionHash: 'no-such-session', capabilityHash: undefined, at, start: { method: 'POST', path, client: undefined }, read: undefined };
    const [earlier] = await lookUpAndAudit(database().db, [{ kind: 'start', entry: { method: 'GET', path, user: 'carol', client: '198.51.100.4', time: at } }]);
    const found = await lookUpAndAudit(database().db, [
      { kind: 'end', entry: { id: earlier!.auditId!, method: 'GET', path, user: 'carol', client: '198.51.100.4', status: 404, time: at } },
      { kind: 'lookup', lookup },
      { kind: 'start', entry: { method: 'DELETE', path, user: undefined, client: undefined, time: at } },
    ]);

    expect(found.map((result) => result.session)).toEqual([undefined, undefined, undefined]);
    expect(found[0]!.auditId).toBeUndefined();
    expect(found[1]!.auditId).toBeLessThan(found[2]!.auditId!);
    const rows = await database().owner.query<{ audit_id: number; method: string; user_id: string | null; status: number | null }>(
      'SELECT audit_id, method, user_id, status FROM audit_log WHERE path = $1 ORDER BY audit_id, status NULLS FIRST',
      [path],
    );
    expect(rows.map((row) => ({ ...row, audit_id: Number(row.audit_id) }))).toEqual([
      { audit_id: earlier!.auditId, method: 'GET', user_id: 'carol', status: null },
      { audit_id: earlier!.auditId, method: 'GET', user_id: 'carol', status: 404 },
      { audit_id: found[1]!.auditId, method: 'POST', user_id: null, status: null },
      { audit_id: found[2]!.auditId, method: 'DELETE', user_id: null, status: null },
    ]);
  });
});
