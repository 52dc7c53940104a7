import type Router from '@koa/router';
import type { NatterState } from '../context.js';
import { isForeignKeyViolation } from '../db/database.js';
import { USERNAME } from '../validation.js';
import { capabilityUri, optionalStringField, stringField, type RouteDeps } from './deps.js';
import { fail } from '../http-error.js';

const PERMS = /^[rwd]{1,3}$/;
// Any base works: only the path and query of a relative capability URI are read.
const PARSE_BASE = 'http://natter.invalid';

export function shareRoutes(router: Router<NatterState>, deps: RouteDeps): void {
  // No authentication: holding the capability is the authority to share (a subset of) it.
  router.post('/share', async (ctx) => {
    const uri = stringField(ctx, 'uri');
    const user = stringField(ctx, 'user');
    const requestedPerms = optionalStringField(ctx, 'perms');
    if (!USERNAME.test(user)) fail(400, 'invalid username');
    if (requestedPerms !== undefined && (!PERMS.test(requestedPerms) || new Set(requestedPerms).size !== requestedPerms.length)) {
      fail(400, 'perms must be letters from r, w, d');
    }
    let parsed: URL;
    try {
      parsed = new URL(uri, PARSE_BASE);
    } catch {
      fail(400, 'uri is not a valid URI');
    }
    const presented = parsed.searchParams.getAll('access_token');
    const token = presented.length === 1 ? await deps.tokens.read(deps.db, presented[0]!) : undefined;
    const path = token?.attributes['path'];
    const tokenPerms = token?.attributes['perms'];
    if (token === undefined || typeof path !== 'string' || typeof tokenPerms !== 'string' || token.expiry <= deps.clock.now()) {
      fail(403, 'forbidden');
    }
    if (parsed.pathname !== path) fail(400, 'incorrect path');
    const perms = requestedPerms ?? tokenPerms;
    if (![...perms].every((perm) => tokenPerms.includes(perm))) fail(403, 'forbidden');
    let shared: string;
    try {
      shared = await deps.tokens.create(deps.db, { user, expiry: token.expiry, attributes: { path, perms } });
    } catch (error) {
      if (isForeignKeyViolation(error)) fail(400, 'unknown user');
      throw error;
    }
    ctx.status = 200;
    ctx.body = { uri: capabilityUri(path, shared) };
  });
}
