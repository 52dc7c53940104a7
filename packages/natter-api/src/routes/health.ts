import type Router from '@koa/router';
import type { NatterState } from '../context.js';
import type { Database } from '../db/database.js';
import { ping } from '../db/store.js';

/**
 * Probe endpoints. `/health`: the process answers. `/ready`: the database answers too (503
 * otherwise, so Kubernetes stops routing here until it is back). Concurrent readiness checks
 * share one query so probes cannot multiply database load.
 */
export function healthRoutes(router: Router<NatterState>, options: { readonly db: Database }): void {
  let pending: Promise<boolean> | undefined;
  const databaseAnswers = (): Promise<boolean> => {
    pending ??= ping(options.db)
      .then(() => true, () => false)
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/ready', async (ctx) => {
    if (await databaseAnswers()) {
      ctx.body = { status: 'ok' };
    } else {
      ctx.status = 503;
      ctx.set('Retry-After', '1');
      ctx.body = { error: 'database unavailable' };
    }
  });
}
