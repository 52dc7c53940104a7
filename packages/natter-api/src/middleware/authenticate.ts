import type { Clock, NatterMiddleware } from '../context.js';
import type { Database } from '../db/database.js';
import { findPasswordHash } from '../db/store.js';
import { parseBasicCredentials } from '../security/basic-credentials.js';
import type { CredentialCache } from '../security/credential-cache.js';
import type { PasswordHashing } from '../security/password-hashing.js';
import type { TokenService } from '../security/tokens.js';
import { USERNAME } from '../validation.js';
import { fail } from '../http-error.js';

/** `Authorization: <scheme> <value>`, the scheme lower-cased (schemes are case-insensitive). */
export function authorizationHeader(header: string): { readonly scheme: string; readonly value: string } {
  const space = header.indexOf(' ');
  return space < 0 ? { scheme: header.toLowerCase(), value: '' } : { scheme: header.slice(0, space).toLowerCase(), value: header.slice(space + 1) };
}

export const EXPIRED_TOKEN_CHALLENGE = 'Bearer error="invalid_token",error_description="Expired"';

/**
 * Identifies the caller from `Authorization: Basic` or `Bearer`. Malformed Basic credentials are a
 * 400; a wrong password, an unknown user or an unknown/forged token leave the request simply
 * unauthenticated (routes that need a user answer 401); an expired session is a 401 at once.
 */
export function authenticate(options: {
  readonly db: Database;
  readonly passwordHashing: PasswordHashing;
  readonly tokens: TokenService;
  readonly clock: Clock;
  /** @default - none: every Basic request runs a full password verification */
  readonly credentialCache?: CredentialCache;
}): NatterMiddleware {
  const verifyPassword = options.passwordHashing.verify.bind(options.passwordHashing);
  return async function authenticateMiddleware(ctx, next) {
    const { scheme, value } = authorizationHeader(ctx.get('Authorization'));

    if (scheme === 'basic') {
      const credentials = parseBasicCredentials(value);
      if ('invalid' in credentials) fail(400, credentials.invalid);
      if (!USERNAME.test(credentials.username)) fail(400, 'invalid username');
      // Read on every request, cache hit or not: the current hash is what a cached verification
      // must have been made against, so a password changed by any replica ends its cache entry.
      const stored = await findPasswordHash(options.db, credentials.username);
      if (stored === undefined) {
        await options.passwordHashing.verifyNothing(credentials.password);
      } else if (
        options.credentialCache === undefined
          ? await verifyPassword(credentials.password, stored)
          : await options.credentialCache.verify(credentials.username, credentials.password, stored, verifyPassword)
      ) {
        ctx.state.user = credentials.username;
      }
    } else if (scheme === 'bearer') {
      // An empty value needs no test of its own: '' never carries a valid MAC, so it finds no session.
      const prefetched = ctx.state.sessionLookup?.presented === value ? ctx.state.sessionLookup : undefined;
      const token = await (prefetched !== undefined ? prefetched.token : options.tokens.read(options.db, value));
      const scope = token?.attributes['scope'];
      // Only session tokens carry a scope: a capability token is not a login.
      if (token !== undefined && typeof scope === 'string') {
        // At the instant the request's statement judged the session, so its start row names exactly the user accepted here.
        const now = prefetched !== undefined ? prefetched.at : options.clock.now();
        if (token.expiry.getTime() <= now.getTime()) {
          fail(401, 'token expired', { 'WWW-Authenticate': EXPIRED_TOKEN_CHALLENGE });
        }
        ctx.state.user = token.user;
        ctx.state.scope = new Set(scope.split(' '));
        ctx.state.bearer = value;
      }
    }
    await next();
  };
}
