import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { NatterContext } from '../src/context.js';
import type { Database } from '../src/db/database.js';
import { requestStatements } from '../src/db/request-statements.js';
import { auditLog } from '../src/middleware/audit.js';

/** A database whose every statement fails after `delayMs` (the start row cannot be written). */
function failingDatabase(delayMs: number): Database {
  const fail = async (): Promise<never> => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    throw new Error('audit insert failed');
  };
  return { query: fail, exec: fail, transaction: fail, close: async () => {} };
}

function readContext(): NatterContext {
  return { method: 'GET', path: '/spaces/1/messages/2', state: {} } as unknown as NatterContext;
}

describe('audit start row on reads', () => {
  it('when the read fails while the start row is still being written and then the start row fails, then the start row error wins and nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { start } = auditLog({ statements: requestStatements(failingDatabase(30)), logger: pino({ level: 'silent' }), clock: { now: () => new Date() } });
      const outcome = start(readContext(), async () => {
        throw new Error('read failed');
      });
      await expect(outcome).rejects.toThrow('audit insert failed');
      // Give Node a turn to report a rejection nobody handled.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('when the start row fails, then the request fails only after the read has settled, even if the read succeeded', async () => {
    const { start } = auditLog({ statements: requestStatements(failingDatabase(0)), logger: pino({ level: 'silent' }), clock: { now: () => new Date() } });
    let readSettled = false;
    const outcome = start(readContext(), async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      readSettled = true;
    });
    await expect(outcome).rejects.toThrow('audit insert failed');
    expect(readSettled).toBe(true);
  });
});
