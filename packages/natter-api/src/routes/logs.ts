import type Router from '@koa/router';
import type { NatterState } from '../context.js';
import { recentAuditRows } from '../db/store.js';
import { requireAuthentication } from '../middleware/authorize.js';
import { MINUTE_MS, type RouteDeps } from './deps.js';

const WINDOW_MS = 60 * MINUTE_MS;
const MAX_ROWS = 20;

/** `auditSettled` waits for end rows still being written, so a reader sees every finished request. */
export function logRoutes(router: Router<NatterState>, deps: RouteDeps & { readonly auditSettled: () => Promise<void> }): void {
  router.get('/logs', requireAuthentication(), async (ctx) => {
    // Show every finished request and this request's own start row, as a sequential pipeline would.
    await Promise.all([deps.auditSettled(), ctx.state.auditStarted]);
    const since = new Date(deps.clock.now().getTime() - WINDOW_MS);
    const rows = await recentAuditRows(deps.db, since, MAX_ROWS);
    ctx.status = 200;
    ctx.body = rows.map((row) => ({ ...row, time: row.time.toISOString() }));
  });
}
