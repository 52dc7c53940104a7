import type Router from '@koa/router';
import type { NatterState } from '../context.js';
import { requireAuthentication, requireScope } from '../middleware/authorize.js';
import { ALL_SCOPES, DEFAULT_SCOPE } from '../validation.js';
import { MINUTE_MS, type RouteDeps } from './deps.js';
import { fail } from '../http-error.js';

const SESSION_LIFETIME_MS = 10 * MINUTE_MS;
const KNOWN_SCOPES: ReadonlySet<string> = new Set(ALL_SCOPES);

export function sessionRoutes(router: Router<NatterState>, deps: RouteDeps): void {
  router.post('/sessions', requireAuthentication(), requireScope('full_access'), async (ctx) => {
    const requested = ctx.query['scope'] ?? DEFAULT_SCOPE;
    if (typeof requested !== 'string') fail(400, 'scope must be given once');
    const scopes = requested.split(' ').filter((scope) => scope !== '');
    if (scopes.length === 0 || scopes.some((scope) => !KNOWN_SCOPES.has(scope))) {
      fail(400, `scope must be a space-separated list of: ${ALL_SCOPES.join(', ')}`);
    }
    const token = await deps.tokens.create(deps.db, {
      user: ctx.state.user!,
      expiry: new Date(deps.clock.now().getTime() + SESSION_LIFETIME_MS),
      attributes: { scope: [...new Set(scopes)].join(' ') },
    });
    ctx.status = 201;
    ctx.body = { token };
  });

  router.delete('/sessions', requireAuthentication(), async (ctx) => {
    if (ctx.state.bearer === undefined) fail(400, 'missing token header');
    await deps.tokens.revoke(deps.db, ctx.state.bearer);
    ctx.status = 200;
    ctx.body = {};
  });
}
