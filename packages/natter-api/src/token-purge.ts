import type { Logger } from 'pino';
import type { Clock } from './context.js';
import type { Database } from './db/database.js';
import { deleteExpiredTokens } from './db/store.js';

/** Deletes expired tokens every `intervalMs` (expiry is enforced on use; this only reclaims space). */
export function startTokenPurge(options: {
  readonly db: Database;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly clock: Clock;
}): { stop(): void; purgeNow(): Promise<number> } {
  const purgeNow = async (): Promise<number> => {
    const removed = await deleteExpiredTokens(options.db, options.clock.now());
    if (removed > 0) options.logger.info({ removed }, 'expired tokens purged');
    return removed;
  };
  const timer = setInterval(() => {
    purgeNow().catch((error: unknown) => options.logger.warn({ err: { message: (error as Error).message } }, 'token purge failed; retrying next interval'));
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), purgeNow };
}
