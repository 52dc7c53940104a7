import type Router from '@koa/router';
import type { NatterMiddleware, NatterState } from '../context.js';
import { fail } from '../http-error.js';

/**
 * After the router: a known path with an unsupported method is a 405 with `Allow`, an unknown path
 * a 404. Ids in paths must be digits (a BIGINT), anything else is an unknown path.
 */
export function methodNotAllowed(routers: readonly Router<NatterState>[]): NatterMiddleware {
  return async function methodNotAllowedMiddleware(ctx, next) {
    await next();
    if (ctx.body !== undefined || ctx.status !== 404) return;
    const allowed = new Set<string>();
    for (const router of routers) {
      for (const layer of router.match(ctx.path, ctx.method).path) {
        for (const method of layer.methods) allowed.add(method);
      }
    }
    if (allowed.size === 0) return;
    fail(405, 'method not allowed', { Allow: [...allowed].join(', ') });
  };
}
