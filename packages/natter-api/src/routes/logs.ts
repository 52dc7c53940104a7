import type Router from '@koa/router';
import type { NatterState } from '../context.js';
import { recentAuditRows } from '../db/store.js';
import { requireAuthentication } from '../middleware/authorize.js';
import { MINUTE_MS, type RouteDeps } from './deps.js';

const WINDOW_MS = 60 * MINUTE_MS;
const MAX_ROWS = 20;

export function logRoutes(router: Router<NatterState>, deps: RouteDeps): void {
  router.get('/logs', requireAuthentication(), async (ctx) => {
    const since = new Date(deps.clock.now().getTime() - WINDOW_MS);
    const rows = await recentAuditRows(deps.db, since, MAX_ROWS);
    ctx.status = 200;
    ctx.body = rows.map((row) => ({ ...row, time: row.time.toISOString() }));
  });
}
