import './support/timeouts.js';
import { describe, expect, it } from 'vitest';
import { lookUpAndAudit, type AuditWrite } from '../src/db/store.js';
import { useTestDatabase } from './support/lifecycle.js';

const database = useTestDatabase();

/** Audit rows alone through the shared statement: the new id of each start row, undefined for end rows. */
const insertAuditRows = async (writes: readonly AuditWrite[]) => (await lookUpAndAudit(database().db, writes)).map((found) => found.auditId);

describe('audit rows through lookUpAndAudit', () => {
  it('when start and end rows are written together, then each start gets its own new id, in input order, and every row is stored', async () => {
    const time = new Date('2026-01-02T03:04:05.000Z');
    const [first] = await insertAuditRows([{ kind: 'start', entry: { method: 'GET', path: '/audit-rows/earlier', user: 'alice', client: '203.0.113.1', time } }]);
    const ids = await insertAuditRows([
      { kind: 'start', entry: { method: 'GET', path: '/audit-rows/a', user: 'alice', client: '2001:db8::7', time } },
      { kind: 'end', entry: { id: first!, method: 'GET', path: '/audit-rows/earlier', user: 'alice', client: '203.0.113.1', status: 200, time } },
      { kind: 'start', entry: { method: 'POST', path: '/audit-rows/b', user: undefined, client: undefined, time } },
    ]);

    expect(ids[1]).toBeUndefined();
    expect(new Set([first, ids[0], ids[2]]).size).toBe(3);
    const rows = await database().owner.query<{ audit_id: number; path: string; method: string; user_id: string | null; status: number | null; client_address: string | null }>(
      "SELECT audit_id, path, method, user_id, status, client_address FROM audit_log WHERE path LIKE '/audit-rows/%' ORDER BY audit_id, status NULLS FIRST",
    );
    expect(rows.map((row) => ({ ...row, audit_id: Number(row.audit_id) }))).toEqual([
      { audit_id: first, path: '/audit-rows/earlier', method: 'GET', user_id: 'alice', status: null, client_address: '203.0.113.1' },
      { audit_id: first, path: '/audit-rows/earlier', method: 'GET', user_id: 'alice', status: 200, client_address: '203.0.113.1' },
      { audit_id: ids[0], path: '/audit-rows/a', method: 'GET', user_id: 'alice', status: null, client_address: '2001:db8::7' },
      { audit_id: ids[2], path: '/audit-rows/b', method: 'POST', user_id: null, status: null, client_address: null },
    ]);
  });
});
