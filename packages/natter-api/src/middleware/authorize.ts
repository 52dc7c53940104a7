import type { Clock, NatterContext, NatterMiddleware } from '../context.js';
import type { Database } from '../db/database.js';
import type { StoredToken } from '../db/store.js';
import type { TokenService } from '../security/tokens.js';
import { fail } from '../http-error.js';

function lookUpCapability(ctx: NatterContext, options: { readonly db: Database; readonly tokens: TokenService }): Promise<StoredToken | undefined> {
  const presented = ctx.query['access_token'];
  return typeof presented === 'string' ? options.tokens.read(options.db, presented) : Promise.resolve(undefined);
}

/** Sent with every 401 that asks for credentials: either scheme works. */
export const AUTHENTICATION_CHALLENGES = ['Basic realm="natter", charset="UTF-8"', 'Bearer realm="natter"'];

/** 401 with WWW-Authenticate unless the request is authenticated. */
export function requireAuthentication(): NatterMiddleware {
  return async function requireAuthenticationMiddleware(ctx, next) {
    if (ctx.state.user === undefined) {
      fail(401, 'authentication required', { 'WWW-Authenticate': AUTHENTICATION_CHALLENGES });
    }
    await next();
  };
}

/** 403 unless the Bearer session has the scope; Basic authentication carries every scope. */
export function requireScope(scope: string): NatterMiddleware {
  return async function requireScopeMiddleware(ctx, next) {
    if (ctx.state.scope !== undefined && !ctx.state.scope.has(scope)) {
      fail(403, 'insufficient scope', { 'WWW-Authenticate': `Bearer error="insufficient_scope",scope="${scope}"` });
    }
    await next();
  };
}

/**
 * 403 unless `?access_token=` is a capability that checks out: genuine MAC, stored, not expired,
 * issued to the authenticated user, for exactly this path (or the path `capabilityPath` names),
 * and granting every letter of `permissions`.
 */
export function requireCapability(
  permissions: string,
  options: { readonly db: Database; readonly tokens: TokenService; readonly clock: Clock },
  capabilityPath: (ctx: NatterContext) => string = (ctx) => ctx.path,
): NatterMiddleware {
  return async function requireCapabilityMiddleware(ctx, next) {
    const token = await (ctx.state.capability ?? lookUpCapability(ctx, options));
    const path = token?.attributes['path'];
    const perms = token?.attributes['perms'];
    const valid =
      token !== undefined &&
      typeof path === 'string' &&
      typeof perms === 'string' &&
      token.expiry.getTime() > options.clock.now().getTime() &&
      token.user === ctx.state.user &&
      path === capabilityPath(ctx);
    if (!valid || !grantsAll(perms, permissions)) fail(403, 'forbidden');
    ctx.state.perms = perms;
    await next();
  };
}

/** Every letter of `wanted` is among `granted` (a loop: this runs on every capability request). */
function grantsAll(granted: string, wanted: string): boolean {
  for (const perm of wanted) if (!granted.includes(perm)) return false;
  return true;
}
