import type { Clock, NatterContext, NatterMiddleware } from '../context.js';
import type { RequestStatements } from '../db/request-statements.js';
import type { RequestLookup } from '../db/store.js';
import type { TokenService } from '../security/tokens.js';
import { auditedRequest } from './audit.js';
import { authorizationHeader } from './authenticate.js';

export interface PrefetchOptions {
  /** Shared with the audit trail: lookups and audit rows of concurrent requests go out as one statement. */
  readonly statements: RequestStatements;
  readonly tokens: TokenService;
  readonly clock: Clock;
  /** The message a request reads, if it is such a read, so the same statement fetches it. */
  readonly messageRead: (ctx: NatterContext) => RequestLookup['read'];
}

/**
 * Starts a request's database work in one statement (one round trip), which concurrent requests
 * and their audit rows share: the `Bearer` session and `?access_token=` capability looked up by their stored hashes
 * (only correctly MACed strings reach the database), and, for a `Bearer` request, its audit start row
 * (the session decides the user) and the message it reads. Nothing is decided here:
 * {@link authenticate} checks the session, {@link requireCapability} the capability, the audit start
 * stage and the route take the row and the message as found. Basic requests get the token lookup
 * only: their user is known once the password is checked.
 */
export function prefetch(options: PrefetchOptions): NatterMiddleware {
  return async function prefetchMiddleware(ctx, next) {
    const capability = ctx.query['access_token'];
    const { scheme, value } = authorizationHeader(ctx.get('Authorization'));
    const bearer = scheme === 'bearer';
    if (capability === undefined && !bearer) return next();
    const at = options.clock.now();
    const read = bearer ? options.messageRead(ctx) : undefined;
    const found = options.statements.lookUp({
      sessionHash: bearer ? options.tokens.storedHash(value) : undefined,
      // A repeated access_token is no capability at all.
      capabilityHash: typeof capability === 'string' ? options.tokens.storedHash(capability) : undefined,
      at,
      start: bearer ? auditedRequest(ctx) : undefined,
      read,
    }).then((result) => {
      // Set before any stage awaiting this lookup resumes: a request stopped there (401, 429) ends on this row.
      // (Only a Bearer request's lookup writes one; a Basic request's row is the audit start stage's.)
      if (result.auditId !== undefined) ctx.state.auditId = result.auditId;
      return result;
    });
    if (capability !== undefined) ctx.state.capability = awaitedLater(found.then((result) => result.capability));
    if (bearer) {
      ctx.state.sessionLookup = { presented: value, at, token: awaitedLater(found.then((result) => result.session)) };
      ctx.state.auditStarted = awaitedLater(found.then(ignore));
    }
    if (read !== undefined) ctx.state.messageRead = awaitedLater(found.then((result) => result.read));
    await next();
  };
}

function ignore(): void {}

/** Awaited (and a failure reported) by a later stage; a request that stops earlier just drops it. */
function awaitedLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}
