import { batched } from './batch.js';
import type { Queryable } from './database.js';
import { lookUpAndAudit, type AuditWrite, type RequestFound, type RequestLookup, type RequestWork } from './store.js';

/** What every request sends the database before and after its answer, through one shared statement. */
export interface RequestStatements {
  /** A request's token lookup (for a session, with its audit start row and the message it reads). */
  lookUp(lookup: RequestLookup): Promise<RequestFound>;
  /** An audit row; a start row resolves to its new id. */
  writeAuditRow(write: AuditWrite): Promise<number | undefined>;
}

/**
 * Group commit: lookups and audit rows of concurrent requests go out together as the next
 * {@link lookUpAndAudit} statement — one round trip and one commit for all of them, where separate
 * statements for lookups and audit rows would each wait for a WAL flush of their own.
 */
export function requestStatements(db: Queryable): RequestStatements {
  const run = batched((work: readonly RequestWork[]) => lookUpAndAudit(db, work));
  return {
    lookUp: (lookup) => run({ kind: 'lookup', lookup }),
    writeAuditRow: async (write) => (await run(write)).auditId,
  };
}
